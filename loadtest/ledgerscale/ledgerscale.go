// Package ledgerscale measures the votes ledger at scale: it generates a
// ledger of many editions and up to a hundred million votes straight into
// PostgreSQL with binary COPY (not through the API), then times what reads
// and writes the ledger (prizes recount and --verify, the tally, the
// Champions, the results digest and a flush batch) against the same
// queries on an empty ledger, and on the unpartitioned table of migrations
// 0001 to 0007 holding the same votes, and keeps each query's plan.
package ledgerscale

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/deploy/migrations"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	vpg "github.com/wsisvote/prizes/voting/postgres"
)

// GenConfig is the shape of a generated ledger.
type GenConfig struct {
	// Votes is how many votes the closed editions hold together.
	Votes int64
	// Editions is how many closed editions share them, equally.
	Editions int
	// Nominees is how many nominees each of the 18 categories has.
	Nominees int
	// Popularity is the exponent of the nominees' power-law popularity.
	Popularity float64
	// Seed makes the votes reproducible.
	Seed uint64
	// Chunk is how many rows each COPY statement carries.
	Chunk int64
	// Log receives progress lines.
	Log io.Writer
}

func (c *GenConfig) defaults() {
	if c.Editions <= 0 {
		c.Editions = 5
	}
	if c.Nominees <= 0 {
		c.Nominees = 20
	}
	if c.Popularity <= 0 {
		c.Popularity = 1.1
	}
	if c.Chunk <= 0 {
		c.Chunk = 1_000_000
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
}

// Ledger is what Generate made.
type Ledger struct {
	// Closed are the editions holding the votes, oldest first, all in
	// counting; the last is the one measured.
	Closed []string
	// Live is an edition voting, with no votes, that flush batches go to.
	Live string
	// Votes is how many votes each closed edition holds.
	Votes map[string]int64
	// LoadTime is how long the votes' COPY took.
	LoadTime time.Duration
	// NextVoter is an account id above every generated voter's.
	NextVoter int64
	// people take the editions through their lifecycle.
	people people
}

// votesPerVoter is about how many votes a generated voter casts: the share
// voting in all 18 categories, the others in 1 to 17.
const votesPerVoter = fullBallot*18 + (1-fullBallot)*9

// editionID names the i-th generated edition.
func editionID(i int) string { return fmt.Sprintf("scale-%d", 2021+i) }

// Generate creates cfg.Editions editions with the WSIS categories through
// the prizes store, loads their votes with COPY and closes their voting,
// and opens one more edition for flush batches. Each edition's voters are
// new accounts and, for half of them, the previous edition's. With
// cfg.Votes zero, the editions are created without votes.
func Generate(ctx context.Context, pool *pgxpool.Pool, cfg GenConfig) (Ledger, error) {
	cfg.defaults()
	store := ppg.New(pool, ppg.Options{})
	l := Ledger{Votes: map[string]int64{}}
	var err error
	if l.people, err = enrol(ctx, pool); err != nil {
		return l, err
	}
	per := cfg.Votes / int64(cfg.Editions)
	voters := int64(float64(per)/votesPerVoter*1.05) + 1
	first := int64(1_000)
	l.NextVoter = first + voters*int64(cfg.Editions+1)/2 + voters
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return l, err
	}
	defer conn.Release()
	if cfg.Votes > 0 {
		if err := loadVoters(ctx, conn.Conn(), first, l.NextVoter-first); err != nil {
			return l, err
		}
	}
	for i := range cfg.Editions {
		id := editionID(i)
		cats, projects, err := openEdition(ctx, store, l.people, id, cfg.Nominees)
		if err != nil {
			return l, fmt.Errorf("open edition %s: %w", id, err)
		}
		n := per
		if i == cfg.Editions-1 {
			n = cfg.Votes - per*int64(cfg.Editions-1)
		}
		if n > 0 {
			b := newBallot(id, cats, projects, cfg.Popularity, newRand(cfg.Seed, uint64(i)))
			start := time.Date(2021+i, 3, 1, 0, 0, 0, 0, time.UTC)
			v := newVotes(&b, cfg.Seed+uint64(i)*7919, n, first+int64(i)*voters/2, start)
			began := time.Now()
			if err := copyVotes(ctx, conn.Conn(), v, cfg.Chunk, func(done int64) {
				fmt.Fprintf(cfg.Log, "%s: %d of %d votes, %.0f votes/s\n", id, done, n, float64(done)/time.Since(began).Seconds())
			}); err != nil {
				return l, err
			}
			l.LoadTime += time.Since(began)
		}
		l.Votes[id] = n
		if err := closeVoting(ctx, store, l.people, id); err != nil {
			return l, fmt.Errorf("close voting of %s: %w", id, err)
		}
		l.Closed = append(l.Closed, id)
	}
	if _, err := conn.Exec(ctx, `ANALYZE`); err != nil {
		return l, fmt.Errorf("analyze: %w", err)
	}
	l.Live = editionID(cfg.Editions)
	if _, _, err := openEdition(ctx, store, l.people, l.Live, cfg.Nominees); err != nil {
		return l, fmt.Errorf("open edition %s: %w", l.Live, err)
	}
	return l, nil
}

// Publish takes the measured edition (the last closed one) from counting to
// published: Champions chosen from the ledger, the jury's scores, and the
// signed results.
func (l Ledger) Publish(ctx context.Context, pool *pgxpool.Pool) error {
	store := ppg.New(pool, ppg.Options{})
	id := l.Closed[len(l.Closed)-1]
	if err := judge(ctx, store, l.people, id); err != nil {
		return fmt.Errorf("jury of %s: %w", id, err)
	}
	if err := publish(ctx, store, l.people, id); err != nil {
		return fmt.Errorf("publish %s: %w", id, err)
	}
	return nil
}

// Verify is prizes recount --verify of the measured edition: it returns an
// error unless the results recomputed from the ledger match the signed
// ones.
func (l Ledger) Verify(ctx context.Context, pool *pgxpool.Pool) error {
	id := l.Closed[len(l.Closed)-1]
	v, err := ppg.New(pool, ppg.Options{}).VerifyResults(ctx, id)
	if err != nil {
		return fmt.Errorf("verify %s: %w", id, err)
	}
	if !v.OK() {
		return fmt.Errorf("verify %s: the results recomputed from the ledger differ from the signed ones", id)
	}
	return nil
}

// Migrate applies the migrations numbered up to upTo (every one when 0),
// as prizes migrate does: 7 gives the unpartitioned ledger.
func Migrate(ctx context.Context, pool *pgxpool.Pool, upTo int) error {
	if upTo == 0 {
		_, err := migrations.Apply(ctx, pool)
		return err
	}
	all, err := migrations.All()
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	for _, m := range all {
		if m.Version > upTo {
			break
		}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", m.Name, err)
		}
	}
	return nil
}

// ledgerStore is the voting adapter on pool, as prizes recount and the
// flusher use it.
func ledgerStore(pool *pgxpool.Pool) *vpg.Store { return vpg.New(pool) }
