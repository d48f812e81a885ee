package main

import (
	"context"
	"io"
)

func runFlood(ctx context.Context, args []string, stdout io.Writer) error { return nil }
