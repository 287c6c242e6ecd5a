// Package failover is the Redis failover drill behind `make failover`. On
// a deployment it starts for itself (a Redis Cluster of three masters with
// a replica each, writing every command to its append-only file; two
// prizes serve nodes without a flusher and one prizes flush, on a database
// of its own), it casts votes at a steady rate through both nodes, kills a
// master with SIGKILL, lets its replica take over, starts the killed node
// again as a replica, and goes on; once the log has drained it compares
// every answer with the ledger. It runs once for each --ack-replicas
// setting asked for, each on a fresh deployment, so that the votes a
// failover loses with and without waiting for replicas can be compared.
// The load and the account of the votes are the crash drill's
// (loadtest/chaos).
package failover

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/wsisvote/prizes/loadtest/chaos"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// Config is what a drill needs. The caller reads the environment and
// passes it in.
type Config struct {
	// Prizes is the prizes binary, RedisServer the redis-server binary.
	Prizes      string
	RedisServer string
	// DatabaseURL is a PostgreSQL URL with the right to create databases;
	// each run creates one of its own there and drops it at the end.
	DatabaseURL string
	// Env is the environment children start from; PRIZES_* variables in
	// it are dropped.
	Env []string
	// Command is the command line recorded in the report.
	Command string
	// Log receives progress lines.
	Log io.Writer
	// TempDir is where the drill keeps its files; the system's when empty.
	TempDir string
	// AckReplicas are the --ack-replicas settings to run, one fresh
	// deployment each, in order (0 and 1 when empty); AckTimeout is
	// --ack-timeout (prizes' default when zero).
	AckReplicas []int
	AckTimeout  time.Duration
	// Rate is the votes started per second, over both API nodes, and
	// Workers the connections they are sent on.
	Rate    float64
	Workers int
	// ProbeEvery is how often the probe casts a vote on the killed
	// master's shards.
	ProbeEvery time.Duration
	// Before is how long the load runs before the kill, After how long it
	// goes on once the killed node is back as a replica.
	Before, After time.Duration
	// NodeTimeout is the cluster's cluster-node-timeout.
	NodeTimeout time.Duration
	// RetryFor bounds how long a vote is retried after its first attempt.
	RetryFor time.Duration
	// DrainTimeout bounds the wait for the log to drain.
	DrainTimeout time.Duration
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = io.Discard
	}
	if len(c.AckReplicas) == 0 {
		c.AckReplicas = []int{0, 1}
	}
	if c.Rate <= 0 {
		c.Rate = 400
	}
	if c.Workers <= 0 {
		c.Workers = 32
	}
	if c.ProbeEvery <= 0 {
		c.ProbeEvery = 20 * time.Millisecond
	}
	if c.Before <= 0 {
		c.Before = 10 * time.Second
	}
	if c.After <= 0 {
		c.After = 5 * time.Second
	}
	if c.NodeTimeout <= 0 {
		c.NodeTimeout = 2 * time.Second
	}
	if c.RetryFor <= 0 {
		c.RetryFor = 30 * time.Second
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 2 * time.Minute
	}
}

