package api_test

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	iredis "github.com/wsisvote/prizes/identity/redis"
	"github.com/wsisvote/prizes/identity/smtp"
	"github.com/wsisvote/prizes/internal/testenv"
)

// withIdentity serves the identity routes with ic, signing with the
// fixture's key at the fixture's starting time when ic has no issuer.
func withIdentity(tb testing.TB, ic api.IdentityConfig) fixtureOption {
	tb.Helper()
	if ic.Issuer == nil {
		_, priv := testKey(tb, 1)
		s, err := api.NewSigner(testKid, priv, func() time.Time { return t0 })
		if err != nil {
			tb.Fatal(err)
		}
		ic.Issuer = api.NewIssuer(s)
	}
	return func(c *api.Config) { c.Identity = ic }
}

// fakeIdentity answers every identity call with err, or with canned
// results, and remembers the calls it got.
type fakeIdentity struct {
	mu       sync.Mutex
	err      error
	session  identity.Session
	attempts []identity.VoteAttempt
	codes    []identity.CodeRequest
	// unmetered is what AdmitVote says of every vote it lets through.
	unmetered bool
	// votes are the votes Export lists.
	votes []identity.ExportedVote
}

func (f *fakeIdentity) IssueChallenge(context.Context, identity.ChallengeRequest) (identity.Challenge, error) {
	return identity.Challenge{Algorithm: identity.Algorithm, MaxNumber: 10}, f.err
}

func (f *fakeIdentity) RequestCode(_ context.Context, r identity.CodeRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes = append(f.codes, r)
	return f.err
}

func (f *fakeIdentity) SignIn(context.Context, identity.SignInRequest) (identity.Session, error) {
	return f.session, f.err
}

func (f *fakeIdentity) Refresh(context.Context, identity.RefreshRequest) (identity.Session, error) {
	return f.session, f.err
}

func (f *fakeIdentity) SignOut(context.Context, string) error { return f.err }

func (f *fakeIdentity) Account(context.Context, int64) (identity.Account, []identity.Grant, error) {
	return f.session.Account, f.session.Grants, f.err
}

func (f *fakeIdentity) Export(context.Context, int64) (identity.Export, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return identity.Export{Account: f.session.Account, Votes: append([]identity.ExportedVote(nil), f.votes...)}, f.err
}

func (f *fakeIdentity) Erase(context.Context, int64) error { return f.err }

func (f *fakeIdentity) AdmitVote(_ context.Context, a identity.VoteAttempt) (identity.Admission, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.attempts = append(f.attempts, a)
	if f.err != nil {
		return identity.Admission{}, f.err
	}
	return identity.Admission{Unmetered: f.unmetered}, nil
}

func (f *fakeIdentity) lastAttempt(tb testing.TB) identity.VoteAttempt {
	tb.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.attempts) == 0 {
		tb.Fatal("the gate was not asked")
	}
	return f.attempts[len(f.attempts)-1]
}

// fakeConfig serves every identity route with fake.
func fakeConfig(fake *fakeIdentity) api.IdentityConfig {
	return api.IdentityConfig{SignIn: fake, Accounts: fake, Gate: fake}
}

// realIdentity is an identity service over the test PostgreSQL, Redis and
// mail server, with limits mutated by the caller.
func realIdentity(tb testing.TB, limits func(*identity.Limits)) *identity.Service {
	tb.Helper()
	ctx := context.Background()
	store := ipostgres.New(testenv.Postgres(tb))
	rc := testenv.Redis(tb)
	prefix := testenv.RedisPrefix(tb, rc)
	meter, err := iredis.New(ctx, rc, iredis.Options{Prefix: prefix})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(meter.Close)
	host, port := splitAddr(tb, testenv.SMTPAddr(tb))
	mailer, err := smtp.New(smtp.Config{Host: host, Port: port, TLS: smtp.TLSNone, From: "WSIS Prizes <noreply@prizes.example>"})
	if err != nil {
		tb.Fatal(err)
	}
	l := identity.DefaultLimits()
	if limits != nil {
		limits(&l)
	}
	svc, err := identity.New(ctx, identity.Config{
		Accounts: store, Codes: store, Sessions: store, Secrets: store, Meter: meter, Mailer: mailer,
		Limits: l, Difficulty: identity.Difficulty{Base: 2000, Max: 2000}, SiteName: "WSIS Prizes",
	})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

func splitAddr(tb testing.TB, addr string) (string, int) {
	tb.Helper()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		tb.Fatal(err)
	}
	return ap.Addr().String(), int(ap.Port())
}

// postJSON describes a JSON POST.
func postJSON(path, body string, headers map[string]string) request {
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	return request{method: http.MethodPost, path: path, body: body, headers: h, remote: "198.51.100.7:4000"}
}
