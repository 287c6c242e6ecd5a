package ledgerscale

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// Config is one run of the harness.
type Config struct {
	// Gen is the ledger generated (the empty ledger gets the same editions
	// without votes).
	Gen GenConfig
	// Unpartitioned also loads the same votes into the ledger of migrations
	// 0001 to 0007, one table, and measures it.
	Unpartitioned bool
	// QueryRepeats is how often each read is timed.
	QueryRepeats int
	// FlushBatch is how many votes a flush batch holds; FlushRepeats how
	// many batches are timed, after FlushWarmup untimed ones.
	FlushBatch, FlushRepeats, FlushWarmup int
	// TempDir is where the private PostgreSQL keeps its files, removed at
	// the end; the system's temp folder when empty.
	TempDir string
	// Command is the command line, for the report.
	Command string
	// Log receives progress lines.
	Log io.Writer
	// Measured, when set, is called with the report so far after each
	// ledger is measured, so that a long run keeps what it measured.
	Measured func(Report) error
}

// Settings are the private server's settings besides the harness defaults
// (fsync on, synchronous_commit on, shared_buffers 128MB): room for the bulk
// load's index builds and WAL, set with ALTER SYSTEM.
var Settings = [][2]string{
	{"maintenance_work_mem", "1GB"},
	{"max_wal_size", "16GB"},
	{"checkpoint_timeout", "30min"},
	{"work_mem", "64MB"},
}

// Ledger names, in the report.
const (
	Empty         = "empty"
	Partitioned   = "partitioned"
	Unpartitioned = "unpartitioned"
)

// Run starts a private PostgreSQL in a temp folder and, one database at a
// time (each dropped once measured, so that the disk holds one large ledger
// at most), generates the empty ledger, the partitioned one and, with
// cfg.Unpartitioned, the old one, and measures each.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg.Gen.defaults()
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	cfg.Gen.Log = cfg.Log
	rep := Report{Date: time.Now().UTC(), Command: cfg.Command, Votes: cfg.Gen.Votes, Editions: cfg.Gen.Editions,
		Nominees: cfg.Gen.Nominees, Seed: cfg.Gen.Seed, FlushBatch: cfg.FlushBatch, QueryRepeats: cfg.QueryRepeats,
		Machine: stack.ThisMachine(), Fsync: "on", SynchronousCommit: "on"}
	for _, s := range Settings {
		rep.Settings = append(rep.Settings, s[0]+" = "+s[1])
	}
	bin, err := stack.PostgresBin()
	if err != nil {
		return rep, err
	}
	dir, err := os.MkdirTemp(cfg.TempDir, "prizes-ledgerscale-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return rep, err
	}
	pg, err := stack.StartPostgres(ctx, bin, filepath.Join(dir, "pg"))
	if err != nil {
		return rep, err
	}
	defer pg.Stop(stack.Fast)
	admin, err := pgxpool.New(ctx, pg.URL("postgres"))
	if err != nil {
		return rep, err
	}
	defer admin.Close()
	for _, s := range Settings {
		if _, err := admin.Exec(ctx, fmt.Sprintf("ALTER SYSTEM SET %s = '%s'", s[0], s[1])); err != nil {
			return rep, err
		}
	}
	if _, err := admin.Exec(ctx, `SELECT pg_reload_conf()`); err != nil {
		return rep, err
	}
	if err := admin.QueryRow(ctx, `SHOW server_version`).Scan(&rep.Machine.Postgres); err != nil {
		return rep, err
	}
	targets := []struct {
		name  string
		votes int64
		upTo  int
	}{{Empty, 0, 0}, {Partitioned, cfg.Gen.Votes, 0}}
	if cfg.Unpartitioned {
		targets = append(targets, struct {
			name  string
			votes int64
			upTo  int
		}{Unpartitioned, cfg.Gen.Votes, 7})
	}
	for _, t := range targets {
		fmt.Fprintf(cfg.Log, "ledger %s: %d votes\n", t.name, t.votes)
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+t.name); err != nil {
			return rep, err
		}
		m, err := measureLedger(ctx, cfg, pg.URL(t.name), t.name, t.votes, t.upTo)
		if err != nil {
			return rep, fmt.Errorf("ledger %s: %w", t.name, err)
		}
		rep.Ledgers = append(rep.Ledgers, m)
		if cfg.Measured != nil {
			if err := cfg.Measured(rep); err != nil {
				return rep, err
			}
		}
		if _, err := admin.Exec(ctx, "DROP DATABASE "+t.name); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// measureLedger generates one ledger on the database at url and measures
// it.
func measureLedger(ctx context.Context, cfg Config, url, name string, votes int64, upTo int) (LedgerReport, error) {
	m := LedgerReport{Name: name, Votes: votes, Timings: map[string]Timing{}}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return m, err
	}
	defer pool.Close()
	if err := Migrate(ctx, pool, upTo); err != nil {
		return m, err
	}
	gen := cfg.Gen
	gen.Votes = votes
	l, err := Generate(ctx, pool, gen)
	if err != nil {
		return m, err
	}
	m.LoadTime = l.LoadTime
	if err := pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&m.Bytes); err != nil {
		return m, err
	}
	m.Edition = l.Closed[len(l.Closed)-1]
	m.EditionVotes = l.Votes[m.Edition]
	ex, err := newExplainer(ctx, url)
	if err != nil {
		return m, err
	}
	defer ex.pool.Close()
	for _, q := range queries {
		fmt.Fprintf(cfg.Log, "ledger %s: %s\n", name, q.name)
		if m.Timings[q.name], err = q.time(ctx, pool, m.Edition, cfg.QueryRepeats); err != nil {
			return m, err
		}
		plans, err := ex.explain(ctx, q, m.Edition)
		if err != nil {
			return m, err
		}
		m.Plans = append(m.Plans, plans...)
	}
	fmt.Fprintf(cfg.Log, "ledger %s: flush batches\n", name)
	if m.Timings["flush"], err = flushBatches(ctx, pool, l, cfg.FlushBatch, cfg.FlushRepeats, cfg.FlushWarmup); err != nil {
		return m, err
	}
	if votes == 0 {
		return m, nil
	}
	fmt.Fprintf(cfg.Log, "ledger %s: publish\n", name)
	began := time.Now()
	if err := l.Publish(ctx, pool); err != nil {
		return m, err
	}
	m.Timings["publish"] = Timing{Runs: []time.Duration{time.Since(began)}}
	fmt.Fprintf(cfg.Log, "ledger %s: verify\n", name)
	if m.Timings[verifyQuery.name], err = verifyQuery.time(ctx, pool, m.Edition, cfg.QueryRepeats); err != nil {
		return m, err
	}
	plans, err := ex.explain(ctx, verifyQuery, m.Edition)
	if err != nil {
		return m, err
	}
	m.Plans = append(m.Plans, plans...)
	return m, nil
}
