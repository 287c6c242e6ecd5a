package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest/fraudgen"
	"github.com/wsisvote/prizes/loadtest/fraudlive"
)

func runFraudLive(ctx context.Context, a *app, args []string) error {
	fs := a.flags("fraud-live")
	votes := fs.Int("votes", 60_000, "about how many votes the generated month holds; the crowds scale with it, the attacks with the standing")
	seed := fs.Uint64("seed", fraudgen.Default().Seed, "seed of every draw")
	play := fs.Duration("play", 5*time.Minute, "how long the month takes to play")
	workers := fs.Int("workers", 64, "requests in flight at most")
	out := fs.String("out", "docs/fraud-live.md", "Markdown page to write; the JSON report goes beside it")
	prizesBin := fs.String("prizes", "bin/prizes", "prizes binary; built from ./cmd/prizes when missing")
	redisBin := fs.String("redis-server", "redis-server", "redis-server binary for the dedicated Redis")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *votes <= 0 || *play <= 0 {
		return errors.New("fraud-live: --votes and --play must be positive")
	}
	dbURL := a.getenv("PRIZES_TEST_DATABASE_URL")
	if dbURL == "" {
		return fmt.Errorf("fraud-live: PRIZES_TEST_DATABASE_URL is not set; run it as deploy/local/stack.sh test bin/prizes-loadtest fraud-live (or make fraud-live)")
	}
	redisServer, err := exec.LookPath(*redisBin)
	if err != nil {
		return fmt.Errorf("fraud-live: it starts its own Redis: %w", err)
	}
	bin, err := findPrizes(ctx, a, "fraud-live", *prizesBin)
	if err != nil {
		return err
	}
	traffic := fraudgen.Scaled(*votes)
	traffic.Seed = *seed
	rep, err := fraudlive.Run(ctx, fraudlive.Config{
		Traffic: traffic, Play: *play, Workers: *workers, Prizes: bin, DatabaseURL: dbURL, RedisServer: redisServer,
		Env: a.environ, Command: a.commandLine(), Log: a.stderr,
	})
	if err != nil {
		return err
	}
	md, err := fraudlive.Markdown(rep)
	if err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	js := strings.TrimSuffix(*out, filepath.Ext(*out)) + ".json"
	if err := os.WriteFile(js, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	fmt.Fprintf(a.stderr, "fraud-live: wrote %s and %s\n", *out, js)
	if !rep.Accounted() {
		return fmt.Errorf("fraud-live: %d votes sent, %d answered 202, %d in the ledger, %d generated votes not in it",
			rep.Sent.Votes, rep.Sent.Accepted, rep.Ledger, len(rep.Missing))
	}
	return nil
}
