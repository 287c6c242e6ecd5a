package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/wsisvote/prizes/loadtest/bench"
)

// runReport renders the Markdown section again from a JSON report, so a
// change to the layout of the page needs no new measurement.
func runReport(ctx context.Context, a *app, args []string) error {
	fs := a.flags("report")
	in := fs.String("json", "docs/benchmarks.json", "JSON report written by bench")
	out := fs.String("out", "", "Markdown file the section is written into (default: --json with .md)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		*out = strings.TrimSuffix(*in, filepath.Ext(*in)) + ".md"
	}
	rep, err := bench.ReadReport(*in)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := bench.WriteFiles(rep, *out, *in); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "report: wrote %s from %s\n", *out, *in)
	return nil
}
