package main

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/wsisvote/prizes/loadtest/ledgerscale"
)

func runLedgerScale(ctx context.Context, a *app, args []string) error {
	fs := a.flags("ledger-scale")
	votes := fs.Int64("votes", 100_000_000, "votes in the generated ledger, shared equally by the closed editions")
	editions := fs.Int("editions", 10, "closed editions holding the votes; the last is measured")
	seed := fs.Uint64("seed", 1, "seed of the generated votes")
	unpartitioned := fs.Bool("unpartitioned", true, "also load the same votes into the unpartitioned ledger of migrations 0001 to 0007 and measure it")
	repeats := fs.Int("repeats", 2, "timed runs of each read")
	batch := fs.Int("flush-batch", 2000, "votes per flush batch")
	batches := fs.Int("flush-batches", 20, "timed flush batches, after 3 untimed ones")
	tmp := fs.String("tmp", "", "folder for the private PostgreSQL's files (removed at the end); the system's temp folder when empty")
	out := fs.String("out", "docs/ledger-scale.md", "Markdown page the measurements are written into")
	bench := fs.String("bench", "docs/benchmarks.md", "Markdown page the headline figures are written into; empty for none")
	jsonOut := fs.String("json", "docs/ledger-scale.json", "JSON report")
	render := fs.Bool("render", false, "measure nothing: write the sections of --out and --bench again from --json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(*out), *jsonOut)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = *jsonOut
	}
	if *render {
		rep, err := ledgerscale.ReadReport(*jsonOut)
		if err != nil {
			return err
		}
		return ledgerscale.WriteFiles(rep, *out, *bench, *jsonOut, rel)
	}
	rep, err := ledgerscale.Run(ctx, ledgerscale.Config{
		Gen:           ledgerscale.GenConfig{Votes: *votes, Editions: *editions, Seed: *seed},
		Unpartitioned: *unpartitioned, QueryRepeats: *repeats,
		FlushBatch: *batch, FlushRepeats: *batches, FlushWarmup: 3,
		TempDir: *tmp, Command: a.commandLine(), Log: a.stderr,
		Measured: func(rep ledgerscale.Report) error { return ledgerscale.WriteFiles(rep, *out, *bench, *jsonOut, rel) },
	})
	if err != nil {
		return err
	}
	return ledgerscale.WriteFiles(rep, *out, *bench, *jsonOut, rel)
}
