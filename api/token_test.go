package api_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/kind"
)

type namedToken struct {
	name  string
	token string
}

// badTokens are voter tokens the fixture's verifier must refuse, each for a
// different reason.
func badTokens(tb testing.TB, f *fixture) []namedToken {
	tb.Helper()
	at := func(t time.Time) func() time.Time { return func() time.Time { return t } }
	signerAt := func(kid string, key ed25519.PrivateKey, now time.Time) *api.Signer {
		s, err := api.NewSigner(kid, key, at(now))
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	issue := func(s *api.Signer) string {
		tok, err := s.Issue("42", api.RoleVoter, time.Time{}, time.Hour)
		if err != nil {
			tb.Fatal(err)
		}
		return tok
	}
	sign := func(method jwt.SigningMethod, kid any, claims jwt.Claims, key any) string {
		t := jwt.NewWithClaims(method, claims)
		if kid != nil {
			t.Header["kid"] = kid
		}
		s, err := t.SignedString(key)
		if err != nil {
			tb.Fatal(err)
		}
		return s
	}
	valid := api.Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   "42",
			IssuedAt:  jwt.NewNumericDate(t0),
			ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
		},
		Role: api.RoleVoter,
	}
	noExp := valid
	noExp.ExpiresAt = nil
	_, otherKey := testKey(tb, 2)

	good := issue(signerAt(testKid, f.priv, t0))
	parts := strings.Split(good, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	forged := strings.Replace(string(payload), `"sub":"42"`, `"sub":"43"`, 1)
	if forged == string(payload) {
		tb.Fatalf("payload %s has no subject to tamper with", payload)
	}
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]

	return []namedToken{
		{"expired", issue(signerAt(testKid, f.priv, t0.Add(-2*time.Hour)))},
		{"not yet valid", issue(signerAt(testKid, f.priv, t0.Add(time.Hour)))},
		{"unknown kid", issue(signerAt("k-other", otherKey, t0))},
		{"known kid, other key", issue(signerAt(testKid, otherKey, t0))},
		{"no kid", sign(jwt.SigningMethodEdDSA, nil, valid, f.priv)},
		{"non-string kid", sign(jwt.SigningMethodEdDSA, 1, valid, f.priv)},
		{"no expiry", sign(jwt.SigningMethodEdDSA, testKid, noExp, f.priv)},
		{"tampered payload", tampered},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"alg none", sign(jwt.SigningMethodNone, testKid, valid, jwt.UnsafeAllowNoneSignatureType)},
		{"HS256 keyed with the public key", sign(jwt.SigningMethodHS256, testKid, valid, []byte(f.pub))},
		{"oversized", good + strings.Repeat("A", 5000)},
		{"empty", ""},
	}
}

func TestVerifier_Verify(t *testing.T) {
	f := newFixture(t)
	t.Run("valid", func(t *testing.T) {
		tok, err := f.signer.Issue("42", api.RoleVoter, t0.Add(-48*time.Hour), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		c, err := f.verify.Verify(tok)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if c.Subject != "42" || c.Role != api.RoleVoter || c.Since != t0.Add(-48*time.Hour).Unix() {
			t.Errorf("claims = %+v", c)
		}
		if !c.ExpiresAt.Time.Equal(t0.Add(time.Hour)) {
			t.Errorf("expiry = %v, want %v", c.ExpiresAt.Time, t0.Add(time.Hour))
		}
	})
	for _, bt := range badTokens(t, f) {
		t.Run(bt.name, func(t *testing.T) {
			c, err := f.verify.Verify(bt.token)
			if err == nil {
				t.Fatalf("Verify accepted the token with claims %+v", c)
			}
			if !errors.Is(err, kind.ErrUnauthenticated) {
				t.Errorf("error %v does not wrap kind.ErrUnauthenticated", err)
			}
		})
	}
}

func TestCastVote_BadTokens(t *testing.T) {
	f := newFixture(t)
	for _, bt := range badTokens(t, f) {
		t.Run(bt.name, func(t *testing.T) {
			w := f.do(t, request{
				method: http.MethodPost,
				path:   "/api/v1/editions/demo/votes",
				body:   `{"project_id":"p-c1-a"}`,
				// The header is set directly so that an empty token still
				// sends the scheme.
				headers: map[string]string{"Authorization": "Bearer " + bt.token},
			})
			wantError(t, w, http.StatusUnauthorized, "unauthenticated")
		})
	}
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", f.token(t, "42", api.RoleVoter)} {
		w := f.do(t, request{
			method:  http.MethodPost,
			path:    "/api/v1/editions/demo/votes",
			body:    `{"project_id":"p-c1-a"}`,
			headers: map[string]string{"Authorization": h},
		})
		wantError(t, w, http.StatusUnauthorized, "unauthenticated")
	}
	if n := len(f.log.recorded()); n != 0 {
		t.Errorf("log holds %d votes, want none", n)
	}
}

func TestCastVote_BearerSchemeCaseInsensitive(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, request{
		method:  http.MethodPost,
		path:    "/api/v1/editions/demo/votes",
		body:    `{"project_id":"p-c1-a"}`,
		headers: map[string]string{"Authorization": "bearer " + f.token(t, "42", api.RoleVoter), "Content-Type": "application/json"},
	})
	if w.Code != http.StatusAccepted {
		t.Errorf("status = %d, want 202 (body %s)", w.Code, w.Body)
	}
}

