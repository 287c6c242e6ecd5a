package main_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
)

// TestServe_fraudSchedule: serve nodes analyse the ledger of an edition that
// is voting on their schedule (every second here), each run reading every
// vote; what a run stores is tested with prizes fraud analyze, which stores
// the same way, and the lock that lets one node at a time run is tested in
// antifraud/postgres.
func TestServe_fraudSchedule(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	nodes := []*server{d.serve("PRIZES_FRAUD_ANALYZE_EVERY=1s"), d.serve("PRIZES_FRAUD_ANALYZE_EVERY=1s")}
	project := nodes[0].projects(t)[0].ID
	var ids []string
	for _, tok := range d.voters(5) {
		r := nodes[0].vote(tok, project)
		if r.status != http.StatusAccepted {
			t.Fatalf("vote: %+v", r)
		}
		ids = append(ids, r.voteID)
	}
	d.waitLedger(ids, 10*time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		runs := 0
		for _, s := range nodes {
			runs += strings.Count(s.logText(), `msg="fraud analysis" edition=demo votes=5 `)
		}
		if runs >= 3 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d scheduled analyses of the 5 votes after 30 s; want at least 3\n%s\n%s", runs, nodes[0].logText(), nodes[1].logText())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
