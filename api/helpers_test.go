package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/fake"
	"github.com/wsisvote/prizes/voting"
)

// testKid is the key id the fixture's signer uses.
const testKid = "k1"

// t0 is the fixture's fixed "now".
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// memLog is an in-memory voting.Log with exact deduplication. When err is
// set every Append fails with it and records nothing.
type memLog struct {
	mu    sync.Mutex
	err   error
	votes []voting.Vote
	slots map[string]bool
}

func (l *memLog) Append(_ context.Context, v *voting.Vote) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	key := fmt.Sprintf("%s/%d/%s", v.Edition, v.VoterID, v.Slot)
	if l.slots[key] {
		return voting.ErrDuplicate
	}
	if l.slots == nil {
		l.slots = make(map[string]bool)
	}
	l.slots[key] = true
	l.votes = append(l.votes, *v)
	return nil
}

func (l *memLog) failWith(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.err = err
}

func (l *memLog) recorded() []voting.Vote {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]voting.Vote(nil), l.votes...)
}

// memTally is a fixed TallyReader.
type memTally struct {
	counts map[string]map[string]int64
	err    error
}

func (t *memTally) Tally(_ context.Context, edition string) (map[string]int64, error) {
	if t.err != nil {
		return nil, t.err
	}
	return t.counts[edition], nil
}

// recorder is an api.Observer that remembers what it was told.
type recorder struct {
	mu      sync.Mutex
	results []string
	routes  []string
}

func (r *recorder) VoteResult(code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.results = append(r.results, code)
}

func (r *recorder) ObserveRequest(route string, status int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.routes = append(r.routes, route+" "+strconv.Itoa(status))
}

func (r *recorder) lastResult() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.results) == 0 {
		return ""
	}
	return r.results[len(r.results)-1]
}

// casterFunc adapts a function to api.Caster.
type casterFunc func(voting.Ballot) (voting.Receipt, error)

func (fn casterFunc) Cast(_ context.Context, b voting.Ballot) (voting.Receipt, error) { return fn(b) }

// testSnapshot is the catalogue the tests run against: "demo" is voting with
// a public tally, "secret" is voting with the default, hidden tally,
// "closed" is counting, its tally public.
func testSnapshot() *voting.Snapshot {
	public := voting.DefaultRules()
	public.PublicTally = true
	editions := []voting.Edition{
		{ID: "demo", Name: "Demo 2026", Phase: voting.PhaseVoting, Rules: public},
		{ID: "secret", Name: "Secret 2026", Phase: voting.PhaseVoting, Rules: voting.DefaultRules()},
		{ID: "closed", Name: "Closed 2025", Phase: voting.PhaseCounting, Rules: public},
	}
	cats := []voting.Category{{Code: "C1", Name: "Governments"}, {Code: "C2", Name: "Infrastructure"}}
	categories := map[string][]voting.Category{"demo": cats, "secret": cats, "closed": cats}
	projects := []voting.Project{
		{ID: "p-c1-a", Edition: "demo", Category: "C1", Title: "Alpha", Organisation: "Org A", Country: "CH", Nominated: true,
			Logo: voting.Image{Hash: testLogoHash, Width: 160, Height: 80}},
		{ID: "p-c1-b", Edition: "demo", Category: "C1", Title: "Bravo", Organisation: "Org B", Country: "KE", Nominated: true},
		{ID: "p-c2-a", Edition: "demo", Category: "C2", Title: "Charlie", Organisation: "Org C", Country: "BR", Nominated: true,
			Summary: "Fibre to every school.", Links: []string{"https://charlie.example"}},
		{ID: "p-draft", Edition: "demo", Category: "C1", Title: "Delta", Organisation: "Org D", Country: "IN", Nominated: false},
		{ID: "s-c1-a", Edition: "secret", Category: "C1", Title: "Echo", Nominated: true},
		{ID: "q-c1-a", Edition: "closed", Category: "C1", Title: "Foxtrot", Nominated: true},
	}
	return voting.NewSnapshot(editions, categories, projects)
}

// fixture is a real handler over a real voting.Service with in-memory fakes
// for the stores.
type fixture struct {
	clock   *fake.Clock
	log     *memLog
	tally   *memTally
	obs     *recorder
	signer  *api.Signer
	pub     ed25519.PublicKey
	priv    ed25519.PrivateKey
	verify  *api.Verifier
	handler *api.Handler
	logs    *syncBuffer
}