// TestVerifier_CacheHonoursExpiry checks that a cached token stops being
// accepted when it expires.
func TestVerifier_CacheHonoursExpiry(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "42", api.RoleVoter)
	for i := range 2 {
		if _, err := f.verify.Verify(tok); err != nil {
			t.Fatalf("Verify #%d: %v", i, err)
		}
	}
	f.clock.Set(t0.Add(2 * time.Hour))
	if _, err := f.verify.Verify(tok); !errors.Is(err, kind.ErrUnauthenticated) {
		t.Errorf("Verify after expiry: err = %v, want ErrUnauthenticated", err)
	}
}

// TestVerifier_ConcurrentEviction verifies many tokens from many goroutines
// through a cache far smaller than the working set, so shards fill and are
// cleared while others read them.
func TestVerifier_ConcurrentEviction(t *testing.T) {
	pub, priv := testKey(t, 1)
	now := func() time.Time { return t0 }
	signer, err := api.NewSigner(testKid, priv, now)
	if err != nil {
		t.Fatal(err)
	}
	v, err := api.NewVerifier(map[string]ed25519.PublicKey{testKid: pub}, now, api.WithCacheSize(64))
	if err != nil {
		t.Fatal(err)
	}
	toks := make([]string, 300)
	for i := range toks {
		if toks[i], err = signer.Issue(fmt.Sprint(i+1), api.RoleVoter, time.Time{}, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for r := range 3 {
				for i := range toks {
					tok := toks[(i*7+g+r)%len(toks)]
					c, err := v.Verify(tok)
					if err != nil {
						errs <- err
						return
					}
					if want := fmt.Sprint((i*7+g+r)%len(toks) + 1); c.Subject != want {
						errs <- fmt.Errorf("subject %q, want %q", c.Subject, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestVerifier_SetKeys(t *testing.T) {
	f := newFixture(t)
	pub2, priv2 := testKey(t, 2)
	signer2, err := api.NewSigner("k2", priv2, f.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	tok1 := f.token(t, "1", api.RoleVoter)
	tok2, err := signer2.Issue("2", api.RoleVoter, time.Time{}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	verifies := func(tok string) bool {
		_, err := f.verify.Verify(tok)
		return err == nil
	}
	steps := []struct {
		name    string
		keys    map[string]ed25519.PublicKey
		wantErr bool
		want1   bool
		want2   bool
	}{
		{name: "initial key only", keys: nil, want1: true, want2: false},
		{name: "key added", keys: map[string]ed25519.PublicKey{testKid: f.pub, "k2": pub2}, want1: true, want2: true},
		{name: "first key withdrawn", keys: map[string]ed25519.PublicKey{"k2": pub2}, want1: false, want2: true},
		{name: "empty set refused", keys: map[string]ed25519.PublicKey{}, wantErr: true, want1: false, want2: true},
		{name: "short key refused", keys: map[string]ed25519.PublicKey{testKid: f.pub[:3]}, wantErr: true, want1: false, want2: true},
		{name: "first key back", keys: map[string]ed25519.PublicKey{testKid: f.pub}, want1: true, want2: false},
	}
	for _, st := range steps {
		if st.keys != nil {
			if err := f.verify.SetKeys(st.keys); (err != nil) != st.wantErr {
				t.Fatalf("%s: SetKeys error = %v, want error %v", st.name, err, st.wantErr)
			}
		}
		// Each token is verified twice so that the second answer comes from
		// the cache when the first was a success.
		for range 2 {
			if got := verifies(tok1); got != st.want1 {
				t.Errorf("%s: first key's token verifies = %v, want %v", st.name, got, st.want1)
			}
			if got := verifies(tok2); got != st.want2 {
				t.Errorf("%s: second key's token verifies = %v, want %v", st.name, got, st.want2)
			}
		}
	}
}

// TestVerifier_SetKeysConcurrent rotates keys while tokens are verified, for
// the race detector; a token of the key that is never withdrawn must always
// verify.
func TestVerifier_SetKeysConcurrent(t *testing.T) {
	f := newFixture(t)
	pub2, _ := testKey(t, 2)
	tok := f.token(t, "1", api.RoleVoter)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		sets := []map[string]ed25519.PublicKey{
			{testKid: f.pub, "k2": pub2},
			{testKid: f.pub},
		}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := f.verify.SetKeys(sets[i%2]); err != nil {
				t.Error(err)
				return
			}
		}
	})
	for range 2000 {
		if _, err := f.verify.Verify(tok); err != nil {
			t.Errorf("Verify during rotation: %v", err)
			break
		}
	}
	close(stop)
	wg.Wait()
}

func TestNewSigner_Errors(t *testing.T) {
	_, priv := testKey(t, 1)
	if _, err := api.NewSigner("", priv, nil); err == nil {
		t.Error("NewSigner accepted an empty key id")
	}
	if _, err := api.NewSigner(testKid, priv[:10], nil); err == nil {
		t.Error("NewSigner accepted a short key")
	}
	s, err := api.NewSigner(testKid, priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		sub, role string
		ttl       time.Duration
	}{{"", api.RoleVoter, time.Hour}, {"1", "", time.Hour}, {"1", api.RoleVoter, 0}} {
		if _, err := s.Issue(bad.sub, bad.role, time.Time{}, bad.ttl); err == nil {
			t.Errorf("Issue(%q, %q, %v) succeeded", bad.sub, bad.role, bad.ttl)
		}
	}
}

func TestNewVerifier_Errors(t *testing.T) {
	pub, _ := testKey(t, 1)
	if _, err := api.NewVerifier(nil, nil); err == nil {
		t.Error("NewVerifier accepted no keys")
	}
	if _, err := api.NewVerifier(map[string]ed25519.PublicKey{"k": pub[:5]}, nil); err == nil {
		t.Error("NewVerifier accepted a short key")
	}
}
