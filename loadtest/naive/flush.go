package naive

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/stack"
	vredis "github.com/wsisvote/prizes/voting/redis"
)

// Flush compares the flusher with a raw COPY of the same rows, over rounds
// that each fill the vote log, flush it and copy what was flushed.
//
// The flusher is timed two ways. Steady state is read from the ledger
// afterwards: every batch is a transaction of its own, and committed_at is
// its start, so the time from the first batch's start to the last one's,
// and the votes of every batch but the last, give the rate at which the
// flusher moves votes once it is writing, unperturbed by any watching. That
// is the flusher's throughput, and what FlushOverCopy holds against the raw
// COPY. Process start included runs from starting prizes flush until the
// vote log is empty, every vote committed and acknowledged, as an operator
// who starts a flusher on a backlog sees it.
type Flush struct {
	// VotesPerRound is how many votes each round asks the vote path for.
	VotesPerRound int64        `json:"votes_per_round"`
	Rounds        []FlushRound `json:"rounds"`
	// The rates are medians over the rounds; the ratios are medians of
	// each round's ratio.
	SteadyPerS float64 `json:"flusher_steady_votes_per_s"`
	WallPerS   float64 `json:"flusher_with_start_votes_per_s"`
	CopyPerS   float64 `json:"copy_rows_per_s"`
	// FirstBatch is the median time from starting prizes flush to the
	// start of its first batch's transaction.
	FirstBatch time.Duration `json:"first_batch_ns"`
	// FlushOverCopy is the steady state flusher over the raw COPY, the
	// figure the target applies to; WallOverCopy counts the process start
	// in the flusher's time.
	FlushOverCopy float64 `json:"flush_over_copy"`
	WallOverCopy  float64 `json:"flush_with_start_over_copy"`
}

// FlushRound is one fill, flush and copy.
type FlushRound struct {
	Votes int64 `json:"votes"`
	// Wall is from starting prizes flush until the vote log was empty.
	Wall     time.Duration `json:"flusher_wall_ns"`
	WallPerS float64       `json:"flusher_with_start_votes_per_s"`
	// FirstBatch is from starting prizes flush to the start of its first
	// batch's transaction, both on PostgreSQL's clock.
	FirstBatch time.Duration `json:"first_batch_ns"`
	// Steady is from the start of the first batch's transaction to the
	// start of the last one's; SteadyVotes are the votes of every batch
	// but the last, which were committed in that time.
	Steady      time.Duration `json:"flusher_steady_ns"`
	SteadyVotes int64         `json:"flusher_steady_votes"`
	SteadyPerS  float64       `json:"flusher_steady_votes_per_s"`
	Batches     int           `json:"flusher_batches"`
	CopyRows    int64         `json:"copy_rows"`
	CopyTime    time.Duration `json:"copy_ns"`
	CopyPerS    float64       `json:"copy_rows_per_s"`
	// The CPU figures are microseconds per vote (or row), from /proc:
	// the flusher, Redis and PostgreSQL from starting the flusher until
	// the log was empty, and PostgreSQL and the COPY's client during the
	// COPY. A figure that could not be read is zero.
	FlusherCPU      float64 `json:"flusher_cpu_us_per_vote"`
	RedisCPU        float64 `json:"redis_cpu_us_per_vote"`
	PostgresCPU     float64 `json:"postgres_cpu_us_per_vote"`
	CopyPostgresCPU float64 `json:"copy_postgres_cpu_us_per_row"`
	CopyClientCPU   float64 `json:"copy_client_cpu_us_per_row"`
	SteadyOverCopy  float64 `json:"steady_over_copy"`
	WallOverCopy    float64 `json:"with_start_over_copy"`
}

// logPoll is how often the vote log's backlog is read while the flusher
// runs: a pipeline of two cheap commands per shard, which costs Redis far
// less than a scrape of the flusher's metrics would cost the flusher.
const logPoll = 10 * time.Millisecond

// flush measures the flusher against a raw COPY, cfg.FlushRounds times, with
// serve's own flusher off so that only prizes flush moves the votes.
func (c *comparison) flush(ctx context.Context, w loadtest.Workload) error {
	f := &c.rep.Flush
	f.VotesPerRound = c.cfg.FlushVotes
	// The log is watched through the vote store itself, under the run's
	// prefix, as prizes check would read it.
	log, err := vredis.New(ctx, c.redis.Client, vredis.Options{Shards: shards, Prefix: redisPrefix, Consumer: "naive-watch"})
	if err != nil {
		return fmt.Errorf("naive compare: watch the vote log: %w", err)
	}
	defer log.Close()
	// The rounds start from a vacuumed database, so that autovacuum is
	// not still busy with the earlier runs' votes while one is timed.
	if _, err := c.db.Exec(ctx, "VACUUM (ANALYZE)"); err != nil {
		return fmt.Errorf("naive compare: %w", err)
	}
	for i := 1; i <= c.cfg.FlushRounds; i++ {
		r, err := c.flushRound(ctx, i, w, log)
		if err != nil {
			return err
		}
		f.Rounds = append(f.Rounds, r)
	}
	var steady, wall, cp, first, so, wo []float64
	for _, r := range f.Rounds {
		steady, wall, cp = append(steady, r.SteadyPerS), append(wall, r.WallPerS), append(cp, r.CopyPerS)
		first = append(first, float64(r.FirstBatch))
		so, wo = append(so, r.SteadyOverCopy), append(wo, r.WallOverCopy)
	}
	f.SteadyPerS, f.WallPerS, f.CopyPerS = loadtest.Median(steady), loadtest.Median(wall), loadtest.Median(cp)
	f.FirstBatch = time.Duration(loadtest.Median(first))
	f.FlushOverCopy, f.WallOverCopy = loadtest.Median(so), loadtest.Median(wo)
	return nil
}

