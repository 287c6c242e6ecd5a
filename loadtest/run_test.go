package loadtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsisvote/prizes/loadtest"
)

// fakeAPI answers votes by the category of the project voted for: C0 is
// accepted with a receipt, C1 is a duplicate, C2 is unavailable with a
// chunked body. Every closeEvery-th answer (when positive) closes its
// connection, as a server going through a restart or an idle timeout would.
type fakeAPI struct {
	closeEvery int64
	n          atomic.Int64
	mu         sync.Mutex
	tokens     map[string]int
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.n.Add(1)
	if r.Method != http.MethodPost || r.URL.Path != "/api/v1/editions/demo/votes" {
		http.Error(w, "wrong route "+r.Method+" "+r.URL.Path, http.StatusNotFound)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	f.mu.Lock()
	f.tokens[tok]++
	f.mu.Unlock()
	var req struct {
		ProjectID string `json:"project_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"error":{"code":"invalid_request","message":%q}}`, err.Error())
		return
	}
	if f.closeEvery > 0 && n%f.closeEvery == 0 {
		w.Header().Set("Connection", "close")
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasPrefix(req.ProjectID, "p-0-"):
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"vote_id":"vote-%d","status":"accepted","category":"C0"}`, n)
	case strings.HasPrefix(req.ProjectID, "p-1-"):
		w.WriteHeader(http.StatusConflict)
		fmt.Fprint(w, `{"error":{"code":"duplicate_vote","message":"already voted"}}`)
	default:
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `{"error":{"code":`)
		w.(http.Flusher).Flush()
		fmt.Fprint(w, `"unavailable","message":"retry"}}`)
	}
}

// startAPI serves a fakeAPI and returns it with the workload of every
// ballot of voters × 3 categories × 5 nominees.
func startAPI(tb testing.TB, voters int, closeEvery int64) (*fakeAPI, *httptest.Server, *loadtest.Votes) {
	tb.Helper()
	api := &fakeAPI{closeEvery: closeEvery, tokens: map[string]int{}}
	srv := httptest.NewServer(api)
	tb.Cleanup(srv.Close)
	vs, ps := ballot(tb, voters, 3, 5)
	b, err := loadtest.NewBallots(vs, ps, loadtest.BallotOptions{Seed: 3})
	if err != nil {
		tb.Fatal(err)
	}
	target, err := loadtest.ParseTarget(srv.URL, "demo")
	if err != nil {
		tb.Fatal(err)
	}
	return api, srv, loadtest.NewVotes(target, b)
}

// checkAccounting checks a result that cast every ballot of w exactly once.
func checkAccounting(tb testing.TB, res *loadtest.Result, w *loadtest.Votes) {
	tb.Helper()
	b := w.Ballots()
	want := map[string]int64{}
	perCategory := map[string]int64{}
	for i := range b.Len() {
		bl := b.At(i)
		perCategory[bl.Category]++
		if bl.Category == "C0" {
			want[bl.ProjectID]++
		}
	}
	if res.TransportErrors != 0 {
		tb.Errorf("%d transport errors, last %s", res.TransportErrors, res.LastError)
	}
	if got := res.Answers(); got != b.Len() {
		tb.Errorf("%d answers, want %d", got, b.Len())
	}
	for status, cat := range map[int]string{202: "C0", 409: "C1", 503: "C2"} {
		if got := res.Status(status); got != perCategory[cat] {
			tb.Errorf("%d answers with status %d, want %d", got, status, perCategory[cat])
		}
	}
	if got := res.Codes["duplicate_vote"]; got != perCategory["C1"] {
		tb.Errorf("%d duplicate_vote codes, want %d", got, perCategory["C1"])
	}
	if got := res.Codes["unavailable"]; got != perCategory["C2"] {
		tb.Errorf("%d unavailable codes (from chunked bodies), want %d", got, perCategory["C2"])
	}
	if len(res.Accepted) != len(want) {
		tb.Errorf("accepted counts for %d projects, want %d", len(res.Accepted), len(want))
	}
	for p, n := range want {
		if res.Accepted[p] != n {
			tb.Errorf("project %s: %d accepted, want %d", p, res.Accepted[p], n)
		}
	}
	unique := map[string]bool{}
	for _, r := range res.Receipts {
		unique[r] = true
	}
	if int64(len(unique)) != perCategory["C0"] || int64(len(res.Receipts)) != perCategory["C0"] {
		tb.Errorf("%d receipts (%d unique), want %d", len(res.Receipts), len(unique), perCategory["C0"])
	}
	if got := res.Latency.Count(); got != uint64(b.Len()) {
		tb.Errorf("latency histogram holds %d requests, want %d", got, b.Len())
	}
}

func TestRun_openLoop(t *testing.T) {
	api, srv, w := startAPI(t, 100, 0)
	target, _ := loadtest.ParseTarget(srv.URL, "demo")
	live := &loadtest.Live{}
	res, err := loadtest.Run(t.Context(), loadtest.Options{
		Addr: target.Addr, Workers: 8, Rate: 5000, Duration: time.Minute, KeepReceipts: true, Live: live,
	}, w)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, res, w)
	if !res.Exhausted {
		t.Error("the run stopped before its ballots ran out, yet Exhausted is false")
	}
	if got := res.Service.Count(); got != res.Latency.Count() {
		t.Errorf("service time recorded for %d requests, latency for %d", got, res.Latency.Count())
	}
	if got, want := live.Done.Load(), w.Ballots().Len(); got != want {
		t.Errorf("live counter Done = %d, want %d", got, want)
	}
	if got, want := live.Failed.Load(), res.Status(409)+res.Status(503); got != want {
		t.Errorf("live counter Failed = %d, want %d", got, want)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.tokens) != 100 {
		t.Errorf("%d voters' tokens reached the server, want 100", len(api.tokens))
	}
	for tok, n := range api.tokens {
		if n != 3 {
			t.Errorf("token %s sent %d times, want once per category (3)", tok, n)
		}
	}
}

func TestRun_closedLoop_reconnects(t *testing.T) {
	_, srv, w := startAPI(t, 150, 7)
	target, _ := loadtest.ParseTarget(srv.URL, "demo")
	res, err := loadtest.Run(t.Context(), loadtest.Options{
		Addr: target.Addr, Workers: 4, Requests: w.Ballots().Len(), KeepReceipts: true,
	}, w)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, res, w)
	if res.Exhausted {
		t.Error("the request limit was reached first, yet Exhausted is true")
	}
	if res.Service.Count() != 0 {
		t.Errorf("a closed loop recorded %d service times; it has no schedule to tell them apart", res.Service.Count())
	}
}

// TestRun_severalAddrs: with Addrs, the connections are spread over the
// servers, as a load balancer in front of several API nodes would spread
// them, and the run counts every answer whichever server gave it.
func TestRun_severalAddrs(t *testing.T) {
	first, srv, w := startAPI(t, 60, 0)
	// The second server numbers its receipts from a million, so that the
	// two give different vote ids.
	const offset = 1_000_000
	second := &fakeAPI{tokens: map[string]int{}}
	second.n.Store(offset)
	other := httptest.NewServer(second)
	t.Cleanup(other.Close)
	addrs := []string{srv.Listener.Addr().String(), other.Listener.Addr().String()}
	res, err := loadtest.Run(t.Context(), loadtest.Options{
		Addrs: addrs, Workers: 4, Requests: w.Ballots().Len(), KeepReceipts: true,
	}, w)
	if err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, res, w)
	a, b := first.n.Load(), second.n.Load()-offset
	if a == 0 || b == 0 {
		t.Errorf("the servers answered %d and %d requests; want both some", a, b)
	}
	if a+b != w.Ballots().Len() {
		t.Errorf("the servers answered %d requests in all, want %d", a+b, w.Ballots().Len())
	}
}

// tickingClock advances by one tick every time it is read, far faster than
// the schedule, so every request is behind its schedule by a known amount.
type tickingClock struct {
	mu   sync.Mutex
	t    time.Time
	tick time.Duration
}

func (c *tickingClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.tick)
	return c.t
}

func TestRun_openLoop_latencyFromSchedule(t *testing.T) {
	_, srv, w := startAPI(t, 10, 0)
	target, _ := loadtest.ParseTarget(srv.URL, "demo")
	clock := &tickingClock{t: time.Unix(1_700_000_000, 0), tick: time.Second}
	const n = 5
	res, err := loadtest.Run(t.Context(), loadtest.Options{
		Addr: target.Addr, Workers: 1, Rate: 1000, Requests: n, Now: clock.now,
	}, w)
	if err != nil {
		t.Fatal(err)
	}
	if res.Answers() != n || res.Latency.Count() != n || res.Service.Count() != n {
		t.Fatalf("answers %d, latencies %d, service times %d; want %d each",
			res.Answers(), res.Latency.Count(), res.Service.Count(), n)
	}
	if res.Late != n {
		t.Errorf("Late = %d, want %d: each request was sent seconds after its 1 ms slot", res.Late, n)
	}
	// One worker and a clock that runs ahead: each request waits for the
	// ones before it, so latency from the schedule grows with every request
	// while the service time of each stays the same.
	if res.Service.Min() != res.Service.Max() {
		t.Errorf("service times range from %v to %v, want one value", res.Service.Min(), res.Service.Max())
	}
	if res.Latency.Max() < time.Duration(n-1)*time.Second+res.Service.Max() {
		t.Errorf("latency max %v, service max %v: queueing behind the schedule is not counted",
			res.Latency.Max(), res.Service.Max())
	}
	if res.Latency.Min() < res.Service.Min() {
		t.Errorf("latency min %v below service min %v", res.Latency.Min(), res.Service.Min())
	}
}

func TestRun_transportErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Hijack and hang up without answering.
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
	}))
	defer srv.Close()
	vs, ps := ballot(t, 5, 2, 2)
	b, _ := loadtest.NewBallots(vs, ps, loadtest.BallotOptions{})
	target, _ := loadtest.ParseTarget(srv.URL, "demo")
	res, err := loadtest.Run(t.Context(), loadtest.Options{Addr: target.Addr, Workers: 2, Requests: 10}, loadtest.NewVotes(target, b))
	if err != nil {
		t.Fatal(err)
	}
	if res.TransportErrors != 10 || res.Answers() != 0 || res.LastError == "" {
		t.Errorf("transport errors %d, answers %d, last error %q; want 10, 0 and a message", res.TransportErrors, res.Answers(), res.LastError)
	}
}

func TestRun_invalidOptions(t *testing.T) {
	_, srv, w := startAPI(t, 1, 0)
	target, _ := loadtest.ParseTarget(srv.URL, "demo")
	for name, o := range map[string]loadtest.Options{
		"no end":        {Addr: target.Addr},
		"negative rate": {Addr: target.Addr, Requests: 1, Rate: -1},
		"refused":       {Addr: "127.0.0.1:1", Requests: 1},
	} {
		if _, err := loadtest.Run(t.Context(), o, w); err == nil {
			t.Errorf("%s: Run succeeded, want an error", name)
		}
	}
}
