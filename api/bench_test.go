package api_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/voting"
	metrics "github.com/wsisvote/prizes/voting/prometheus"
)

// discardLog accepts every vote, so a benchmark measures the HTTP layer and
// the domain, not a store.
type discardLog struct{ n atomic.Int64 }

func (l *discardLog) Append(context.Context, *voting.Vote) error {
	l.n.Add(1)
	return nil
}

// BenchmarkVotePath measures one accepted vote through the whole handler:
// token (cached after its first use), body decoding, the domain checks and
// the JSON receipt.
func BenchmarkVotePath(b *testing.B) {
	f := newFixture(b)
	log := &discardLog{}
	var ids atomic.Int64
	svc := &voting.Service{
		Catalogue: voting.NewCatalogue(testSnapshot()),
		Log:       log,
		Scorer:    voting.CountAll{},
		Now:       time.Now,
		NewID:     func() string { return fmt.Sprint(ids.Add(1)) },
	}
	h := api.New(api.Config{Votes: svc, Catalogue: svc.Catalogue, Tokens: f.verify})
	tok := "Bearer " + f.token(b, "42", api.RoleVoter)
	const body = `{"project_id":"p-c1-a"}`
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/editions/demo/votes", strings.NewReader(body))
			req.Header.Set("Authorization", tok)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusAccepted {
				b.Fatalf("status %d: %s", w.Code, w.Body)
			}
		}
	})
}

// reusedBody is a request body that can be rewound, so a benchmark can send
// the same request again without building a new one.
type reusedBody struct{ strings.Reader }

func (*reusedBody) Close() error { return nil }

// reusedWriter is a ResponseWriter that keeps only the status, discards the
// body and has its header map cleared, not replaced, between requests. It
// leaves out the cost of a recorder, which is the test's and not the
// server's.
type reusedWriter struct {
	header http.Header
	code   int
}

func (w *reusedWriter) Header() http.Header { return w.header }

func (w *reusedWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *reusedWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return len(p), nil
}

func (w *reusedWriter) reset() {
	clear(w.header)
	w.code = 0
}

// BenchmarkVoteRoute measures the HTTP layer's own cost of one accepted vote:
// the Gin engine with every middleware of production (metrics included),
// a token found in the verifier's cache, body decoding and the JSON receipt.
// The caster answers at once, so neither the domain nor a store is weighed,
// and the request and response writer are reused, so what is allocated per
// operation is allocated by the server.
func BenchmarkVoteRoute(b *testing.B) {
	receipt := voting.Receipt{VoteID: "0190f3c2-7d4e-7a1b-9c3d-5e6f7a8b9c0d", Category: "C1"}
	benchmarkVoteRoute(b, casterFunc(func(voting.Ballot) (voting.Receipt, error) { return receipt, nil }), http.StatusAccepted)
}

// BenchmarkVoteRoute_duplicate measures the same for a vote refused as a
// duplicate, the answer a flood of replayed votes gets, with the error
// wrapped as the vote store wraps it.
func BenchmarkVoteRoute_duplicate(b *testing.B) {
	dup := fmt.Errorf("cast vote: append vote 0190f3c2-7d4e-7a1b-9c3d-5e6f7a8b9c0d: voter 42, slot C1: %w", voting.ErrDuplicate)
	benchmarkVoteRoute(b, casterFunc(func(voting.Ballot) (voting.Receipt, error) { return voting.Receipt{}, dup }), http.StatusConflict)
}

func benchmarkVoteRoute(b *testing.B, votes api.Caster, want int) {
	f := newFixture(b)
	h := api.New(api.Config{
		Votes:     votes,
		Catalogue: voting.NewCatalogue(testSnapshot()),
		Tokens:    f.verify,
		Metrics:   metrics.New(prometheus.NewRegistry()),
	})
	const vote = `{"project_id":"0190f3c2-7d4e-7a1b-9c3d-5e6f7a8b9c0d"}`
	body := &reusedBody{}
	req := httptest.NewRequest(http.MethodPost, "/api/v1/editions/demo/votes", nil)
	req.Header.Set("Authorization", "Bearer "+f.token(b, "42", api.RoleVoter))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	w := &reusedWriter{header: make(http.Header)}
	b.ReportAllocs()
	for b.Loop() {
		body.Reset(vote)
		req.Body = body
		w.reset()
		h.ServeHTTP(w, req)
		if w.code != want {
			b.Fatalf("status %d, want %d", w.code, want)
		}
	}
}

// BenchmarkVerify compares a cached token with a signature check per call.
func BenchmarkVerify(b *testing.B) {
	pub, priv := testKey(b, 1)
	signer, err := api.NewSigner(testKid, priv, nil)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := signer.Issue("42", api.RoleVoter, time.Time{}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	keys := map[string]ed25519.PublicKey{testKid: pub}
	for _, bc := range []struct {
		name string
		opts []api.VerifierOption
	}{
		{"cached", nil},
		{"uncached", []api.VerifierOption{api.WithCacheSize(0)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v, err := api.NewVerifier(keys, nil, bc.opts...)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSigner_Issue measures minting tokens, as a load test does for
// every simulated voter.
func BenchmarkSigner_Issue(b *testing.B) {
	_, priv := testKey(b, 1)
	signer, err := api.NewSigner(testKid, priv, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 1; pb.Next(); i++ {
			if _, err := signer.Issue(fmt.Sprint(i), api.RoleVoter, time.Time{}, time.Hour); err != nil {
				b.Fatal(err)
			}
		}
	})
}
