package chaos_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/chaos"
)

// flaky is an API that answers each voter's votes its own way: the first
// attempt of odd voters gets a 503, of voters divisible by four no answer
// (the connection is closed), every attempt of voter 6 a 503
// outcome_unknown, and the rest a 202.
type flaky struct {
	mu    sync.Mutex
	tries map[string]int
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ProjectID string `json:"project_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var voter int
	fmt.Sscanf(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer tok"), "%d", &voter)
	key := fmt.Sprintf("%d/%s", voter, body.ProjectID)
	f.mu.Lock()
	f.tries[key]++
	try := f.tries[key]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case voter == 6:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":{"code":"outcome_unknown","message":"m"}}`)
	case voter%2 == 1 && try == 1:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":{"code":"unavailable","message":"m"}}`)
	case voter%4 == 0 && try == 1:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	default:
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"vote_id":"v-%s","status":"accepted"}`, key)
	}
}

func load(t *testing.T, voters int) (*chaos.Load, *loadtest.Ballots) {
	t.Helper()
	srv := httptest.NewServer(&flaky{tries: map[string]int{}})
	t.Cleanup(srv.Close)
	var vs []loadtest.Voter
	for i := 1; i <= voters; i++ {
		vs = append(vs, loadtest.Voter{ID: int64(i), Token: fmt.Sprintf("tok%d", i)})
	}
	ballots, err := loadtest.NewBallots(vs, []loadtest.Project{{ID: "p1", Category: "C1"}, {ID: "p2", Category: "C2"}}, loadtest.BallotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	target, err := loadtest.ParseTarget(srv.URL, "e")
	if err != nil {
		t.Fatal(err)
	}
	return &chaos.Load{Addr: target.Addr, Votes: loadtest.NewVotes(target, ballots), Ballots: ballots,
		Rate: 2000, Workers: 4, Timeout: 5 * time.Second, RetryFor: 300 * time.Millisecond, MaxVotes: int64(2 * voters)}, ballots
}

func TestLoad_Run(t *testing.T) {
	l, _ := load(t, 8)
	votes, exhausted := l.Run(context.Background(), nil)
	if exhausted {
		t.Error("exhausted = true; MaxVotes, not the ballots, ended the run")
	}
	if len(votes) != 16 {
		t.Fatalf("%d votes, want 16", len(votes))
	}
	seen := map[string]bool{}
	for _, v := range votes {
		key := fmt.Sprintf("%d/%s", v.VoterID, v.ProjectID)
		if seen[key] {
			t.Errorf("ballot %s cast twice", key)
		}
		seen[key] = true
		final := v.Final()
		switch {
		case v.VoterID == 6:
			if len(v.Answers) < 2 || final.Code != "outcome_unknown" || final.Outcome() != chaos.Unknown {
				t.Errorf("voter 6: %+v; want several 503 outcome_unknown, retried until RetryFor", v.Answers)
			}
		case v.VoterID%2 == 1:
			if len(v.Answers) != 2 || v.Answers[0].Code != "unavailable" || final.VoteID != "v-"+key {
				t.Errorf("voter %d: %+v; want a 503 then a 202 with vote_id v-%s", v.VoterID, v.Answers, key)
			}
		case v.VoterID%4 == 0:
			if len(v.Answers) != 2 || v.Answers[0].Err == "" || final.VoteID != "v-"+key {
				t.Errorf("voter %d: %+v; want no answer then a 202 with vote_id v-%s", v.VoterID, v.Answers, key)
			}
		default:
			if len(v.Answers) != 1 || final.Status != http.StatusAccepted || final.VoteID != "v-"+key {
				t.Errorf("voter %d: %+v; want one 202 with vote_id v-%s", v.VoterID, v.Answers, key)
			}
		}
	}
}

func TestLoad_Run_stop(t *testing.T) {
	l, ballots := load(t, 8)
	l.Rate = 1
	stop := make(chan struct{})
	time.AfterFunc(100*time.Millisecond, func() { close(stop) })
	votes, _ := l.Run(context.Background(), stop)
	if len(votes) != 1 {
		t.Errorf("%d votes before stop at one a second, want the first only", len(votes))
	}
	if ballots.Used() != 1 {
		t.Errorf("%d ballots handed out, want 1", ballots.Used())
	}
}
