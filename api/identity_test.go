package api_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/voting"
)

var codeInMail = regexp.MustCompile(`\b(\d{6})\b`)

type tokenBody struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	Account      struct {
		ID          int64    `json:"id"`
		Email       string   `json:"email"`
		DisplayName string   `json:"display_name"`
		Country     string   `json:"country"`
		Roles       []string `json:"roles"`
	} `json:"account"`
}

// solvedHeader fetches a challenge from the handler and solves it as a
// client would.
func solvedHeader(tb testing.TB, f *fixture, purpose string) string {
	tb.Helper()
	w := f.do(tb, request{path: "/api/v1/challenge?purpose=" + purpose, remote: "198.51.100.7:4000"})
	if w.Code != http.StatusOK {
		tb.Fatalf("challenge: %d %s", w.Code, w.Body)
	}
	var c identity.Challenge
	decode(tb, w, &c)
	sol, err := identity.Solve(context.Background(), c)
	if err != nil {
		tb.Fatal(err)
	}
	return sol.Encode()
}

// TestIdentity_SignInFlow walks the whole sign-in against real PostgreSQL,
// Redis and SMTP: a challenge, a mailed code read back from the mail server,
// tokens, a refresh, a refresh reuse that ends the session, the data export
// and the erasure.
func TestIdentity_SignInFlow(t *testing.T) {
	svc := realIdentity(t, nil)
	f := newFixture(t, withIdentity(t, api.IdentityConfig{SignIn: svc, Accounts: svc, Gate: svc}))
	addr := testenv.ID(t) + "@example.org"

	w := f.do(t, postJSON("/api/v1/auth/email-code", `{"email":"`+addr+`"}`, map[string]string{api.ChallengeHeader: solvedHeader(t, f, "code")}))
	if w.Code != http.StatusAccepted || strings.TrimSpace(w.Body.String()) != `{"status":"sent"}` {
		t.Fatalf("email-code: %d %s", w.Code, w.Body)
	}
	unknown := f.do(t, postJSON("/api/v1/auth/email-code", `{"email":"`+testenv.ID(t)+`@example.org"}`, map[string]string{api.ChallengeHeader: solvedHeader(t, f, "code")}))
	if unknown.Code != w.Code || unknown.Body.String() != w.Body.String() {
		t.Errorf("a second new address was answered %d %s, the first %d %s", unknown.Code, unknown.Body, w.Code, w.Body)
	}
	mail := testenv.MailTo(t, addr)
	m := codeInMail.FindStringSubmatch(mail.Text)
	if m == nil {
		t.Fatalf("no code in %q", mail.Text)
	}
	code := m[1]

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	wantError(t, f.do(t, postJSON("/api/v1/auth/token", `{"email":"`+addr+`","code":"`+wrong+`"}`, nil)), http.StatusUnauthorized, "invalid_code")

	w = f.do(t, postJSON("/api/v1/auth/token", `{"email":"`+addr+`","code":"`+code+`","display_name":"Ada","country":"KE"}`, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	var tok tokenBody
	decode(t, w, &tok)
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 900 || !strings.HasPrefix(tok.RefreshToken, "rt_") ||
		tok.Account.Email != addr || tok.Account.DisplayName != "Ada" || tok.Account.Country != "KE" ||
		!slices.Equal(tok.Account.Roles, []string{"voter", "owner"}) {
		t.Fatalf("token body = %+v", tok)
	}
	claims, err := f.verify.Verify(tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	if claims.Subject != fmt.Sprint(tok.Account.ID) || claims.Role != api.RoleVoter || !claims.HasRole(api.RoleOwner) ||
		!claims.ExpiresAt.Time.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("claims = %+v", claims)
	}
	// For the fraud scorer: when the session began and the class of the
	// address's domain, never the address.
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[1])
	if claims.AuthTime <= 0 || claims.EmailClass != voting.EmailOrganisation || strings.Contains(string(payload), "@") {
		t.Errorf("claims %s; want the sign-in time and the email class, and no address", payload)
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[0])
	if !strings.Contains(string(header), `"alg":"EdDSA"`) || !strings.Contains(string(header), `"kid":"`+testKid+`"`) {
		t.Errorf("token header = %s", header)
	}

	t.Run("a signed-in voter votes", func(t *testing.T) {
		if w := f.vote(t, "demo", "p-c1-a", tok.AccessToken); w.Code != http.StatusAccepted {
			t.Errorf("vote: %d %s", w.Code, w.Body)
		}
	})
	t.Run("me", func(t *testing.T) {
		w := f.do(t, request{path: "/api/v1/me", token: tok.AccessToken})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"email":"`+addr+`"`) {
			t.Errorf("me: %d %s", w.Code, w.Body)
		}
		wantError(t, f.do(t, request{path: "/api/v1/me"}), http.StatusUnauthorized, "unauthenticated")
	})

	w = f.do(t, postJSON("/api/v1/auth/refresh", `{"refresh_token":"`+tok.RefreshToken+`"}`, nil))
	if w.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s", w.Code, w.Body)
	}
	var next tokenBody
	decode(t, w, &next)
	if next.RefreshToken == tok.RefreshToken || next.Account.ID != tok.Account.ID {
		t.Fatalf("refresh body = %+v", next)
	}
	if c, err := f.verify.Verify(next.AccessToken); err != nil || c.AuthTime != claims.AuthTime || c.EmailClass != claims.EmailClass {
		t.Errorf("refreshed claims = %+v, %v; want the session's sign-in time %d and email class %q", c, err, claims.AuthTime, claims.EmailClass)
	}
	wantError(t, f.do(t, postJSON("/api/v1/auth/refresh", `{"refresh_token":"`+tok.RefreshToken+`"}`, nil)), http.StatusUnauthorized, "refresh_token_reused")
	wantError(t, f.do(t, postJSON("/api/v1/auth/refresh", `{"refresh_token":"`+next.RefreshToken+`"}`, nil)), http.StatusUnauthorized, "invalid_refresh_token")

	w = f.do(t, request{path: "/api/v1/me/data", token: next.AccessToken})
	if w.Code != http.StatusOK || !strings.Contains(w.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("data: %d %s", w.Code, w.Body)
	}
	var export struct {
		Account struct {
			Email string `json:"email"`
		} `json:"account"`
		History []struct {
			Kind    string `json:"kind"`
			Network string `json:"network"`
		} `json:"history"`
		Sessions []json.RawMessage `json:"sessions"`
		Votes    []json.RawMessage `json:"votes"`
	}
	decode(t, w, &export)
	if export.Account.Email != addr || len(export.History) != 2 || export.History[0].Kind != "signed_in" ||
		export.History[1].Kind != "refresh_reused" || export.History[0].Network != "198.51.100.0/24" || len(export.Sessions) != 1 {
		t.Errorf("export = %s", w.Body)
	}
	if strings.Contains(w.Body.String(), "198.51.100.7") {
		t.Error("the export holds the raw client address")
	}

	if w := f.do(t, request{method: http.MethodDelete, path: "/api/v1/me", token: next.AccessToken}); w.Code != http.StatusNoContent {
		t.Fatalf("erase: %d %s", w.Code, w.Body)
	}
	wantError(t, f.do(t, request{path: "/api/v1/me", token: next.AccessToken}), http.StatusNotFound, "unknown_account")
}

func TestIdentity_Errors(t *testing.T) {
	rl := &kind.RateLimitError{Limit: "code-ip", RetryAfter: 2500 * time.Millisecond}
	tests := []struct {
		name       string
		req        request
		err        error
		status     int
		code       string
		retryAfter string
	}{
		{"rate limited", postJSON("/api/v1/auth/email-code", `{"email":"a@example.org"}`, nil), fmt.Errorf("x: %w", rl), 429, "rate_limited", "3"},
		{"disposable", postJSON("/api/v1/auth/email-code", `{"email":"a@example.org"}`, nil), identity.ErrDisposableEmail, 422, "disposable_email", ""},
		{"challenge required", postJSON("/api/v1/auth/email-code", `{"email":"a@example.org"}`, nil), identity.ErrChallengeRequired, 428, "challenge_required", ""},
		{"challenge invalid", postJSON("/api/v1/auth/email-code", `{"email":"a@example.org"}`, nil), identity.ErrChallengeInvalid, 403, "challenge_invalid", ""},
		{"bad email", postJSON("/api/v1/auth/email-code", `{"email":"a"}`, nil), fmt.Errorf("parse email: %w", kind.ErrInvalid), 422, "invalid_request", ""},
		{"mail down", postJSON("/api/v1/auth/email-code", `{"email":"a@example.org"}`, nil), kind.ErrUnavailable, 503, "unavailable", "1"},
		{"unknown field", postJSON("/api/v1/auth/email-code", `{"email":"a@example.org","admin":true}`, nil), nil, 422, "invalid_request", ""},
		{"not JSON", postJSON("/api/v1/auth/token", `email=a`, nil), nil, 422, "invalid_request", ""},
		{"oversized", postJSON("/api/v1/auth/token", `{"email":"`+strings.Repeat("a", 5000)+`"}`, nil), nil, 422, "invalid_request", ""},
		{"wrong code", postJSON("/api/v1/auth/token", `{"email":"a@example.org","code":"1"}`, nil), identity.ErrInvalidCode, 401, "invalid_code", ""},
		{"refresh reused", postJSON("/api/v1/auth/refresh", `{"refresh_token":"rt_x"}`, nil), identity.ErrRefreshReused, 401, "refresh_token_reused", ""},
		{"sign out", postJSON("/api/v1/auth/sign-out", `{"refresh_token":"rt_x"}`, nil), identity.ErrInvalidRefresh, 401, "invalid_refresh_token", ""},
		{"challenge store down", request{path: "/api/v1/challenge"}, kind.ErrUnavailable, 503, "unavailable", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeIdentity{err: tt.err}
			f := newFixture(t, withIdentity(t, fakeConfig(fake)))
			w := f.do(t, tt.req)
			wantError(t, w, tt.status, tt.code)
			if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.retryAfter)
			}
		})
	}
	t.Run("sign out answers 204", func(t *testing.T) {
		f := newFixture(t, withIdentity(t, fakeConfig(&fakeIdentity{})))
		if w := f.do(t, postJSON("/api/v1/auth/sign-out", `{"refresh_token":"rt_x"}`, nil)); w.Code != http.StatusNoContent {
			t.Errorf("sign out: %d %s", w.Code, w.Body)
		}
	})
}

func TestCastVote_Gate(t *testing.T) {
	t.Run("a refused vote is 429 and records nothing", func(t *testing.T) {
		fake := &fakeIdentity{err: fmt.Errorf("admit: %w", &kind.RateLimitError{Limit: "vote-account", RetryAfter: 30 * time.Second})}
		f := newFixture(t, withIdentity(t, fakeConfig(fake)))
		w := f.vote(t, "demo", "p-c1-a", f.token(t, "42", api.RoleVoter))
		wantError(t, w, http.StatusTooManyRequests, "rate_limited")
		if w.Header().Get("Retry-After") != "30" {
			t.Errorf("Retry-After = %q", w.Header().Get("Retry-After"))
		}
		if len(f.log.recorded()) != 0 || f.obs.lastResult() != "rate_limited" {
			t.Errorf("recorded %d votes, observed %q", len(f.log.recorded()), f.obs.lastResult())
		}
		if a := fake.lastAttempt(t); a.Voter != 42 || a.Challenge {
			t.Errorf("attempt = %+v", a)
		}
	})
	t.Run("the gate says whether the store meters the vote", func(t *testing.T) {
		for _, unmetered := range []bool{false, true} {
			fake := &fakeIdentity{unmetered: unmetered}
			f := newFixture(t, withIdentity(t, fakeConfig(fake)))
			if w := f.vote(t, "demo", "p-c1-a", f.token(t, "42", api.RoleVoter)); w.Code != http.StatusAccepted {
				t.Fatalf("vote: %d %s", w.Code, w.Body)
			}
			if got := f.log.recorded(); len(got) != 1 || got[0].Unmetered != unmetered {
				t.Errorf("gate said unmetered %v; recorded %+v", unmetered, got)
			}
		}
	})
	t.Run("anonymous votes never reach the gate", func(t *testing.T) {
		fake := &fakeIdentity{}
		f := newFixture(t, withIdentity(t, fakeConfig(fake)))
		wantError(t, f.vote(t, "demo", "p-c1-a", ""), http.StatusUnauthorized, "unauthenticated")
		if len(fake.attempts) != 0 {
			t.Error("the gate was asked for an unauthenticated vote")
		}
	})
	t.Run("the edition rule and the header reach the gate", func(t *testing.T) {
		fake := &fakeIdentity{}
		snap := testSnapshot()
		guarded := voting.DefaultRules()
		guarded.VoteChallenge = true
		eds := snap.Editions()
		for i := range eds {
			if eds[i].ID == "demo" {
				eds[i].Rules = guarded
			}
		}
		cats := map[string][]voting.Category{}
		var projects []voting.Project
		for _, e := range eds {
			cats[e.ID] = snap.Categories(e.ID)
			projects = append(projects, snap.Projects(e.ID, "")...)
		}
		f2 := newFixture(t, withIdentity(t, fakeConfig(fake)), func(c *api.Config) {
			c.Catalogue.Replace(voting.NewSnapshot(eds, cats, projects))
		})
		w := f2.do(t, request{method: http.MethodPost, path: "/api/v1/editions/demo/votes", body: `{"project_id":"p-c1-a"}`,
			token: f2.token(t, "42", api.RoleVoter), headers: map[string]string{api.ChallengeHeader: "solution", "Content-Type": "application/json"}, remote: "203.0.113.9:1"})
		if w.Code != http.StatusAccepted {
			t.Fatalf("vote: %d %s", w.Code, w.Body)
		}
		a := fake.lastAttempt(t)
		if !a.Challenge || a.Solution != "solution" || a.Client.IP.String() != "203.0.113.9" {
			t.Errorf("attempt = %+v", a)
		}
	})
}

// TestCastVote_RateLimited runs the vote limits on the real meter: the
// third vote of an account within the burst of two is refused.
func TestCastVote_RateLimited(t *testing.T) {
	svc := realIdentity(t, func(l *identity.Limits) {
		l.VotePerAccount = identity.Rate{Events: 1, Per: time.Hour, Burst: 2}
	})
	f := newFixture(t, withIdentity(t, api.IdentityConfig{Gate: svc}))
	tok := f.token(t, "42", api.RoleVoter)
	for _, p := range []string{"p-c1-a", "p-c2-a"} {
		if w := f.vote(t, "demo", p, tok); w.Code != http.StatusAccepted {
			t.Fatalf("vote for %s: %d %s", p, w.Code, w.Body)
		}
	}
	w := f.vote(t, "demo", "p-c1-b", tok)
	wantError(t, w, http.StatusTooManyRequests, "rate_limited")
	if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After = %q", ra)
	}
	if w := f.vote(t, "demo", "p-c1-a", f.token(t, "43", api.RoleVoter)); w.Code != http.StatusAccepted {
		t.Errorf("another voter: %d %s", w.Code, w.Body)
	}
}

// TestHandler_identityRoutePolicies is the table of the identity routes and
// their policies: it fails when one is missing, has another policy, or when
// any served route has none.
func TestHandler_identityRoutePolicies(t *testing.T) {
	f := newFixture(t, withIdentity(t, fakeConfig(&fakeIdentity{})))
	public := api.Policy{Public: true}
	signedIn := api.Policy{Roles: api.AnyRole}
	want := []struct {
		method, path string
		policy       api.Policy
	}{
		{"GET", "/.well-known/jwks.json", public},
		{"GET", "/static/pow.js", public},
		{"GET", "/api/v1/challenge", public},
		{"POST", "/api/v1/auth/email-code", public},
		{"POST", "/api/v1/auth/token", public},
		{"POST", "/api/v1/auth/refresh", public},
		{"POST", "/api/v1/auth/sign-out", public},
		{"GET", "/api/v1/me", signedIn},
		{"GET", "/api/v1/me/data", signedIn},
		{"DELETE", "/api/v1/me", signedIn},
		{"POST", "/api/v1/editions/:edition/votes", api.Policy{Roles: []string{api.RoleVoter}, InHandler: true}},
	}
	for _, w := range want {
		p, ok := f.handler.Policy(w.method, w.path)
		if !ok {
			t.Errorf("%s %s is not served", w.method, w.path)
			continue
		}
		if p.Public != w.policy.Public || p.InHandler != w.policy.InHandler || !slices.Equal(p.Roles, w.policy.Roles) {
			t.Errorf("%s %s policy = %+v, want %+v", w.method, w.path, p, w.policy)
		}
	}
	for _, r := range f.handler.Routes() {
		if _, ok := f.handler.Policy(r.Method, r.Path); !ok {
			t.Errorf("%s %s has no policy", r.Method, r.Path)
		}
	}
}

// TestMe_BadTokens runs the token attacks of the vote path against a
// signed-in route checked by the policy middleware.
func TestMe_BadTokens(t *testing.T) {
	fake := &fakeIdentity{}
	f := newFixture(t, withIdentity(t, fakeConfig(fake)))
	for _, bt := range badTokens(t, f) {
		t.Run(bt.name, func(t *testing.T) {
			w := f.do(t, request{path: "/api/v1/me", headers: map[string]string{"Authorization": "Bearer " + bt.token}})
			wantError(t, w, http.StatusUnauthorized, "unauthenticated")
		})
	}
	if w := f.do(t, request{path: "/api/v1/me", token: f.token(t, "42", api.RoleVoter)}); w.Code != http.StatusOK {
		t.Errorf("a valid token: %d %s", w.Code, w.Body)
	}
}

func TestJWKS(t *testing.T) {
	f := newFixture(t)
	pub2, _ := testKey(t, 2)
	if err := f.verify.SetKeys(map[string]ed25519.PublicKey{testKid: f.pub, "k2": pub2}); err != nil {
		t.Fatal(err)
	}
	w := f.do(t, request{path: "/.well-known/jwks.json"})
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "public, max-age=60" {
		t.Fatalf("jwks: %d %s %v", w.Code, w.Body, w.Header())
	}
	var set struct {
		Keys []struct {
			Kty, Crv, Alg, Use, Kid, X string
		} `json:"keys"`
	}
	decode(t, w, &set)
	if len(set.Keys) != 2 || set.Keys[0].Kid != testKid || set.Keys[1].Kid != "k2" {
		t.Fatalf("keys = %+v", set.Keys)
	}
	k := set.Keys[0]
	if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Alg != "EdDSA" || k.Use != "sig" {
		t.Errorf("key = %+v", k)
	}
	raw, err := base64.RawURLEncoding.DecodeString(k.X)
	if err != nil {
		t.Fatal(err)
	}
	// A third party checks one of our tokens with the published key alone.
	tok := f.token(t, "42", api.RoleVoter)
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return ed25519.PublicKey(raw), nil },
		jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithTimeFunc(func() time.Time { return t0 }))
	if err != nil || !parsed.Valid {
		t.Errorf("token does not verify with the published key: %v", err)
	}
}

// TestTokens_RoleEscalation checks that roles come only from the signature:
// a voter cannot make itself organiser or juror, and a juror's scope holds.
func TestTokens_RoleEscalation(t *testing.T) {
	f := newFixture(t)
	voter := f.token(t, "42", api.RoleVoter)
	parts := strings.Split(voter, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatal(err)
	}
	m["roles"] = []string{"voter", "organiser"}
	m["role"] = "organiser"
	forged, _ := json.Marshal(m)
	escalated := parts[0] + "." + base64.RawURLEncoding.EncodeToString(forged) + "." + parts[2]
	if _, err := f.verify.Verify(escalated); !errors.Is(err, kind.ErrUnauthenticated) {
		t.Errorf("token with roles added to its payload: %v", err)
	}
	_, otherKey := testKey(t, 9)
	selfSigned, err := api.NewSigner(testKid, otherKey, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	own, err := selfSigned.IssueClaims(api.Claims{Role: api.RoleOrganiser, RegisteredClaims: jwt.RegisteredClaims{Subject: "42"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for name, tok := range map[string]string{"voter": voter, "payload edited": escalated, "own key": own} {
		t.Run(name, func(t *testing.T) {
			// The private tally is for organisers only.
			wantError(t, f.do(t, request{path: "/api/v1/editions/secret/tally", token: tok}), http.StatusForbidden, "tally_hidden")
		})
	}
	organiser, err := f.signer.IssueClaims(api.Claims{Role: api.RoleVoter, Roles: []string{"voter", "owner", "organiser"},
		RegisteredClaims: jwt.RegisteredClaims{Subject: "7"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if w := f.do(t, request{path: "/api/v1/editions/secret/tally", token: organiser}); w.Code != http.StatusOK {
		t.Errorf("organiser on the private tally: %d %s", w.Code, w.Body)
	}
	juror, err := f.signer.IssueClaims(api.Claims{Role: api.RoleVoter, Roles: []string{"voter", "owner", "juror"},
		Jury: []api.JurorScope{{Edition: "demo", Category: "C1"}}, RegisteredClaims: jwt.RegisteredClaims{Subject: "8"}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.verify.Verify(juror)
	if err != nil {
		t.Fatal(err)
	}
	if !c.JurorOf("demo", "C1") || c.JurorOf("demo", "C2") || c.JurorOf("other", "C1") || c.HasRole(api.RoleOrganiser) {
		t.Errorf("juror claims = %+v", c)
	}
	vc, err := f.verify.Verify(voter)
	if err != nil {
		t.Fatal(err)
	}
	if vc.JurorOf("demo", "C1") || vc.HasRole(api.RoleOwner) {
		t.Errorf("a rehearsal voter token carries more than the voter role: %+v", vc)
	}
}

func TestIdentity_SecurityHeadersEverywhere(t *testing.T) {
	fake := &fakeIdentity{err: &kind.RateLimitError{Limit: "code-ip", RetryAfter: time.Second}}
	f := newFixture(t, withIdentity(t, fakeConfig(fake)))
	for _, r := range []request{
		{path: "/.well-known/jwks.json"},
		{path: "/static/pow.js"},
		{path: "/api/v1/challenge"},
		postJSON("/api/v1/auth/email-code", `{"email":"a@example.org"}`, nil),
		postJSON("/api/v1/auth/token", `{}`, nil),
		{path: "/api/v1/me"},
		{path: "/nowhere"},
	} {
		w := f.do(t, r)
		for k, v := range map[string]string{
			"X-Content-Type-Options":     "nosniff",
			"Strict-Transport-Security":  "max-age=63072000; includeSubDomains",
			"Cross-Origin-Opener-Policy": "same-origin",
			"X-Frame-Options":            "DENY",
		} {
			if got := w.Header().Get(k); got != v {
				t.Errorf("%s %s (%d): %s = %q, want %q", r.method, r.path, w.Code, k, got, v)
			}
		}
	}
	w := f.do(t, request{path: "/static/pow.js"})
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(w.Body.String(), "fetchAndSolve") {
		t.Errorf("pow.js: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
}

// TestCastVote_ForwardedHeaders checks that the gate sees the address Gin
// derives from X-Forwarded-For for trusted proxies only, and never from
// X-Real-IP.
func TestCastVote_ForwardedHeaders(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		headers map[string]string
		want    string
	}{
		{"untrusted peer", nil, map[string]string{"X-Forwarded-For": "203.0.113.5"}, "10.1.2.3"},
		{"trusted proxy", []string{"10.0.0.0/8"}, map[string]string{"X-Forwarded-For": "203.0.113.5"}, "203.0.113.5"},
		{"X-Real-IP is ignored", []string{"10.0.0.0/8"}, map[string]string{"X-Real-IP": "203.0.113.5"}, "10.1.2.3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeIdentity{}
			f := newFixture(t, withIdentity(t, fakeConfig(fake)),
				func(c *api.Config) { c.TrustedProxies = tt.proxies })
			r := postJSON("/api/v1/editions/demo/votes", `{"project_id":"p-c1-a"}`, tt.headers)
			r.token, r.remote = f.token(t, "42", api.RoleVoter), "10.1.2.3:5000"
			w := f.do(t, r)
			if w.Code != http.StatusAccepted {
				t.Fatalf("vote: %d %s", w.Code, w.Body)
			}
			if got := fake.lastAttempt(t).Client.IP.String(); got != tt.want {
				t.Errorf("client = %s, want %s", got, tt.want)
			}
		})
	}
}
