// Package chaos is the crash drill behind `make chaos`. On a deployment it
// starts for itself (a Redis that writes every command to its append-only
// file before answering, a PostgreSQL server with fsync on, one prizes
// serve without a flusher and one prizes flush), it breaks one part at a
// time under a steady load of votes: prizes serve and prizes flush killed
// with SIGKILL and started again, Redis killed and started again from its
// file, PostgreSQL stopped and started. After each fault it waits until
// the vote log has drained and prizes check passes; at the end it compares
// every answer the load got with the ledger: each acknowledged vote must be
// there exactly once, under the id its answer gave.
package chaos

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest/report"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// Config is what a drill needs. The caller reads the environment and
// passes it in.
type Config struct {
	// Prizes is the prizes binary; RedisServer the redis-server binary;
	// PostgresBin the folder of PostgreSQL's initdb and postgres.
	Prizes      string
	RedisServer string
	PostgresBin string
	// Env is the environment children start from; PRIZES_* variables in it
	// are dropped.
	Env []string
	// Command is the command line recorded in the report.
	Command string
	// Log receives progress lines.
	Log io.Writer
	// TempDir is where the drill keeps its files; the system's when empty.
	TempDir string
	// Faults are the names of the faults to inject, in order (see Faults);
	// all of them when empty.
	Faults []string
	// Rate is the votes started per second and Workers the connections
	// they are sent on.
	Rate    float64
	Workers int
	// Before is how long the load runs before a fault, After how long it
	// goes on once the part is back.
	Before, After time.Duration
	// PostgresDown is how long PostgreSQL stays stopped, and Shutdown how
	// it is stopped.
	PostgresDown time.Duration
	Shutdown     stack.Shutdown
	// RetryFor bounds how long a vote is retried after its first attempt.
	RetryFor time.Duration
	// DrainTimeout bounds the wait for the log to drain after a fault.
	DrainTimeout time.Duration
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = io.Discard
	}
	if len(c.Faults) == 0 {
		for _, f := range Faults {
			c.Faults = append(c.Faults, f.Name)
		}
	}
	if c.Rate <= 0 {
		c.Rate = 400
	}
	if c.Workers <= 0 {
		c.Workers = 32
	}
	if c.Before <= 0 {
		c.Before = 5 * time.Second
	}
	if c.After <= 0 {
		c.After = 3 * time.Second
	}
	if c.PostgresDown <= 0 {
		c.PostgresDown = 15 * time.Second
	}
	if c.Shutdown == "" {
		c.Shutdown = stack.Immediate
	}
	if c.RetryFor <= 0 {
		c.RetryFor = 30 * time.Second
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = 2 * time.Minute
	}
}

// Fault is one way the drill breaks the deployment.
type Fault struct {
	// Name selects the fault on the command line.
	Name string
	// inject breaks a part and returns once it is back.
	inject func(d *deployment, ctx context.Context) error
	// what says what inject does, for the report.
	what func(cfg Config) string
}

// Faults are every fault the drill knows, in the order it injects them by
// default.
var Faults = []Fault{
	{Name: "serve", inject: (*deployment).killServe,
		what: func(Config) string { return "prizes serve killed with SIGKILL, then started again" }},
	{Name: "flush", inject: (*deployment).killFlush,
		what: func(Config) string { return "prizes flush killed with SIGKILL, then started again" }},
	{Name: "redis", inject: (*deployment).killRedis,
		what: func(Config) string {
			return "Redis killed with SIGKILL, then started again from its append-only file"
		}},
	{Name: "postgres", inject: (*deployment).stopPostgres,
		what: func(c Config) string {
			return fmt.Sprintf("PostgreSQL stopped (%s shutdown) for %s, then started again", c.Shutdown, report.Seconds(c.PostgresDown))
		}},
}

func findFault(name string) (Fault, error) {
	for _, f := range Faults {
		if f.Name == name {
			return f, nil
		}
	}
	names := make([]string, len(Faults))
	for i, f := range Faults {
		names[i] = f.Name
	}
	return Fault{}, fmt.Errorf("chaos: no fault %q; there are %s", name, strings.Join(names, ", "))
}

