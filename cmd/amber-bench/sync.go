package main

import (
	"context"
	"errors"
	"io"
)

// runSync is being written (issue #5).
func runSync(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("sync: not written yet")
}