// Run runs the drill once per AckReplicas setting and returns the report,
// as far as it got, with any error. A drill that ran to the end returns no
// error even when acknowledged votes were lost: the report says so.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	rep := &Report{
		Date: time.Now().UTC(), Command: cfg.Command, Machine: stack.ThisMachine(),
		Settings: Settings{Rate: cfg.Rate, Workers: cfg.Workers, Before: cfg.Before, After: cfg.After,
			NodeTimeout: cfg.NodeTimeout, RetryFor: cfg.RetryFor, ProbeEvery: cfg.ProbeEvery, AckTimeout: cfg.AckTimeout,
			ServeEnv: serveEnv},
	}
	for _, n := range cfg.AckReplicas {
		r, err := runOnce(ctx, cfg, n, rep)
		rep.Runs = append(rep.Runs, r)
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// runOnce provisions a deployment with --ack-replicas n, drills it and
// tears it down.
func runOnce(ctx context.Context, cfg Config, n int, rep *Report) (RunReport, error) {
	r := RunReport{AckReplicas: n}
	d := &deployment{cfg: cfg, ack: n}
	defer func() {
		r.Problems = append(r.Problems, d.teardown()...)
	}()
	d.logf("provisioning")
	if err := d.provision(ctx, rep); err != nil {
		return r, err
	}
	err := d.drill(ctx, &r)
	return r, err
}

// drill casts the load through both API nodes and the probe's votes, fails
// the master of the probe's shards, goes on for After, then drains and
// accounts for every vote.
func (d *deployment) drill(ctx context.Context, r *RunReport) error {
	cfg := d.cfg
	stop := make(chan struct{})
	loads := make(chan []chaos.Vote, len(d.loads))
	started := time.Now()
	for _, l := range d.loads {
		go func() {
			v, _ := l.Run(ctx, stop)
			loads <- v
		}()
	}
	probed := make(chan []probeVote, 1)
	go func() { probed <- d.probe.run(ctx, stop) }()
	d.logf("ack-replicas %d: load at %.0f votes/s, kill in %s", d.ack, cfg.Rate, cfg.Before)
	var failErr error
	if sleep(ctx, cfg.Before) {
		d.logf("killing master %s", d.cluster.Masters[d.victim].Addr())
		r.Failover, failErr = d.cluster.FailMaster(ctx, d.victim, func(f stack.Failover) {
			d.logf("replica %s took over after %s; starting %s again", f.Replica, f.Promoted.Round(time.Millisecond), f.Master)
		})
		if failErr == nil {
			d.logf("%s is a replica again, %s after the kill", r.Failover.Master, r.Failover.Rejoined.Round(time.Millisecond))
			sleep(ctx, cfg.After)
		}
	}
	close(stop)
	var votes []chaos.Vote
	for range d.loads {
		votes = append(votes, <-loads...)
	}
	probes := <-probed
	r.Load = time.Since(started)
	if failErr != nil {
		return fmt.Errorf("failover: %w", failErr)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.Probe = summarize(probes, r.Failover.Killed)
	for _, p := range probes {
		votes = append(votes, p.Vote)
	}
	check, drained, err := d.drain(ctx)
	if err != nil {
		return err
	}
	r.Check, r.Drained = check, drained
	rows, err := chaos.ReadLedger(ctx, d.db.URL, edition)
	if err != nil {
		return err
	}
	r.Tally = chaos.Account(votes, rows)
	for label, n := range r.Tally.Every {
		if len(label) >= 3 && label[:3] == "503" {
			r.Unavailable += n
		}
	}
	d.logf("%s", r.Line())
	return nil
}

// drain waits until the vote log is empty, or DrainTimeout passes, and
// returns prizes check's report then and whether the log emptied. The live
// counters are given a few seconds more to converge to the ledger, not the
// whole timeout: a failover that lost votes the flusher had already
// written to the ledger leaves them short for good, which the report shows.
func (d *deployment) drain(ctx context.Context) (stack.Check, bool, error) {
	deadline := time.Now().Add(d.cfg.DrainTimeout)
	for {
		c, err := d.prizes.Check(ctx, edition, "1s")
		if err != nil {
			return c, false, fmt.Errorf("failover: %w", err)
		}
		if c.Pending+c.Unread == 0 {
			if !c.Converged {
				if c, err = d.prizes.Check(ctx, edition, "5s"); err != nil {
					return c, false, fmt.Errorf("failover: %w", err)
				}
			}
			return c, c.Pending+c.Unread == 0, nil
		}
		if time.Now().After(deadline) {
			return c, false, nil
		}
		if !sleep(ctx, 200*time.Millisecond) {
			return c, false, ctx.Err()
		}
	}
}

// sleep waits for d and reports whether it passed before ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// serveEnv are the settings the drill gives prizes beyond the addresses
// of its parts and --ack-replicas, for the report.
var serveEnv = []string{
	// Every vote comes from the generator's one address.
	"PRIZES_LIMIT_VOTE_IP=off",
}
