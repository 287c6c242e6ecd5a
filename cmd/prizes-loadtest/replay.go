package main

import (
	"context"
	"fmt"
	"os/exec"

	"github.com/wsisvote/prizes/loadtest/replay"
	"github.com/wsisvote/prizes/loadtest/scenario"
)

func runReplay(ctx context.Context, a *app, args []string) error {
	fs := a.flags("replay")
	path := fs.String("scenario", "loadtest/scenarios/wsis2021.json", "scenario file")
	prizesBin := fs.String("prizes", "bin/prizes", "prizes binary; built from ./cmd/prizes when missing")
	out := fs.String("out", "docs/replay", "folder the report (NAME.md, NAME.json, plots) is written to")
	labels := fs.String("labels", "", "also write voter_id<TAB>address<TAB>label for every voter to this file")
	redisBin := fs.String("redis-server", "redis-server", "redis-server binary for the dedicated Redis")
	var topo replay.Topology
	fs.IntVar(&topo.RedisMasters, "redis-masters", 0, "start a Redis Cluster of this many masters instead of one Redis")
	fs.IntVar(&topo.APINodes, "api-nodes", 1, "prizes serve processes; the generator spreads its connections over them")
	fs.IntVar(&topo.Flushers, "flushers", 0, "prizes flush processes; when set, prizes serve runs without its own flusher")
	render := fs.String("render", "", "measure nothing: write the Markdown and plots again from this JSON report into --out")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *render != "" {
		rep, err := replay.ReadReport(*render)
		if err != nil {
			return err
		}
		md, err := replay.WriteFiles(rep, *out)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "replay: wrote %s\n", md)
		return nil
	}
	dbURL := a.getenv("PRIZES_TEST_DATABASE_URL")
	if dbURL == "" {
		return fmt.Errorf("replay: PRIZES_TEST_DATABASE_URL is not set; run it as deploy/local/stack.sh test bin/prizes-loadtest replay (or make replay)")
	}
	s, err := scenario.Load(*path)
	if err != nil {
		return err
	}
	redisServer, err := exec.LookPath(*redisBin)
	if err != nil {
		return fmt.Errorf("replay: the replay starts its own Redis: %w", err)
	}
	bin, err := findPrizes(ctx, a, "replay", *prizesBin)
	if err != nil {
		return err
	}
	rep, err := replay.Run(ctx, replay.Config{
		Scenario: s, ScenarioPath: *path, Prizes: bin, DatabaseURL: dbURL, RedisServer: redisServer,
		Env: a.environ, Labels: *labels, Command: a.commandLine(), Log: a.stderr, Topology: topo,
	})
	if rep != nil && len(rep.Stages) > 0 {
		md, werr := replay.WriteFiles(rep, *out)
		if werr != nil {
			return werr
		}
		fmt.Fprintf(a.stderr, "replay: wrote %s\n", md)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s: %d votes in %.1fs end to end (target %gs, met: %v); ingest %.0f votes/s; ledger = 202s = ground truth, recount --verify: %v\n",
		rep.Scenario, rep.Correctness.Accepted, rep.Total.Seconds(), rep.TargetSeconds, rep.TargetMet,
		rep.Ingest.AcceptedPerS, rep.Correctness.OK)
	if !rep.Correctness.OK {
		return fmt.Errorf("replay: correctness checks failed")
	}
	return nil
}