// flushRound fills the vote log through serve with its flusher off, stops
// serve, times prizes flush moving the votes into the ledger, then times a
// raw COPY of the rows it wrote, read back first, into an empty table of
// the ledger's shape.
func (c *comparison) flushRound(ctx context.Context, round int, w loadtest.Workload, log *vredis.Store) (FlushRound, error) {
	var r FlushRound
	if err := c.waitLog(ctx); err != nil {
		return r, err
	}
	if err := c.serve.Stop(30 * time.Second); err != nil {
		return r, fmt.Errorf("naive compare: restart serve: %w", err)
	}
	if err := c.startServe(ctx, false); err != nil {
		return r, err
	}
	res, err := c.load(ctx, fmt.Sprintf("fill the log %d", round), c.serveAdr, loadtest.Options{Workers: c.cfg.Workers, Requests: c.cfg.FlushVotes}, w)
	if err != nil {
		return r, err
	}
	// A round with fewer votes than asked would time a different flush, and
	// one with none would report a ratio of zero as if measured.
	if got := res.AcceptedTotal(); got < c.cfg.FlushVotes {
		return r, fmt.Errorf("naive compare: fill the log %d: %d votes accepted of %d", round, got, c.cfg.FlushVotes)
	}
	// Serve is stopped so that the flush and the copy have the machine to
	// themselves.
	if err := c.serve.Stop(30 * time.Second); err != nil {
		return r, fmt.Errorf("naive compare: stop serve: %w", err)
	}
	conn, err := pgx.Connect(ctx, c.db.URL)
	if err != nil {
		return r, fmt.Errorf("naive compare: %w", err)
	}
	defer conn.Close(ctx)
	r.Votes = res.AcceptedTotal()
	since, err := c.timeFlusher(ctx, round, conn, log, &r)
	if err != nil {
		return r, err
	}
	// The ledger is vacuumed between the flush and the copy: otherwise
	// autovacuum would take up the flushed rows during the copy, and the
	// flusher's writes would slow the copy it is held against.
	if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) votes"); err != nil {
		return r, fmt.Errorf("naive compare: %w", err)
	}
	if err := c.readBatches(ctx, conn, round, since, &r); err != nil {
		return r, err
	}
	c.logf("flush %d: %d votes in %d batches; steady state %.0f votes/s (%s), process start included %.0f votes/s (%s, first batch after %s)",
		round, r.Votes, r.Batches, r.SteadyPerS, r.Steady.Round(time.Millisecond), r.WallPerS, r.Wall.Round(time.Millisecond),
		r.FirstBatch.Round(time.Millisecond))
	if err := c.rawCopy(ctx, conn, round, since, &r); err != nil {
		return r, err
	}
	if r.CopyRows != r.Votes {
		c.rep.Problems = append(c.rep.Problems, fmt.Sprintf("round %d: the flusher wrote %d rows for %d accepted votes", round, r.CopyRows, r.Votes))
	}
	r.SteadyOverCopy, r.WallOverCopy = ratio(r.SteadyPerS, r.CopyPerS), ratio(r.WallPerS, r.CopyPerS)
	c.logf("raw COPY %d: %d rows in %s, %.0f rows/s; flusher / COPY %.2f steady state, %.2f with process start",
		round, r.CopyRows, r.CopyTime.Round(time.Millisecond), r.CopyPerS, r.SteadyOverCopy, r.WallOverCopy)
	return r, nil
}

