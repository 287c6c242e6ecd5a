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

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/voting"
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
