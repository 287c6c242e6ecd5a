package identity_test

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/fake"
)

// t0 is the fixture's starting time.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// memSecrets is an in-memory identity.Secrets that rotates like the real one.
type memSecrets struct {
	mu sync.Mutex
	m  map[string][]identity.Secret // newest first
	n  int
}

func (s *memSecrets) Secrets(_ context.Context, purpose string, now time.Time, rotate, keep time.Duration) ([]identity.Secret, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[string][]identity.Secret)
	}
	list := s.m[purpose]
	if len(list) == 0 || rotate > 0 && now.Sub(list[0].CreatedAt) >= rotate {
		key := make([]byte, 32)
		rand.Read(key)
		s.n++
		list = append([]identity.Secret{{ID: fmt.Sprint(s.n), Key: key, CreatedAt: now}}, list...)
	}
	if keep > 0 {
		for i := 1; i < len(list); i++ {
			if now.Sub(list[i-1].CreatedAt) > keep {
				list = list[:i]
				break
			}
		}
	}
	s.m[purpose] = list
	return append([]identity.Secret(nil), list...), nil
}

// memCodes is an in-memory identity.Codes.
type memCodes struct {
	mu sync.Mutex
	m  map[string]*memCode
}

type memCode struct {
	hash     []byte
	expires  time.Time
	attempts int
}

func (c *memCodes) PutCode(_ context.Context, emailHash, codeHash []byte, expires time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*memCode)
	}
	c.m[string(emailHash)] = &memCode{hash: codeHash, expires: expires}
	return nil
}

func (c *memCodes) TakeCode(_ context.Context, emailHash, codeHash []byte, now time.Time, max int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[string(emailHash)]
	if e == nil || !now.Before(e.expires) || e.attempts >= max {
		return identity.ErrInvalidCode
	}
	e.attempts++
	if subtle.ConstantTimeCompare(e.hash, codeHash) != 1 {
		return identity.ErrInvalidCode
	}
	delete(c.m, string(emailHash))
	return nil
}

// memAccounts is an in-memory identity.Accounts.
type memAccounts struct {
	mu     sync.Mutex
	byHash map[string]int64
	rows   map[int64]*memAccount
	grants map[int64][]identity.Grant
	events []identity.Event
}

type memAccount struct {
	identity.Account
	erased bool
}

func (a *memAccounts) Enrol(_ context.Context, e identity.Enrolment) (identity.Account, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.rows == nil {
		a.byHash, a.rows, a.grants = map[string]int64{}, map[int64]*memAccount{}, map[int64][]identity.Grant{}
	}
	id, ok := a.byHash[string(e.EmailHash)]
	if !ok {
		id = int64(len(a.rows) + 1)
		a.byHash[string(e.EmailHash)] = id
		a.rows[id] = &memAccount{Account: identity.Account{ID: id, Email: e.Email, DisplayName: e.Profile.DisplayName,
			Country: e.Profile.Country, CreatedAt: e.At, VerifiedAt: e.At}}
	}
	r := a.rows[id]
	if r.erased {
		r.erased = false
		r.Email, r.DisplayName, r.Country = e.Email, e.Profile.DisplayName, e.Profile.Country
	}
	return r.Account, nil
}

func (a *memAccounts) Account(_ context.Context, id int64) (identity.Account, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.rows[id]
	if !ok || r.erased {
		return identity.Account{}, identity.ErrNotFound
	}
	return r.Account, nil
}

func (a *memAccounts) Grants(_ context.Context, id int64) ([]identity.Grant, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.grants[id], nil
}

func (a *memAccounts) Record(_ context.Context, ev identity.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, ev)
	return nil
}

func (a *memAccounts) Export(ctx context.Context, id int64) (identity.Export, error) {
	acct, err := a.Account(ctx, id)
	if err != nil {
		return identity.Export{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	x := identity.Export{Account: acct, Grants: a.grants[id]}
	for _, ev := range a.events {
		if ev.Account == id {
			x.Events = append(x.Events, ev)
		}
	}
	return x, nil
}

func (a *memAccounts) Erase(_ context.Context, id int64, _ time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	r, ok := a.rows[id]
	if !ok || r.erased {
		return identity.ErrNotFound
	}
	r.erased = true
	r.Email, r.DisplayName, r.Country = "", "", ""
	delete(a.grants, id)
	return nil
}

func (a *memAccounts) eventKinds() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, ev := range a.events {
		out = append(out, ev.Kind)
	}
	return out
}

// memSessions is an in-memory identity.Sessions.
type memSessions struct {
	mu       sync.Mutex
	tokens   map[string]*memToken
	families map[string]*memFamily
}

type memToken struct {
	identity.RefreshToken
	used bool
}

type memFamily struct {
	started time.Time
	expires time.Time
	revoked bool
}

func (s *memSessions) Open(_ context.Context, t identity.RefreshToken, familyExpires time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tokens == nil {
		s.tokens, s.families = map[string]*memToken{}, map[string]*memFamily{}
	}
	s.tokens[string(t.Hash)] = &memToken{RefreshToken: t}
	s.families[t.Family] = &memFamily{started: t.Issued, expires: familyExpires}
	return nil
}

func (s *memSessions) Rotate(_ context.Context, old []byte, next *identity.RefreshToken, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[string(old)]
	if !ok {
		return identity.ErrInvalidRefresh
	}
	f := s.families[t.Family]
	next.Family, next.Account, next.SignedIn = t.Family, t.Account, f.started
	if f.revoked || !now.Before(t.Expires) {
		return identity.ErrInvalidRefresh
	}
	if t.used {
		f.revoked = true
		return identity.ErrRefreshReused
	}
	t.used = true
	if next.Expires.After(f.expires) {
		next.Expires = f.expires
	}
	s.tokens[string(next.Hash)] = &memToken{RefreshToken: *next}
	return nil
}

func (s *memSessions) Revoke(_ context.Context, h []byte, _ time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[string(h)]; ok {
		s.families[t.Family].revoked = true
	}
	return nil
}

// memMeter is an in-memory identity.Meter with the same GCRA as the Redis
// one, on the fixture's clock.
type memMeter struct {
	mu     sync.Mutex
	now    func() time.Time
	tat    map[string]time.Time
	spent  map[string]bool
	counts map[string]int64
	takes  int
	err    error
}

func (m *memMeter) Take(_ context.Context, limits []identity.Limit, spend identity.Spend) (identity.Verdict, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return identity.Verdict{}, m.err
	}
	m.takes++
	if m.tat == nil {
		m.tat, m.spent = map[string]time.Time{}, map[string]bool{}
	}
	now := m.now()
	var v identity.Verdict
	for _, l := range limits {
		k := l.Name + ":" + l.Key
		t := l.Rate.Interval()
		tat := m.tat[k]
		if tat.Before(now) {
			tat = now
		}
		next := tat.Add(t)
		allowAt := next.Add(-t * time.Duration(max(l.Rate.Burst, 1)))
		if now.Before(allowAt) {
			if v.Refused == "" {
				v.Refused, v.RetryAfter = l.Name, allowAt.Sub(now)
			}
			continue
		}
		m.tat[k] = next
	}
	if spend.Key != "" {
		v.Replayed = m.spent[spend.Key]
		m.spent[spend.Key] = true
	}
	return v, nil
}

