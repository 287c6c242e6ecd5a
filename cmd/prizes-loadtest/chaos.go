package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/wsisvote/prizes/loadtest/chaos"
	"github.com/wsisvote/prizes/loadtest/stack"
)

func runChaos(ctx context.Context, a *app, args []string) error {
	fs := a.flags("chaos")
	out := fs.String("out", "docs/chaos.md", "file the report is written to")
	prizesBin := fs.String("prizes", "bin/prizes", "prizes binary; built from ./cmd/prizes when missing")
	redisBin := fs.String("redis-server", "redis-server", "redis-server binary for the drill's Redis")
	pgBin := fs.String("postgres-bin", "", "folder of PostgreSQL's initdb and postgres (the newest under /usr/lib/postgresql when empty)")
	faults := fs.String("faults", "serve,flush,redis,postgres", "faults to inject, in order")
	var cfg chaos.Config
	fs.Float64Var(&cfg.Rate, "rate", 400, "votes started per second")
	fs.IntVar(&cfg.Workers, "workers", 32, "connections the votes are sent on")
	fs.DurationVar(&cfg.Before, "before", 0, "load before each fault (5s when zero)")
	fs.DurationVar(&cfg.After, "after", 0, "load after the part is back (3s when zero)")
	fs.DurationVar(&cfg.PostgresDown, "postgres-down", 0, "how long PostgreSQL stays stopped (15s when zero)")
	shutdown := fs.String("postgres-shutdown", string(stack.Immediate), "how PostgreSQL is stopped: fast or immediate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch s := stack.Shutdown(*shutdown); s {
	case stack.Fast, stack.Immediate:
		cfg.Shutdown = s
	default:
		return fmt.Errorf("chaos: --postgres-shutdown %q: want fast or immediate", *shutdown)
	}
	var err error
	if cfg.RedisServer, err = exec.LookPath(*redisBin); err != nil {
		return fmt.Errorf("chaos: the drill starts its own Redis: %w", err)
	}
	if cfg.PostgresBin = *pgBin; cfg.PostgresBin == "" {
		if cfg.PostgresBin, err = stack.PostgresBin(); err != nil {
			return fmt.Errorf("chaos: the drill starts its own PostgreSQL: %w", err)
		}
	}
	if cfg.Prizes, err = findPrizes(ctx, a, "chaos", *prizesBin); err != nil {
		return err
	}
	cfg.Faults = strings.Split(*faults, ",")
	cfg.Env, cfg.Command, cfg.Log = a.environ, a.commandLine(), a.stderr
	rep, err := chaos.Run(ctx, cfg)
	if rep != nil && len(rep.Faults) > 0 {
		if werr := chaos.WriteMarkdown(rep, *out); werr != nil {
			return werr
		}
		fmt.Fprintf(a.stderr, "chaos: wrote %s\n", *out)
		for _, f := range rep.Faults {
			fmt.Fprintln(a.stdout, f.Line())
		}
	}
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("chaos: an acknowledged vote is missing or duplicated, or prizes check failed")
	}
	return nil
}