// Run provisions the deployment, injects every fault of cfg in turn under
// load, accounts for the votes and returns the report, as far as it got,
// with any error. A drill that ran to the end returns no error even when
// votes are missing: the report says so, and Report.OK is false.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	var faults []Fault
	for _, name := range cfg.Faults {
		f, err := findFault(name)
		if err != nil {
			return nil, err
		}
		faults = append(faults, f)
	}
	rep := &Report{
		Date: time.Now().UTC(), Command: cfg.Command, Machine: stack.ThisMachine(),
		Settings: Settings{Rate: cfg.Rate, Workers: cfg.Workers, Before: cfg.Before, After: cfg.After,
			RetryFor: cfg.RetryFor, PostgresDown: cfg.PostgresDown, Shutdown: cfg.Shutdown, ServeEnv: serveEnv},
	}
	d := &deployment{cfg: cfg}
	defer func() {
		rep.Problems = append(rep.Problems, d.teardown()...)
	}()
	if err := d.provision(ctx, rep, len(faults)); err != nil {
		return rep, err
	}
	votes := make([][]Vote, len(faults))
	for i, f := range faults {
		fr, v, err := d.drill(ctx, f)
		rep.Faults = append(rep.Faults, fr)
		votes[i] = v
		if err != nil {
			return rep, err
		}
	}
	rows, err := ReadLedger(ctx, d.db.URL, edition)
	if err != nil {
		return rep, err
	}
	for i := range rep.Faults {
		rep.Faults[i].Tally = Account(votes[i], rows)
	}
	return rep, nil
}

// drill injects f under load, waits for the log to drain and returns what
// it saw with the votes cast; the votes are accounted for once every fault
// has run, so that a later fault that lost an earlier one's votes shows.
func (d *deployment) drill(ctx context.Context, f Fault) (FaultReport, []Vote, error) {
	cfg := d.cfg
	fr := FaultReport{Name: f.Name, What: f.what(cfg)}
	d.logf("%s: load at %.0f votes/s, fault in %s", f.Name, cfg.Rate, cfg.Before)
	stop := make(chan struct{})
	type result struct {
		votes     []Vote
		exhausted bool
	}
	done := make(chan result, 1)
	started := time.Now()
	go func() {
		v, ex := d.load.Run(ctx, stop)
		done <- result{v, ex}
	}()
	var injectErr error
	if sleep(ctx, cfg.Before) {
		injected := time.Now()
		injectErr = f.inject(d, ctx)
		fr.Down = time.Since(injected)
		d.logf("%s: %s; back after %s", f.Name, fr.What, fr.Down.Round(time.Millisecond))
	}
	restored := time.Now()
	if injectErr == nil {
		sleep(ctx, cfg.After)
	}
	close(stop)
	res := <-done
	answered := time.Now()
	fr.Load = answered.Sub(started)
	if res.exhausted {
		fr.Problems = append(fr.Problems, "the ballots ran out before the load was to stop")
	}
	fr.Problems = append(fr.Problems, d.revive(ctx)...)
	if injectErr != nil {
		return fr, res.votes, fmt.Errorf("chaos: %s: %w", f.Name, injectErr)
	}
	if err := ctx.Err(); err != nil {
		return fr, res.votes, err
	}
	check, drained, err := d.drain(ctx)
	if err != nil {
		return fr, res.votes, err
	}
	fr.Check, fr.Drained = check, drained
	if drained {
		fr.DrainAfterFault = time.Since(restored)
		fr.DrainAfterLoad = time.Since(answered)
	}
	d.logf("%s: %d votes; log drained %v, %s after the part was back, ledger %d, check converged %v",
		f.Name, len(res.votes), drained, fr.DrainAfterFault.Round(100*time.Millisecond), check.LedgerTotal, check.Converged)
	return fr, res.votes, nil
}

// drain waits until the vote log is empty and prizes check passes, or
// DrainTimeout passes, and returns the last check and whether it passed.
func (d *deployment) drain(ctx context.Context) (stack.Check, bool, error) {
	deadline := time.Now().Add(d.cfg.DrainTimeout)
	for {
		wait := max(time.Until(deadline), time.Second).Round(time.Second)
		c, err := d.prizes.Check(ctx, edition, wait.String())
		if err != nil {
			return c, false, fmt.Errorf("chaos: %w", err)
		}
		if c.Pending+c.Unread == 0 && c.Converged {
			return c, true, nil
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
	return wait(ctx, nil, d)
}

// serveEnv are the settings the drill gives prizes beyond the addresses
// of its parts, for the report.
var serveEnv = []string{
	"PRIZES_REDIS_PREFIX=chaos:",
	// Every vote comes from the generator's one address.
	"PRIZES_LIMIT_VOTE_IP=off",
}
