package main

import (
	"context"
	"errors"
	"io"
)

// runSubscribe is being written (issue #5).
func runSubscribe(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("subscribe: not written yet")
}
