package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/loadtest/naive"
)

func runNaive(ctx context.Context, a *app, args []string) error {
	fs := a.flags("naive")
	prizesBin := fs.String("prizes", "bin/prizes", "prizes binary; built from ./cmd/prizes when missing")
	out := fs.String("out", "docs/benchmarks.md", "Markdown page the comparison's section is written into")
	jsonOut := fs.String("json", "docs/naive.json", "JSON report")
	voters := fs.Int("voters", 150_000, "voters to create; each casts up to one vote per category")
	workers := fs.Int("workers", 256, "connections of every closed-loop run")
	duration := fs.Duration("duration", 10*time.Second, "length of each run")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured run against each target first")
	rounds := fs.Int("rounds", 3, "runs against each target, in turn")
	flushVotes := fs.Int64("flush-votes", 100_000, "votes the flusher and the raw COPY each move, per flush round")
	flushRounds := fs.Int("flush-rounds", 3, "rounds of filling the log, flushing it and copying the rows raw")
	flushBatch := fs.Int("flush-batch", 0, "batch size for prizes flush (PRIZES_FLUSH_BATCH); 0 keeps its default")
	fsync := fs.String("fsync", "server", "PostgreSQL fsync during the run: server (as the server runs), on or off (ALTER SYSTEM, reset afterwards; a server started with -c fsync=... ignores it)")
	redisBin := fs.String("redis-server", "redis-server", "redis-server binary for the dedicated Redis")
	render := fs.Bool("render", false, "measure nothing: write the section of --out again from --json")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rel, rerr := filepath.Rel(filepath.Dir(*out), *jsonOut)
	if rerr != nil || strings.HasPrefix(rel, "..") {
		rel = *jsonOut
	}
	if *render {
		rep, err := naive.ReadReport(*jsonOut)
		if err != nil {
			return err
		}
		return naive.WriteFiles(rep, *out, *jsonOut, rel)
	}
	// stack.sh test provides a server with fsync off, stack.sh run one
	// with fsync on, as a system of record runs; the comparison takes
	// either and creates a database of its own on it.
	dbURL := a.getenv("PRIZES_TEST_DATABASE_URL")
	if dbURL == "" {
		dbURL = a.getenv("PRIZES_DATABASE_URL")
	}
	if dbURL == "" {
		return fmt.Errorf("naive: neither PRIZES_TEST_DATABASE_URL nor PRIZES_DATABASE_URL is set; run it under deploy/local/stack.sh test or run")
	}
	redisServer, err := exec.LookPath(*redisBin)
	if err != nil {
		return fmt.Errorf("naive: %w", err)
	}
	bin, err := findPrizes(ctx, a, "naive", *prizesBin)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("naive: %w", err)
	}
	rep, err := naive.Compare(ctx, naive.CompareConfig{
		Prizes: bin, Baseline: []string{self, "baseline"}, NaiveServe: []string{self, "naive-serve"},
		DatabaseURL: dbURL, RedisServer: redisServer, Env: a.environ, Voters: *voters, Workers: *workers,
		Duration: *duration, Warmup: *warmup, Rounds: *rounds, FlushVotes: *flushVotes, FlushRounds: *flushRounds, FlushBatch: *flushBatch, Fsync: strings.TrimPrefix(*fsync, "server"),
		Command: naiveCommandLine(a), Log: a.stderr,
	})
	if err != nil {
		return err
	}
	if err := naive.WriteFiles(rep, *out, *jsonOut, rel); err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "baseline %.0f, vote path %.0f, naive %.0f votes/s; b/a %.2f (target %.1f), b/c %.2f (target %.0f); "+
		"flusher / raw COPY %.2f steady state (target %.1f), %.2f with process start\n",
		rep.MedianBaseline, rep.MedianVotePath, rep.MedianNaive, rep.MedianOverBaseline, naive.TargetOverBaseline,
		rep.MedianOverNaive, naive.TargetOverNaive, rep.Flush.FlushOverCopy, naive.TargetFlushOverCopy, rep.Flush.WallOverCopy)
	return nil
}

func runNaiveServe(ctx context.Context, a *app, args []string) error {
	fs := a.flags("naive-serve")
	addr := fs.String("addr", "127.0.0.1:8091", "address to listen on")
	dbURL := fs.String("database-url", "", "PostgreSQL URL of a migrated, seeded prizes database (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dbURL == "" {
		return fmt.Errorf("naive-serve: --database-url is required")
	}
	gin.SetMode(gin.ReleaseMode)
	s, closeDB, err := naive.Open(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer closeDB()
	return serveHandler(ctx, a, "naive-serve", "naive", *addr, s.Handler())
}

// naiveCommandLine names the command as typed, under the stack.sh mode that
// provided the database.
func naiveCommandLine(a *app) string {
	if a.getenv("PRIZES_TEST_TMP") == "" && a.getenv("PRIZES_DATABASE_URL") != "" {
		return "deploy/local/stack.sh run " + strings.Join(a.args, " ")
	}
	return a.commandLine()
}
