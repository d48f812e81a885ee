package main

import (
	"io"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/load"
)

func newStatus(w io.Writer) *load.Status { return load.NewStatus(w) }