// timeFlusher runs prizes flush until the vote log is empty, then stops it.
// It returns PostgreSQL's clock just before the start, which no row of
// this round's batches can precede.
func (c *comparison) timeFlusher(ctx context.Context, round int, conn *pgx.Conn, log *vredis.Store, r *FlushRound) (time.Time, error) {
	env := c.prizes.Env
	if c.cfg.FlushBatch > 0 {
		env = append(slices.Clone(env), "PRIZES_FLUSH_BATCH="+strconv.Itoa(c.cfg.FlushBatch))
	}
	cpu := c.cpu()
	before := cpu.Sample()
	var since time.Time
	if err := conn.QueryRow(ctx, "SELECT now()").Scan(&since); err != nil {
		return since, fmt.Errorf("naive compare: %w", err)
	}
	start := time.Now()
	fl, err := stack.Start("prizes flush", filepath.Join(c.dir, fmt.Sprintf("flush-%d.log", round)), env, c.cfg.Prizes, "flush")
	if err != nil {
		return since, err
	}
	defer fl.Stop(10 * time.Second)
	cpu.PIDs["flusher"] = fl.PID()
	deadline := start.Add(5 * time.Minute)
	for {
		pending, unread, err := log.Backlog(ctx)
		now := time.Now()
		if err == nil && pending+unread == 0 {
			// The flusher's own CPU time is read while it still runs;
			// before only lacks it, and counts as zero.
			after := cpu.Sample()
			before["flusher"] = 0
			r.Wall = now.Sub(start)
			per := func(name string) float64 { return perItem(before, after, name, r.Votes) }
			r.FlusherCPU, r.RedisCPU, r.PostgresCPU = per("flusher"), per("redis"), per("postgres")
			break
		}
		if fl.Exited() || now.After(deadline) {
			return since, fmt.Errorf("naive compare: flush %d: %d log entries still unflushed (%v): %s", round, pending+unread, err, fl.LogTail())
		}
		select {
		case <-ctx.Done():
			return since, fmt.Errorf("naive compare: flush %d: %w", round, ctx.Err())
		case <-time.After(logPoll):
		}
	}
	r.WallPerS = float64(r.Votes) / r.Wall.Seconds()
	if err := fl.Stop(30 * time.Second); err != nil {
		return since, fmt.Errorf("naive compare: %w", err)
	}
	return since, nil
}

// readBatches reads the round's batches back from the ledger: the rows of
// one batch share its transaction's start as committed_at.
func (c *comparison) readBatches(ctx context.Context, conn *pgx.Conn, round int, since time.Time, r *FlushRound) error {
	rows, err := conn.Query(ctx, `SELECT committed_at, count(*) FROM votes WHERE committed_at >= $1
		GROUP BY committed_at ORDER BY committed_at`, since)
	if err != nil {
		return fmt.Errorf("naive compare: read batches: %w", err)
	}
	type batch struct {
		at time.Time
		n  int64
	}
	batches, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (batch, error) {
		var b batch
		err := row.Scan(&b.at, &b.n)
		return b, err
	})
	if err != nil {
		return fmt.Errorf("naive compare: read batches: %w", err)
	}
	var total int64
	for _, b := range batches {
		total += b.n
	}
	if total != r.Votes {
		c.rep.Problems = append(c.rep.Problems, fmt.Sprintf("round %d: the ledger gained %d rows for %d accepted votes", round, total, r.Votes))
	}
	r.Batches = len(batches)
	if len(batches) < 2 {
		c.rep.Problems = append(c.rep.Problems, fmt.Sprintf("round %d: the flusher wrote %d batches, too few for a steady state; use more votes", round, len(batches)))
		return nil
	}
	first, last := batches[0], batches[len(batches)-1]
	r.FirstBatch = first.at.Sub(since)
	r.Steady = last.at.Sub(first.at)
	r.SteadyVotes = total - last.n
	r.SteadyPerS = float64(r.SteadyVotes) / r.Steady.Seconds()
	return nil
}

// rawCopy reads back the rows committed since the flush started and times
// one COPY of them into a fresh table of the ledger's shape, dropped after.
func (c *comparison) rawCopy(ctx context.Context, conn *pgx.Conn, round int, since time.Time, r *FlushRound) error {
	rows, err := conn.Query(ctx, "SELECT * FROM votes WHERE committed_at >= $1", since)
	if err != nil {
		return fmt.Errorf("naive compare: read votes: %w", err)
	}
	cols := make([]string, 0, 16)
	for _, fd := range rows.FieldDescriptions() {
		cols = append(cols, fd.Name)
	}
	var data [][]any
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return fmt.Errorf("naive compare: read votes: %w", err)
		}
		data = append(data, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("naive compare: read votes: %w", err)
	}
	table := fmt.Sprintf("raw_votes_%d", round)
	if _, err := conn.Exec(ctx, "CREATE TABLE "+table+" (LIKE votes INCLUDING ALL)"); err != nil {
		return fmt.Errorf("naive compare: %w", err)
	}
	cpu := c.cpu()
	cpu.PIDs["client"] = os.Getpid()
	before := cpu.Sample()
	t := time.Now()
	n, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(data))
	r.CopyTime = time.Since(t)
	after := cpu.Sample()
	if err != nil {
		return fmt.Errorf("naive compare: raw copy: %w", err)
	}
	r.CopyRows = n
	r.CopyPerS = float64(n) / r.CopyTime.Seconds()
	r.CopyPostgresCPU, r.CopyClientCPU = perItem(before, after, "postgres", n), perItem(before, after, "client", n)
	if _, err := conn.Exec(ctx, "DROP TABLE "+table); err != nil {
		return fmt.Errorf("naive compare: %w", err)
	}
	return nil
}
