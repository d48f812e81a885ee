package main

import (
	"context"
	"io"
)

func runQuery(ctx context.Context, args []string, stdout io.Writer) error { return nil }