type fixtureOption func(*api.Config)

func newFixture(tb testing.TB, opts ...fixtureOption) *fixture {
	tb.Helper()
	f := &fixture{
		clock: fake.NewClock(t0),
		log:   &memLog{},
		tally: &memTally{counts: map[string]map[string]int64{
			"demo":   {"p-c1-a": 5, "p-c1-b": 9, "p-c2-a": 2, "gone": 4},
			"secret": {"s-c1-a": 7},
		}},
		obs:  &recorder{},
		logs: &syncBuffer{},
	}
	f.pub, f.priv = testKey(tb, 1)
	var err error
	f.signer, err = api.NewSigner(testKid, f.priv, f.clock.Now)
	if err != nil {
		tb.Fatal(err)
	}
	f.verify, err = api.NewVerifier(map[string]ed25519.PublicKey{testKid: f.pub}, f.clock.Now)
	if err != nil {
		tb.Fatal(err)
	}
	var ids atomic.Int64
	svc := &voting.Service{
		Catalogue: voting.NewCatalogue(testSnapshot()),
		Log:       f.log,
		Scorer:    voting.CountAll{},
		Now:       f.clock.Now,
		NewID:     func() string { return fmt.Sprintf("vote-%d", ids.Add(1)) },
	}
	cfg := api.Config{
		Votes:     svc,
		Catalogue: svc.Catalogue,
		Tally:     f.tally,
		Tokens:    f.verify,
		Metrics:   f.obs,
		Logger:    slog.New(slog.NewTextHandler(f.logs, nil)),
	}
	for _, o := range opts {
		o(&cfg)
	}
	f.handler = api.New(cfg)
	return f
}

// testKey returns a deterministic Ed25519 key pair for seed n.
func testKey(tb testing.TB, n byte) (ed25519.PublicKey, ed25519.PrivateKey) {
	tb.Helper()
	seed := bytes.Repeat([]byte{n}, ed25519.SeedSize)
	priv := ed25519.NewKeyFromSeed(seed)
	return priv.Public().(ed25519.PublicKey), priv
}

// token issues a token valid for an hour from the fixture's clock.
func (f *fixture) token(tb testing.TB, subject, role string) string {
	tb.Helper()
	tok, err := f.signer.Issue(subject, role, t0.AddDate(-1, 0, 0), time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

// request describes one call to the handler.
type request struct {
	method  string
	path    string
	body    string
	token   string
	headers map[string]string
	remote  string
}

func (f *fixture) do(tb testing.TB, r request) *httptest.ResponseRecorder {
	tb.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	if r.method == "" {
		r.method = http.MethodGet
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.headers {
		req.Header.Set(k, v)
	}
	if r.remote != "" {
		req.RemoteAddr = r.remote
	}
	w := httptest.NewRecorder()
	f.handler.ServeHTTP(w, req)
	return w
}

// vote posts a vote for project in edition with token.
func (f *fixture) vote(tb testing.TB, edition, project, token string) *httptest.ResponseRecorder {
	tb.Helper()
	return f.do(tb, request{
		method:  http.MethodPost,
		path:    "/api/v1/editions/" + edition + "/votes",
		body:    `{"project_id":"` + project + `"}`,
		token:   token,
		headers: map[string]string{"Content-Type": "application/json"},
	})
}

type errorResponse struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// wantError asserts that w is an error answer with status and code.
func wantError(tb testing.TB, w *httptest.ResponseRecorder, status int, code string) {
	tb.Helper()
	if w.Code != status {
		tb.Errorf("status = %d, want %d (body %s)", w.Code, status, w.Body)
	}
	var e errorResponse
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		tb.Fatalf("error body %q is not JSON: %v", w.Body, err)
	}
	if e.Error.Code != code {
		tb.Errorf("code = %q, want %q", e.Error.Code, code)
	}
	if e.Error.Message == "" {
		tb.Error("error message is empty")
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// decode unmarshals a JSON answer into v.
func decode(tb testing.TB, w *httptest.ResponseRecorder, v any) {
	tb.Helper()
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		tb.Fatalf("body %q: %v", w.Body, err)
	}
}

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a logger.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
