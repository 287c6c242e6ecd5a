package api_test

import (
	"net/http"
	"testing"

	"github.com/wsisvote/prizes/api"
)

// voteHeaders are the headers the middleware puts on every answer of the
// vote route, each with exactly one value.
var voteHeaders = map[string]string{
	"X-Content-Type-Options":       "nosniff",
	"Referrer-Policy":              "no-referrer",
	"X-Frame-Options":              "DENY",
	"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
	"Strict-Transport-Security":    "max-age=63072000; includeSubDomains",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
	"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), payment=()",
	"Cache-Control":                "no-store",
}

func checkVoteHeaders(tb testing.TB, h http.Header) {
	tb.Helper()
	for k, v := range voteHeaders {
		// Values canonicalises k, so a value stored under a key that is not
		// canonical is not found, as net/http would not write it as meant.
		if got := h.Values(k); len(got) != 1 || got[0] != v {
			tb.Errorf("%s = %q, want [%q]", k, got, v)
		}
	}
}

// TestSecurityHeaders_Shared checks every header of the vote route's
// answers, and that the values the middleware shares between responses do
// not carry a change to one response's headers over to another's.
func TestSecurityHeaders_Shared(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "42", api.RoleVoter)

	first := f.vote(t, "demo", "p-c1-a", tok)
	if first.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", first.Code)
	}
	checkVoteHeaders(t, first.Header())
	for k := range voteHeaders {
		first.Header().Add(k, "first")
	}

	second := f.vote(t, "demo", "p-nope", tok)
	if second.Code != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", second.Code)
	}
	checkVoteHeaders(t, second.Header())
	for k := range voteHeaders {
		second.Header().Add(k, "second")
	}
	second.Header().Set("X-Frame-Options", "SAMEORIGIN")
	second.Header().Del("Cache-Control")

	// Had the responses shared room to grow in, the second Add would have
	// overwritten the first one's value.
	for k, v := range voteHeaders {
		if got := first.Header().Values(k); len(got) != 2 || got[0] != v || got[1] != "first" {
			t.Errorf("first response %s = %q, want [%q first]", k, got, v)
		}
	}
	third := f.vote(t, "demo", "p-c1-b", f.token(t, "43", api.RoleVoter))
	if third.Code != http.StatusAccepted {
		t.Fatalf("status = %d, want 202", third.Code)
	}
	checkVoteHeaders(t, third.Header())
}
