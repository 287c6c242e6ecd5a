package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/internal/testenv"
)

// TestServe_votingEnds: two nodes take a steady stream of votes while the
// published voting end, set a moment ahead, passes. No vote cast at or after
// the end is in the ledger, every 202 before it is counted, and every vote
// after it is refused with voting_closed on both nodes, without waiting for
// the schedule's tick to change the phase.
func TestServe_votingEnds(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	nodes := []*server{d.serve(), d.serve()}
	tokens := d.voters(1000)
	bs := ballots(tokens, nodes[0].projects(t), 18)

	pool, err := pgxpool.New(context.Background(), d.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	end := time.Now().Add(1500 * time.Millisecond).UTC().Truncate(time.Millisecond)
	if _, err := pool.Exec(context.Background(), `UPDATE editions
		SET schedule = jsonb_build_object('voting', jsonb_build_object('end', $1::text)) WHERE id = 'demo'`,
		end.Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}

	// Each node gets half the ballots, sent until a second past the end.
	stop := make(chan struct{})
	time.AfterFunc(time.Until(end.Add(time.Second)), func() { close(stop) })
	results := make([][]voteResult, len(nodes))
	var wg sync.WaitGroup
	for i, s := range nodes {
		part := bs[i*len(bs)/len(nodes) : (i+1)*len(bs)/len(nodes)]
		wg.Go(func() { results[i] = s.cast(part, 8, stop) })
	}
	wg.Wait()

	var all []voteResult
	for i, rs := range results {
		var ok, closed, unsent int
		for _, r := range rs {
			switch {
			case r.status == http.StatusAccepted:
				ok++
			case r.status == http.StatusForbidden && r.code == "voting_closed":
				closed++
			case r.err != nil && r.err.Error() == "not sent":
				unsent++
			default:
				t.Errorf("node %d: vote for %s answered %d %q (%v)", i, r.project, r.status, r.code, r.err)
			}
		}
		if ok == 0 || closed == 0 || unsent == 0 {
			t.Fatalf("node %d: %d accepted, %d refused as closed, %d not sent; want some of each (a stream across the end)", i, ok, closed, unsent)
		}
		t.Logf("node %d: %d accepted before the end, %d refused after it", i, ok, closed)
		all = append(all, rs...)
	}

	ids, want := accepted(all)
	d.waitLedger(ids, 60*time.Second)
	var late, total int
	var last time.Time
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE cast_at >= $1), count(*), max(cast_at)
		FROM votes WHERE edition_id = 'demo'`, end).Scan(&late, &total, &last); err != nil {
		t.Fatal(err)
	}
	if late != 0 || total != len(ids) {
		t.Errorf("ledger: %d votes, %d of them cast at or after the end %v; want the %d accepted, none late", total, late, end, len(ids))
	}
	t.Logf("last vote in the ledger cast %v before the end", end.Sub(last))
	checkRecount(t, d.recount(), want)

	var check struct {
		Converged     bool  `json:"converged"`
		OutsideWindow int64 `json:"outside_window"`
	}
	if err := json.Unmarshal([]byte(d.run("check", "--edition", "demo")), &check); err != nil {
		t.Fatal(err)
	}
	if !check.Converged || check.OutsideWindow != 0 {
		t.Errorf("check: %+v; want converged, no vote outside the window", check)
	}
}
