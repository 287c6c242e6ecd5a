package ledgerscale

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/transparency"
	"github.com/wsisvote/prizes/voting"
)

// ballot is one edition's ballot as the generator draws from it: per
// category, the nominees' ids and the cumulative weights of their
// power-law popularity.
type ballot struct {
	edition    string
	categories []string
	projects   [][]string
	uuids      [][][16]byte
	cumulative [][]float64
}

// newBallot returns the ballot of edition with the nominees of each
// category (given in ballot order) weighted by a power law of exponent s:
// the nominee of rank r gets 1/r^s, ranks shuffled with rng so that the
// favourite is not always the first entered.
func newBallot(edition string, categories []string, projects [][]string, s float64, rng *rand.Rand) ballot {
	b := ballot{edition: edition, categories: categories, projects: projects}
	for _, ps := range projects {
		ids := make([][16]byte, len(ps))
		for i, p := range ps {
			ids[i] = uuid.MustParse(p)
		}
		b.uuids = append(b.uuids, ids)
		ranks := rng.Perm(len(ps))
		cum := make([]float64, len(ps))
		total := 0.0
		for i := range ps {
			total += 1 / math.Pow(float64(ranks[i]+1), s)
			cum[i] = total
		}
		for i := range cum {
			cum[i] /= total
		}
		b.cumulative = append(b.cumulative, cum)
	}
	return b
}

// pick draws a nominee of category c, as its index in b.projects[c].
func (b *ballot) pick(c int, rng *rand.Rand) int {
	u := rng.Float64()
	cum := b.cumulative[c]
	for i, w := range cum {
		if u < w {
			return i
		}
	}
	return len(cum) - 1
}

// userAgents are the browsers the generated votes come from.
var userAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14) Chrome/120.0 Mobile",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Safari/605.1.15",
	"Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0",
}

// ledgerColumns are the votes columns the generator writes, in COPY order:
// the flusher's, with the leaf index.
var ledgerColumns = []string{
	"id", "edition_id", "voter_id", "project_id", "category_code", "slot", "status",
	"reasons", "cast_at", "client_net", "user_agent", "device_hint", "account_age_s", "leaf_index",
}

// votes is the stream of one edition's generated votes, a pgx.CopyFromSource:
// voter after voter, each voting in all the categories (a fullBallot share
// of them) or in a few, cast over the voting month, numbered densely from 0 in the
// edition's log in stream order and fed to the log head as they go.
type votes struct {
	b      *ballot
	rng    *rand.Rand
	target int64
	// voter is the current voter's account id; the next voter's is one more.
	voter int64
	start time.Time
	month time.Duration

	n       int64
	pending []int
	row     []any
	uuid    [16]byte
	head    transparency.Head
	leaves  [][]byte
	err     error
}

// fullBallot is the share of voters who vote in every category.
const fullBallot = 0.4

// newVotes returns the stream of target votes on ballot b, cast in the
// month from start by voters firstVoter, firstVoter+1, and so on.
func newVotes(b *ballot, seed uint64, target, firstVoter int64, start time.Time) *votes {
	return &votes{b: b, rng: newRand(seed, 1), target: target, voter: firstVoter - 1,
		start: start, month: 30 * 24 * time.Hour, row: make([]any, len(ledgerColumns))}
}

// newRand returns the generator's random source for seed and stream.
func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// Next moves to the next vote, the next voter's when the current one has
// voted in each category it chose.
func (v *votes) Next() bool {
	if v.n >= v.target || v.err != nil {
		return false
	}
	if len(v.pending) == 0 {
		v.voter++
		k := len(v.b.categories)
		if v.rng.Float64() >= fullBallot {
			k = 1 + v.rng.IntN(len(v.b.categories)-1)
		}
		v.pending = v.rng.Perm(len(v.b.categories))[:k]
	}
	c := v.pending[0]
	v.pending = v.pending[1:]
	v.fill(c)
	v.n++
	if len(v.leaves) == cap(v.leaves) || v.n == v.target {
		v.flushLeaves()
	}
	return true
}

