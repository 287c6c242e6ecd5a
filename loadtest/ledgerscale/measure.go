package ledgerscale

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/prizes"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/voting"
)

// Timing is a measure repeated: each run's duration, in order.
type Timing struct {
	Runs []time.Duration `json:"runs"`
}

// Median returns the middle run, the mean of the two middle ones when
// their number is even.
func (t Timing) Median() time.Duration {
	xs := make([]float64, len(t.Runs))
	for i, d := range t.Runs {
		xs[i] = float64(d)
	}
	return time.Duration(loadtest.Median(xs))
}

// Quantile returns the run at quantile q (nearest rank).
func (t Timing) Quantile(q float64) time.Duration {
	if len(t.Runs) == 0 {
		return 0
	}
	s := slices.Clone(t.Runs)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// Plan is the plan PostgreSQL ran a statement of a measure with, as
// EXPLAIN (ANALYZE, BUFFERS) prints it.
type Plan struct {
	Measure string `json:"measure"`
	Text    string `json:"text"`
}

// query is one measured read of the ledger.
type query struct {
	name, what string
	run        func(ctx context.Context, pool *pgxpool.Pool, edition string) error
}

// queries are the reads measured, in the report's order.
var queries = []query{
	{"recount", "`prizes recount`: the counted votes of every nominee, and the votes left out",
		func(ctx context.Context, pool *pgxpool.Pool, edition string) error {
			s := ledgerStore(pool)
			if _, err := s.Recount(ctx, edition); err != nil {
				return err
			}
			_, err := s.Excluded(ctx, edition)
			return err
		}},
	{"tally", "the tally: counted votes and voter countries per nominee",
		func(ctx context.Context, pool *pgxpool.Pool, edition string) error {
			_, err := ledgerStore(pool).Tallies(ctx, edition, false)
			return err
		}},
	{"champions", "the Champions: the preview organisers see while counting (tally, invalidations, window)",
		func(ctx context.Context, pool *pgxpool.Pool, edition string) error {
			_, err := ppg.New(pool, ppg.Options{}).PreviewChampions(ctx, edition)
			return err
		}},
	{"digest", "the results digest: every vote of the edition in id order, hashed",
		func(ctx context.Context, pool *pgxpool.Pool, edition string) error {
			h := prizes.NewLedgerHasher(voting.Window{})
			return ledgerStore(pool).EachVote(ctx, edition, func(v voting.Vote) error { h.Add(v); return nil })
		}},
}

// verifyQuery is prizes recount --verify, measured once the edition is
// published.
var verifyQuery = query{"verify", "`prizes recount --verify`: the results recomputed from the ledger and checked against the signed ones",
	func(ctx context.Context, pool *pgxpool.Pool, edition string) error {
		v, err := ppg.New(pool, ppg.Options{}).VerifyResults(ctx, edition)
		if err == nil && !v.OK() {
			err = fmt.Errorf("the results of %s do not verify", edition)
		}
		return err
	}}

// time runs q repeats times on edition.
func (q query) time(ctx context.Context, pool *pgxpool.Pool, edition string, repeats int) (Timing, error) {
	var t Timing
	for range repeats {
		began := time.Now()
		if err := q.run(ctx, pool, edition); err != nil {
			return t, fmt.Errorf("%s of %s: %w", q.name, edition, err)
		}
		t.Runs = append(t.Runs, time.Since(began))
	}
	return t, nil
}

// explainer is a pool whose sessions have auto_explain print the plan of
// every statement, with actual times and buffers, as a notice, which it
// collects: the plans of the statements the code runs, as it runs them.
type explainer struct {
	pool  *pgxpool.Pool
	mu    sync.Mutex
	plans []string
}

func newExplainer(ctx context.Context, url string) (*explainer, error) {
	e := &explainer{}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	cfg.ConnConfig.OnNotice = func(_ *pgconn.PgConn, n *pgconn.Notice) {
		if strings.Contains(n.Message, "plan:") {
			e.mu.Lock()
			e.plans = append(e.plans, n.Message)
			e.mu.Unlock()
		}
	}
	cfg.ConnConfig.RuntimeParams["client_min_messages"] = "notice"
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		return c.PgConn().Exec(ctx, `LOAD 'auto_explain';
			SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;
			SET auto_explain.log_buffers = on; SET auto_explain.log_level = notice`).Close()
	}
	if e.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// explain runs q once and returns the plans of its statements that read
// the votes table.
func (e *explainer) explain(ctx context.Context, q query, edition string) ([]Plan, error) {
	e.mu.Lock()
	e.plans = nil
	e.mu.Unlock()
	if err := q.run(ctx, e.pool, edition); err != nil {
		return nil, fmt.Errorf("explain %s: %w", q.name, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []Plan
	for _, p := range e.plans {
		if strings.Contains(p, " on votes") || strings.Contains(p, " on votes_") {
			out = append(out, Plan{Measure: q.name, Text: p})
		}
	}
	return out, nil
}

// flushBatches times repeats batches of size new votes written into the
// live edition as the flusher writes them (voting/postgres Insert, the
// transparency log on: the log head locked, one binary COPY), each vote
// from a voter of its own. The first warmup batches are left out.
func flushBatches(ctx context.Context, pool *pgxpool.Pool, l Ledger, size, repeats, warmup int) (Timing, error) {
	store := ledgerStore(pool)
	snap, err := store.LoadSnapshot(ctx)
	if err != nil {
		return Timing{}, err
	}
	var projects []voting.Project
	for _, c := range snap.Categories(l.Live) {
		for _, p := range snap.Projects(l.Live, c.Code) {
			if p.Nominated {
				projects = append(projects, p)
			}
		}
	}
	if len(projects) == 0 {
		return Timing{}, fmt.Errorf("flush batches: edition %s has no nominee", l.Live)
	}
	rng := newRand(uint64(size), 99)
	voter := l.NextVoter
	var t Timing
	at := time.Now().UTC().Truncate(time.Microsecond)
	for i := range warmup + repeats {
		batch := make([]voting.Vote, size)
		for j := range batch {
			p := projects[rng.IntN(len(projects))]
			voter++
			batch[j] = voting.Vote{ID: uuid.Must(uuid.NewV7()).String(), Edition: l.Live, VoterID: voter,
				ProjectID: p.ID, Category: p.Category, Slot: p.Category, Status: voting.StatusCounted, CastAt: at,
				Client: voting.Client{Network: "198.51.100.0/24", UserAgent: userAgents[j%len(userAgents)], AccountAge: time.Hour}}
		}
		began := time.Now()
		n, err := store.Insert(ctx, batch)
		if err != nil {
			return t, fmt.Errorf("flush batch: %w", err)
		}
		if n != size {
			return t, fmt.Errorf("flush batch: %d of %d votes written", n, size)
		}
		if i >= warmup {
			t.Runs = append(t.Runs, time.Since(began))
		}
	}
	return t, nil
}
