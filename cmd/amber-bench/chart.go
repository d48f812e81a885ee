package main

import (
	"context"
	"errors"
	"io"
)

// runChart is being written (issue #5).
func runChart(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("chart: not written yet")
}
