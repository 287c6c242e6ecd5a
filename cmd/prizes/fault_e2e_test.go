package main_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/testenv"
)

// TestServe_faults puts a misbehaving link between prizes serve and Redis,
// then between it and PostgreSQL, while votes stream in, and checks that
// every answer told the truth once the link is healthy again and every
// unsettled vote was retried, as a voter would: each vote answered 202 is in
// the ledger exactly once; a vote answered 503 unavailable was not recorded
// (its retry is a new vote, 202, never the receipt of an earlier one); a
// retried vote gets the receipt of the one recorded before (200); the ledger
// holds every ballot exactly once; and prizes check finds the live counters
// equal to the ledger.
func TestServe_faults(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	redisProxy := testenv.FaultProxy(t, hostPort(t, testenv.RedisURL(t)))
	pgProxy := testenv.FaultProxy(t, hostPort(t, d.dbURL))
	const deadline = 400 * time.Millisecond
	s := d.serve(
		"PRIZES_REDIS_URL=redis://"+redisProxy.Addr+"/0?read_timeout=1s&write_timeout=1s&dial_timeout=1s",
		"PRIZES_DATABASE_URL="+withHost(t, d.dbURL, pgProxy.Addr),
		"PRIZES_REDIS_DEADLINE="+deadline.String(),
	)
	projects := s.projects(t)
	faults := []struct {
		name  string
		proxy *testenv.Fault
		toxic testenv.Toxic
		// refuses says the fault must make some votes go unanswered
		// (503) on their first attempt, or the test did not exercise it.
		refuses bool
	}{
		{"redis stall", redisProxy, testenv.Delay(3 * deadline), true},
		{"redis latency", redisProxy, testenv.Latency(deadline/4, deadline/8), false},
		{"redis half-open", redisProxy, testenv.HalfOpen(), true},
		{"redis reset", redisProxy, testenv.Reset(), true},
		{"redis bandwidth", redisProxy, testenv.Bandwidth(2), false},
		{"postgres stall", pgProxy, testenv.Delay(2 * time.Second), false},
		{"postgres half-open", pgProxy, testenv.HalfOpen(), false},
		{"postgres reset", pgProxy, testenv.Reset(), false},
	}
	total := int64(0)
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			bs := ballots(d.voters(150), projects, 3)
			total += int64(len(bs))
			hist := s.castThroughFault(t, bs, func() {
				f.proxy.Add(t, f.toxic)
				time.Sleep(3 * deadline)
				f.proxy.Clear()
			})
			var ids []string
			first := map[string]int{}
			for i, h := range hist {
				first[h[0].code]++
				last := h[len(h)-1]
				ids = append(ids, last.voteID)
				if last.status == http.StatusOK && !mayHaveRecorded(h[:len(h)-1]) {
					t.Errorf("ballot %d: answered %s, then its retry got the receipt of a recorded vote", i, answers(h))
				}
			}
			t.Logf("first answers by code (\"\" for 202): %v", first)
			if f.refuses && first["unavailable"]+first["outcome_unknown"] == 0 {
				t.Errorf("no vote was refused during the fault; the test did not exercise it")
			}
			d.waitLedger(ids, 60*time.Second)
			if got := d.recount(); got.Total != total {
				t.Errorf("recount %d; ballots so far %d", got.Total, total)
			}
			var check struct{ Converged bool }
			if err := json.Unmarshal([]byte(d.run("check", "--edition", "demo")), &check); err != nil || !check.Converged {
				t.Errorf("check after the fault: %+v, %v", check, err)
			}
		})
	}
}

// castThroughFault sends bs from a few paced workers, runs fault once about
// a third of them are sent, then retries every ballot until it is settled
// (202 or 200). It returns each ballot's answers in order.
func (s *server) castThroughFault(t *testing.T, bs [][2]string, fault func()) [][]voteResult {
	t.Helper()
	hist := make([][]voteResult, len(bs))
	var mu sync.Mutex
	next := make(chan int)
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			for i := range next {
				for attempt := 0; ; attempt++ {
					r := s.vote(bs[i][0], bs[i][1])
					mu.Lock()
					hist[i] = append(hist[i], r)
					mu.Unlock()
					if r.err == nil && (r.status == http.StatusAccepted || r.status == http.StatusOK) {
						break
					}
					if attempt == 60 {
						t.Errorf("ballot %d unsettled: %s", i, answers(hist[i]))
						break
					}
					time.Sleep(200 * time.Millisecond)
				}
			}
		})
	}
	var faulted sync.WaitGroup
	for i := range bs {
		if i == len(bs)/3 {
			faulted.Go(fault)
		}
		next <- i
		time.Sleep(3 * time.Millisecond)
	}
	close(next)
	wg.Wait()
	faulted.Wait()
	return hist
}

// mayHaveRecorded reports whether any of the answers leaves open that the
// vote was recorded: a 202, an unknown outcome, or no answer at all. A 503
// unavailable or a refusal says it was not.
func mayHaveRecorded(rs []voteResult) bool {
	for _, r := range rs {
		if r.err != nil || r.status == http.StatusAccepted ||
			(r.status == http.StatusServiceUnavailable && r.code == "outcome_unknown") {
			return true
		}
	}
	return false
}

func answers(rs []voteResult) string {
	var b strings.Builder
	for _, r := range rs {
		if r.err != nil {
			b.WriteString(" [" + r.err.Error() + "]")
			continue
		}
		b.WriteString(" " + http.StatusText(r.status) + " " + r.code)
	}
	return b.String()
}

// hostPort returns the host:port of a redis:// or postgres:// URL.
func hostPort(tb testing.TB, raw string) string {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	return u.Host
}

// withHost returns raw with its host:port replaced.
func withHost(tb testing.TB, raw, hostPort string) string {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	u.Host = hostPort
	return u.String()
}
