package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/amber-electrum/amber/cmd/amber-bench/internal/charts"
)

// fileList is a repeatable flag.
type fileList []string

func (l *fileList) String() string     { return strings.Join(*l, ",") }
func (l *fileList) Set(s string) error { *l = append(*l, s); return nil }

// chartInput is one result file and the function that charts its content.
type chartInput struct {
	path string
	draw func(data []byte) ([]charts.Chart, error)
}

// runChart reads JSON results of query, sync and subscribe and writes
// their SVG charts into -out, named after the input file and the chart
// (q.json -> q-latency-cdf.svg, q-methods.svg; sync.json ->
// sync-height.svg); it prints the files written, one a line.
func runChart(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("chart", flag.ContinueOnError)
	out := fs.String("out", "", "directory for the SVG files (created if missing)")
	server := fs.String("server-name", "amberd", "what to call the query -server in the charts")
	var queries, syncs, subs, engines fileList
	fs.Var(&queries, "query", "result of `query -json-out` (repeatable): latency distribution vs the echo server, per-method percentiles")
	fs.Var(&syncs, "sync", "result of `sync -json-out` (repeatable): height over time, amberd RSS over time")
	fs.Var(&engines, "sync-engines", "results of `sync -json-out` on one chain with different -engine (repeatable): one height and one RSS chart comparing them")
	fs.Var(&subs, "subscribe", "result of `subscribe -json-out` (repeatable): notification latency per event")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("chart: unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return errors.New("chart: -out is required")
	}
	var inputs []chartInput
	for _, f := range queries {
		inputs = append(inputs, chartInput{f, func(data []byte) ([]charts.Chart, error) {
			q, err := charts.ParseQuery(data)
			if err != nil {
				return nil, err
			}
			return charts.QueryCharts(q, *server)
		}})
	}
	for _, f := range syncs {
		inputs = append(inputs, chartInput{f, func(data []byte) ([]charts.Chart, error) {
			s, err := charts.ParseSync(data)
			if err != nil {
				return nil, err
			}
			return charts.SyncCharts(s)
		}})
	}
	for _, f := range subs {
		inputs = append(inputs, chartInput{f, func(data []byte) ([]charts.Chart, error) {
			s, err := charts.ParseSubscribe(data)
			if err != nil {
				return nil, err
			}
			return charts.SubscribeCharts(s)
		}})
	}
	if len(engines) > 0 {
		inputs = append(inputs, chartInput{engines[0], func([]byte) ([]charts.Chart, error) {
			var runs []*charts.Sync
			for _, path := range engines {
				data, err := os.ReadFile(path)
				if err != nil {
					return nil, err
				}
				s, err := charts.ParseSync(data)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", path, err)
				}
				runs = append(runs, s)
			}
			return charts.EngineCharts(runs)
		}})
	}
	if len(inputs) == 0 {
		return errors.New("chart: give at least one -query, -sync, -sync-engines or -subscribe file")
	}
	// Draw everything first: a bad input writes nothing.
	type file struct {
		path string
		svg  []byte
	}
	var files []file
	taken := map[string]bool{}
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := os.ReadFile(in.path)
		if err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		cs, err := in.draw(data)
		if err != nil {
			return fmt.Errorf("chart: %s: %w", in.path, err)
		}
		stem := strings.TrimSuffix(filepath.Base(in.path), filepath.Ext(in.path))
		for _, c := range cs {
			base := stem + "-" + c.Name
			if strings.HasPrefix(c.Name, stem+"-") || strings.HasPrefix(c.Name, "sync-engines") { // sync.json: sync-height, not sync-sync-height
				base = c.Name
			}
			name := base
			for i := 2; taken[name]; i++ {
				name = fmt.Sprintf("%s-%d", base, i)
			}
			taken[name] = true
			files = append(files, file{filepath.Join(*out, name+".svg"), c.SVG})
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, f.svg, 0o644); err != nil {
			return fmt.Errorf("chart: %w", err)
		}
		fmt.Fprintln(stdout, f.path)
	}
	return nil
}
