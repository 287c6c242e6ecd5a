package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/wsisvote/prizes/loadtest/failover"
)

func runFailover(ctx context.Context, a *app, args []string) error {
	fs := a.flags("failover")
	out := fs.String("out", "docs/failover.md", "file the report is written to")
	prizesBin := fs.String("prizes", "bin/prizes", "prizes binary; built from ./cmd/prizes when missing")
	redisBin := fs.String("redis-server", "redis-server", "redis-server binary for the drill's cluster")
	acks := fs.String("ack-replicas", "0,1", "--ack-replicas settings to run, one fresh deployment each, in order")
	var cfg failover.Config
	fs.DurationVar(&cfg.AckTimeout, "ack-timeout", 0, "prizes' --ack-timeout (its default when zero)")
	fs.Float64Var(&cfg.Rate, "rate", 400, "votes started per second over both API nodes")
	fs.IntVar(&cfg.Workers, "workers", 64, "connections the votes are sent on")
	fs.DurationVar(&cfg.Before, "before", 0, "load before the kill (10s when zero)")
	fs.DurationVar(&cfg.After, "after", 0, "load after the killed node is back as a replica (5s when zero)")
	fs.DurationVar(&cfg.NodeTimeout, "node-timeout", 0, "the cluster's cluster-node-timeout (2s when zero)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, s := range strings.Split(*acks, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 0 {
			return fmt.Errorf("failover: --ack-replicas %q: want a comma-separated list of counts", *acks)
		}
		cfg.AckReplicas = append(cfg.AckReplicas, n)
	}
	if cfg.DatabaseURL = a.getenv("PRIZES_TEST_DATABASE_URL"); cfg.DatabaseURL == "" {
		return fmt.Errorf("failover: PRIZES_TEST_DATABASE_URL is not set; run it as deploy/local/stack.sh test bin/prizes-loadtest failover (or make failover)")
	}
	var err error
	if cfg.RedisServer, err = exec.LookPath(*redisBin); err != nil {
		return fmt.Errorf("failover: the drill starts its own Redis Cluster: %w", err)
	}
	if cfg.Prizes, err = findPrizes(ctx, a, "failover", *prizesBin); err != nil {
		return err
	}
	cfg.Env, cfg.Command, cfg.Log = a.environ, a.commandLine(), a.stderr
	rep, err := failover.Run(ctx, cfg)
	if rep != nil && len(rep.Runs) > 0 {
		if werr := failover.WriteMarkdown(rep, *out); werr != nil {
			return werr
		}
		fmt.Fprintf(a.stderr, "failover: wrote %s\n", *out)
		for _, r := range rep.Runs {
			fmt.Fprintln(a.stdout, r.Line())
		}
	}
	if err != nil {
		return err
	}
	for _, r := range rep.Runs {
		if r.AckReplicas > 0 && !r.OK() {
			return fmt.Errorf("failover: with --ack-replicas %d an acknowledged vote is missing or duplicated, or the log did not drain", r.AckReplicas)
		}
	}
	return nil
}
