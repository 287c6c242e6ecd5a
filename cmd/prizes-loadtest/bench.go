package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest/bench"
)

func runBench(ctx context.Context, a *app, args []string) error {
	fs := a.flags("bench")
	prizesBin := fs.String("prizes", "bin/prizes", "prizes binary; built from ./cmd/prizes when missing")
	out := fs.String("out", "docs/benchmarks.md", "Markdown file the report section is written into")
	jsonOut := fs.String("json", "", "JSON report (default: --out with .json)")
	voters := fs.Int("voters", 300_000, "voters to create; each casts up to one vote per category")
	workers := fs.Int("workers", 256, "connections of the closed-loop runs; enough to keep both targets busy")
	duration := fs.Duration("duration", 10*time.Second, "length of each closed-loop run")
	warmup := fs.Duration("warmup", 2*time.Second, "unmeasured run against each target first")
	pairs := fs.Int("pairs", 3, "baseline and vote path runs, alternated")
	openDuration := fs.Duration("open-duration", 20*time.Second, "length of the open-loop run")
	openWorkers := fs.Int("open-workers", 256, "most connections of the open-loop run")
	shards := fs.Int("shards", 0, "vote log shards of prizes serve (0: its default)")
	skew := fs.Float64("skew", 1, "Zipf exponent of project popularity within a category")
	window := fs.Int("window", 1000, "voters voting at the same time; each casts all its votes before the next start")
	ingestOnly := fs.Bool("ingest-only", true, "add to each pair a run with the flusher stopped, and time the flush of its backlog")
	compareScorer := fs.Bool("compare-scorer", true, "add to each pair a run with the fraud scorer off, and compare prizes serve's CPU per vote")
	ackReplicas := fs.Int("ack-replicas", 0, "give the dedicated Redis a replica and add to each pair a run with prizes' --ack-replicas at this value (0: none)")
	var prizesEnv listFlag
	fs.Var(&prizesEnv, "prizes-env", "PRIZES_NAME=value setting for prizes, to measure a non-default configuration (repeatable)")
	redisBin := fs.String("redis-server", "redis-server", "redis-server binary for the dedicated Redis")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dbURL := a.getenv("PRIZES_TEST_DATABASE_URL")
	if dbURL == "" {
		return fmt.Errorf("bench: PRIZES_TEST_DATABASE_URL is not set; run it as deploy/local/stack.sh test bin/prizes-loadtest bench (or make bench)")
	}
	if *jsonOut == "" {
		*jsonOut = strings.TrimSuffix(*out, filepath.Ext(*out)) + ".json"
	}
	bin, err := findPrizes(ctx, a, "bench", *prizesBin)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	redisServer := ""
	if p, err := exec.LookPath(*redisBin); err == nil {
		redisServer = p
	}
	rep, err := bench.Run(ctx, bench.Config{
		Prizes:         bin,
		Baseline:       []string{self, "baseline"},
		DatabaseURL:    dbURL,
		RedisServer:    redisServer,
		SharedRedisURL: a.getenv("PRIZES_TEST_REDIS_URL"),
		Env:            a.environ,
		Voters:         *voters,
		Workers:        *workers,
		Duration:       *duration,
		Warmup:         *warmup,
		Pairs:          *pairs,
		OpenDuration:   *openDuration,
		OpenWorkers:    *openWorkers,
		Shards:         *shards,
		Skew:           *skew,
		Seed:           1,
		Window:         *window,
		IngestOnly:     *ingestOnly,
		CompareScorer:  *compareScorer,
		AckReplicas:    *ackReplicas,
		PrizesEnv:      prizesEnv,
		Command:        a.commandLine(),
		Log:            a.stderr,
	})
	if err != nil {
		return err
	}
	if err := bench.WriteFiles(rep, *out, *jsonOut); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "bench: wrote %s and %s\n", *out, *jsonOut)
	fmt.Fprintf(a.stdout, "baseline %.0f votes/s, vote path %.0f votes/s, ratio %.2f (target %.1f); %.2f bytes per vote (target %.0f); ledger matches: %v\n",
		rep.MedianBaseline, rep.MedianVotePath, rep.MedianRatio, bench.TargetRatio,
		rep.Memory.BytesPerVote, bench.TargetBytesPerVote, rep.Correctness.OK)
	if !rep.Correctness.OK {
		return fmt.Errorf("bench: the ledger does not match the accepted votes")
	}
	return nil
}

// findPrizes returns the prizes binary at path, building it there from
// ./cmd/prizes when it does not exist. cmd names the subcommand in its
// messages.
func findPrizes(ctx context.Context, a *app, cmd, path string) (string, error) {
	if _, err := os.Stat(path); err == nil {
		return filepath.Abs(path)
	}
	fmt.Fprintf(a.stderr, "%s: building %s\n", cmd, path)
	build := exec.CommandContext(ctx, "go", "build", "-o", path, "./cmd/prizes")
	build.Stdout, build.Stderr = a.stderr, a.stderr
	if err := build.Run(); err != nil {
		return "", fmt.Errorf("%s: build %s: %w", cmd, path, err)
	}
	return filepath.Abs(path)
}

// commandLine is how the report names the command that produced it: as
// typed, under stack.sh when that is what provided the databases.
func (a *app) commandLine() string {
	cmd := strings.Join(a.args, " ")
	if a.getenv("PRIZES_TEST_TMP") != "" {
		cmd = "deploy/local/stack.sh test " + cmd
	}
	return cmd
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
