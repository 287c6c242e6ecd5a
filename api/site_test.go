package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/api"
)

// withSite serves the public site with a fixed key.
func withSite(edition string) fixtureOption {
	return func(c *api.Config) {
		c.Site = api.SiteConfig{Name: "WSIS Prizes", Edition: edition, Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return t0 }}
	}
}

func TestSite_pages(t *testing.T) {
	f := newFixture(t, withSite("demo"), withIdentity(t, fakeConfig(&fakeIdentity{})))
	if s := f.logs.String(); s != "" {
		t.Fatalf("server log: %s", s)
	}
	for _, tc := range []struct {
		path, want string
		status     int
	}{
		{"/en", "How voting works", http.StatusOK},
		{"/en/demo", "How voting works", http.StatusOK},
		{"/fr/demo", `lang="fr"`, http.StatusOK},
		{"/ar/demo", `dir="rtl"`, http.StatusOK},
		{"/en/demo/c/C1", "Alpha", http.StatusOK},
		{"/en/demo/p/p-c1-a", "Org A", http.StatusOK},
		{"/en/demo/p/p-draft", "Page not found", http.StatusNotFound},
		{"/en/demo/c/nope", "Page not found", http.StatusNotFound},
		{"/en/nope", "Page not found", http.StatusNotFound},
		{"/en/sign-in", `name="csrf"`, http.StatusOK},
		{"/en/demo/check-vote", "What the proof shows", http.StatusOK},
		{"/en/demo/check-vote?vote_id=0190A1B2-0000-7000-8000-000000000001",
			`href="/api/v1/editions/demo/log/proof/inclusion?vote_id=0190a1b2-0000-7000-8000-000000000001"`, http.StatusOK},
		{"/en/demo/check-vote?vote_id=nope", `aria-invalid="true"`, http.StatusOK},
		{"/zh/demo/check-vote", "核对我的投票", http.StatusOK},
	} {
		t.Run(tc.path, func(t *testing.T) {
			w := f.do(t, request{path: tc.path})
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if !strings.Contains(w.Body.String(), tc.want) {
				t.Errorf("page lacks %q:\n%s", tc.want, w.Body)
			}
			csp := w.Header().Get("Content-Security-Policy")
			if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
		})
	}
}
