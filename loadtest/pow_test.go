package loadtest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/loadtest"
)

// powAPI issues puzzles at GET /api/v1/challenge?purpose=vote and accepts
// a vote only with a solution to one of them, each once, as the API does
// for an edition whose rules set vote_challenge.
type powAPI struct {
	mu sync.Mutex
	// issued maps a challenge to the X-Forwarded-For it was fetched with.
	issued map[string]string
	spent  map[string]bool
	n      int
}

func (f *powAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/api/v1/challenge":
		if r.URL.Query().Get("purpose") != identity.PurposeVote {
			http.Error(w, "wrong purpose", http.StatusBadRequest)
			return
		}
		f.n++
		salt := fmt.Sprintf("%024x?p=vote", f.n)
		// A small puzzle whose answer is not near zero, so that Solve
		// has to search for it.
		number := 700 + f.n%300
		sum := sha256.Sum256([]byte(salt + strconv.Itoa(number)))
		ch := identity.Challenge{Algorithm: identity.Algorithm, Challenge: hex.EncodeToString(sum[:]),
			MaxNumber: 1000, Salt: salt, Signature: "sig-" + strconv.Itoa(f.n)}
		f.issued[ch.Challenge] = r.Header.Get("X-Forwarded-For")
		json.NewEncoder(w).Encode(ch)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/votes"):
		refuse := func(status int, code string) {
			w.WriteHeader(status)
			fmt.Fprintf(w, `{"error":{"code":%q}}`, code)
		}
		s, err := identity.DecodeSolution(r.Header.Get(loadtest.ChallengeHeader))
		if err != nil {
			refuse(http.StatusPreconditionRequired, "challenge_required")
			return
		}
		sum := sha256.Sum256([]byte(s.Salt + strconv.FormatInt(s.Number, 10)))
		from, issued := f.issued[s.Challenge]
		if !issued || f.spent[s.Challenge] || hex.EncodeToString(sum[:]) != s.Challenge ||
			from != r.Header.Get("X-Forwarded-For") {
			refuse(http.StatusForbidden, "challenge_invalid")
			return
		}
		f.spent[s.Challenge] = true
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, `{"vote_id":"v-%s"}`, s.Signature)
	default:
		http.NotFound(w, r)
	}
}

// forwarded is a workload of votes each naming its client in
// X-Forwarded-For, as the replay's traffic does.
type forwarded struct {
	mu sync.Mutex
	n  int
}

func (f *forwarded) Next(buf []byte) ([]byte, string, bool) {
	f.mu.Lock()
	f.n++
	n := f.n
	f.mu.Unlock()
	body := `{"project_id":"p"}`
	buf = fmt.Appendf(buf, "POST /api/v1/editions/demo/votes HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.0.0.%d\r\n"+
		"Authorization: Bearer t%d\r\nContent-Length: %d\r\n\r\n%s", n%250+1, n, len(body), body)
	return buf, "p", true
}

func TestProofOfWork_Next(t *testing.T) {
	for _, tc := range []struct {
		name string
		work func(tb testing.TB, srv *httptest.Server) loadtest.Workload
	}{
		{"votes", func(tb testing.TB, srv *httptest.Server) loadtest.Workload {
			_, _, votes := startAPI(tb, 20, 0)
			target, err := loadtest.ParseTarget(srv.URL, "demo")
			if err != nil {
				tb.Fatal(err)
			}
			return loadtest.NewVotes(target, votes.Ballots())
		}},
		{"forwarded", func(testing.TB, *httptest.Server) loadtest.Workload { return &forwarded{} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api := &powAPI{issued: map[string]string{}, spent: map[string]bool{}}
			srv := httptest.NewServer(api)
			t.Cleanup(srv.Close)
			pow := loadtest.NewProofOfWork(tc.work(t, srv), &loadtest.Challenger{BaseURL: srv.URL})
			res, err := loadtest.Run(t.Context(), loadtest.Options{
				Addr: strings.TrimPrefix(srv.URL, "http://"), Workers: 8, Requests: 60, Duration: 20 * time.Second,
			}, pow)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.AcceptedTotal(); got != 60 || res.TransportErrors != 0 {
				t.Errorf("accepted %d of 60 (statuses %v, codes %v, transport errors %d, last %q)",
					got, res.Statuses, res.Codes, res.TransportErrors, res.LastError)
			}
			if pow.Solved.Load() != 60 || pow.Failed.Load() != 0 {
				t.Errorf("solved %d, failed %d (%v); want 60 and 0", pow.Solved.Load(), pow.Failed.Load(), pow.LastError())
			}
			api.mu.Lock()
			defer api.mu.Unlock()
			if len(api.spent) != 60 {
				t.Errorf("%d distinct challenges spent, want 60", len(api.spent))
			}
		})
	}
}

func TestProofOfWork_Next_failure(t *testing.T) {
	// A server without challenges: the vote goes out without one, so the
	// API's refusal is what the run records.
	srv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(srv.Close)
	pow := loadtest.NewProofOfWork(&forwarded{}, &loadtest.Challenger{BaseURL: srv.URL})
	req, _, ok := pow.Next(nil)
	if !ok || strings.Contains(string(req), loadtest.ChallengeHeader) {
		t.Errorf("request %q carries a challenge it could not have solved", req)
	}
	if pow.Failed.Load() != 1 || pow.LastError() == nil {
		t.Errorf("failed %d, last error %v; want 1 and an error", pow.Failed.Load(), pow.LastError())
	}
}