func (m *memMeter) Count(_ context.Context, cs []identity.Counter) ([]int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return nil, m.err
	}
	if m.counts == nil {
		m.counts = map[string]int64{}
	}
	out := make([]int64, len(cs))
	for i, c := range cs {
		k := c.Name + ":" + c.Key
		m.counts[k]++
		out[i] = m.counts[k]
	}
	return out, nil
}

// memMailer remembers what it sent.
type memMailer struct {
	mu   sync.Mutex
	sent []identity.Message
	err  error
}

func (m *memMailer) Send(_ context.Context, msg identity.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	m.sent = append(m.sent, msg)
	return nil
}

var codePattern = regexp.MustCompile(`\b(\d{6})\b`)

// lastCode returns the code in the last mail to addr.
func (m *memMailer) lastCode(tb testing.TB, addr string) string {
	tb.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.sent) - 1; i >= 0; i-- {
		if m.sent[i].To == addr {
			if c := codePattern.FindStringSubmatch(m.sent[i].Text); c != nil {
				return c[1]
			}
			tb.Fatalf("mail to %s has no code: %q", addr, m.sent[i].Text)
		}
	}
	tb.Fatalf("no mail to %s", addr)
	return ""
}

func (m *memMailer) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.sent)
}

// fixture is a service over in-memory stores and a fixed clock.
type fixture struct {
	svc      *identity.Service
	clock    *fake.Clock
	accounts *memAccounts
	codes    *memCodes
	sessions *memSessions
	meter    *memMeter
	mailer   *memMailer
}

func newFixture(tb testing.TB, mutate ...func(*identity.Config)) *fixture {
	tb.Helper()
	f := &fixture{clock: fake.NewClock(t0), accounts: &memAccounts{}, codes: &memCodes{}, sessions: &memSessions{}, mailer: &memMailer{}}
	f.meter = &memMeter{now: f.clock.Now}
	cfg := identity.Config{
		Accounts: f.accounts, Codes: f.codes, Sessions: f.sessions, Secrets: &memSecrets{},
		Meter: f.meter, Mailer: f.mailer, Limits: identity.DefaultLimits(),
		// Easy puzzles keep the tests fast; difficulty has its own test.
		Difficulty: identity.Difficulty{Base: 1000, Max: 64000, LoadThreshold: 100, ClientThreshold: 5},
		SiteName:   "WSIS Prizes", Now: f.clock.Now,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	svc, err := identity.New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	f.svc = svc
	return f
}

// solved returns a solved challenge for purpose.
func (f *fixture) solved(tb testing.TB, purpose string, c identity.Client) identity.Solution {
	tb.Helper()
	ch, err := f.svc.IssueChallenge(context.Background(), identity.ChallengeRequest{Purpose: purpose, Client: c})
	if err != nil {
		tb.Fatal(err)
	}
	sol, err := identity.Solve(context.Background(), ch)
	if err != nil {
		tb.Fatal(err)
	}
	return sol
}

// signIn requests a code for addr and signs in with it.
func (f *fixture) signIn(tb testing.TB, addr string, c identity.Client) identity.Session {
	tb.Helper()
	ctx := context.Background()
	if err := f.svc.RequestCode(ctx, identity.CodeRequest{Email: addr, Solution: f.solved(tb, identity.PurposeCode, c).Encode(), Client: c}); err != nil {
		tb.Fatalf("request code: %v", err)
	}
	e, err := identity.ParseEmail(addr)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := f.svc.SignIn(ctx, identity.SignInRequest{Email: addr, Code: f.mailer.lastCode(tb, e.Address), Client: c})
	if err != nil {
		tb.Fatalf("sign in: %v", err)
	}
	return s
}
