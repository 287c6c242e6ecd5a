package ledgerscale_test

import (
	"context"
	"testing"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/loadtest/ledgerscale"
)

// TestGenerate_verify generates a small ledger and checks that what the
// generator wrote straight into the tables is a ledger prizes accepts: every
// vote in its edition's partition, each edition's log numbered densely up
// to its head, and the measured edition's published results passing
// prizes recount --verify.
func TestGenerate_verify(t *testing.T) {
	ctx := context.Background()
	pool := testenv.Postgres(t)
	l, err := ledgerscale.Generate(ctx, pool, ledgerscale.GenConfig{Votes: 50_000, Editions: 2, Seed: 1, Chunk: 20_000})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Closed) != 2 || l.Votes[l.Closed[0]]+l.Votes[l.Closed[1]] != 50_000 {
		t.Fatalf("closed editions %v holding %v; want 2 holding 50,000 votes", l.Closed, l.Votes)
	}
	for _, e := range l.Closed {
		var n, distinct, top, head, outside int64
		err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT leaf_index), coalesce(max(leaf_index), -1),
				(SELECT size FROM log_heads WHERE edition_id = $1),
				count(*) FILTER (WHERE tableoid::regclass::text <> votes_partition_name($1))
			FROM votes WHERE edition_id = $1`, e).Scan(&n, &distinct, &top, &head, &outside)
		if err != nil {
			t.Fatal(err)
		}
		if n != l.Votes[e] || distinct != n || top != n-1 || head != n || outside != 0 {
			t.Errorf("%s: %d votes, %d distinct leaves, top leaf %d, head %d, %d outside its partition; want %d votes numbered 0 to the head's size less one, all inside",
				e, n, distinct, top, head, outside, l.Votes[e])
		}
	}
	if err := l.Publish(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := l.Verify(ctx, pool); err != nil {
		t.Fatal(err)
	}
}