// fill builds the current vote, in category c, into v.row.
func (v *votes) fill(c int) {
	at := v.start.Add(time.Duration(v.rng.Int64N(int64(v.month)))).Truncate(time.Microsecond)
	id := v.newID(at)
	p := v.b.pick(c, v.rng)
	project := v.b.projects[c][p]
	category := v.b.categories[c]
	status, reasons := voting.StatusCounted, []string{}
	switch u := v.rng.Float64(); {
	case u < 0.01:
		status, reasons = voting.StatusInvalidated, []string{"ring"}
	case u < 0.04:
		status, reasons = voting.StatusFlagged, []string{"burst"}
	}
	net := fmt.Sprintf("198.%d.%d.0/24", 18+v.voter%2, (v.voter/2)%256)
	v.row[0] = [16]byte(id)
	v.row[1] = v.b.edition
	v.row[2] = v.voter
	v.row[3] = v.b.uuids[c][p]
	v.row[4] = category
	v.row[5] = category
	v.row[6] = string(status)
	v.row[7] = reasons
	v.row[8] = at
	v.row[9] = net
	v.row[10] = userAgents[v.voter%int64(len(userAgents))]
	v.row[11] = ""
	v.row[12] = 86_400 + v.voter%(365*86_400)
	v.row[13] = v.n
	if v.leaves == nil {
		v.leaves = make([][]byte, 0, 1<<16)
	}
	v.leaves = append(v.leaves, transparency.LeafHash(transparency.LeafData(transparency.Receipt(id.String()), project, category)))
}

// newID returns a version 7 UUID for a vote cast at at, its random bits
// from the generator's source so that a run is reproducible.
func (v *votes) newID(at time.Time) uuid.UUID {
	binary.BigEndian.PutUint64(v.uuid[0:8], uint64(at.UnixMilli())<<16|v.rng.Uint64()&0xffff)
	binary.BigEndian.PutUint64(v.uuid[8:16], v.rng.Uint64())
	v.uuid[6] = v.uuid[6]&0x0f | 0x70
	v.uuid[8] = v.uuid[8]&0x3f | 0x80
	return uuid.UUID(v.uuid)
}

// flushLeaves appends the leaves gathered so far to the log head.
func (v *votes) flushLeaves() {
	if len(v.leaves) == 0 {
		return
	}
	next, err := v.head.Append(v.leaves)
	if err != nil {
		v.err = fmt.Errorf("log head: %w", err)
		return
	}
	v.head = next
	v.leaves = v.leaves[:0]
}

// Values returns the current vote's columns.
func (v *votes) Values() ([]any, error) { return v.row, nil }

// Err returns the error that ended the stream, if any.
func (v *votes) Err() error { return v.err }

var _ pgx.CopyFromSource = (*votes)(nil)

// chunk is a CopyFromSource of at most size rows of v, so that a load is
// many COPY statements, each a transaction of its own.
type chunk struct {
	v    *votes
	left int64
}

func (c *chunk) Next() bool {
	if c.left == 0 {
		return false
	}
	c.left--
	return c.v.Next()
}
func (c *chunk) Values() ([]any, error) { return c.v.Values() }
func (c *chunk) Err() error             { return c.v.Err() }

// copyVotes streams v into the votes table of conn in COPY statements of
// chunkRows rows, then stores the edition's log head, and reports the
// progress with report after each chunk.
func copyVotes(ctx context.Context, conn *pgx.Conn, v *votes, chunkRows int64, report func(done int64)) error {
	for v.n < v.target {
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"votes"}, ledgerColumns, &chunk{v: v, left: chunkRows}); err != nil {
			return fmt.Errorf("copy votes of %s: %w", v.b.edition, err)
		}
		if v.err != nil {
			return v.err
		}
		report(v.n)
	}
	_, err := conn.Exec(ctx, `INSERT INTO log_heads (edition_id, size, hashes) VALUES ($1, $2, $3)
		ON CONFLICT (edition_id) DO UPDATE SET size = excluded.size, hashes = excluded.hashes`,
		v.b.edition, int64(v.head.Size), v.head.Hashes)
	if err != nil {
		return fmt.Errorf("store log head of %s: %w", v.b.edition, err)
	}
	return nil
}
