package identity_test

import (
	"context"
	"errors"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

func TestParseEmail(t *testing.T) {
	tests := []struct {
		in, addr, canonical string
		ok                  bool
	}{
		{"Ada@Example.ORG", "ada@example.org", "ada@example.org", true},
		{"  ada+wsis@example.org ", "ada+wsis@example.org", "ada@example.org", true},
		{"A.Da+x@GoogleMail.com", "a.da+x@googlemail.com", "ada@gmail.com", true},
		{"a.da@example.org", "a.da@example.org", "a.da@example.org", true},
		{"", "", "", false},
		{"ada", "", "", false},
		{"ada@localhost", "", "", false},
		{"Ada <ada@example.org>", "", "", false},
		{"ada@example.org\r\nBcc: x@y.org", "", "", false},
		{"ada@[192.0.2.1]", "", "", false},
		{"ada@example..org", "", "", false},
		{strings.Repeat("a", 250) + "@x.org", "", "", false},
	}
	for _, tt := range tests {
		e, err := identity.ParseEmail(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseEmail(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, kind.ErrInvalid) {
				t.Errorf("ParseEmail(%q) error %v does not wrap kind.ErrInvalid", tt.in, err)
			}
			continue
		}
		if e.Address != tt.addr || e.Canonical != tt.canonical {
			t.Errorf("ParseEmail(%q) = %+v, want address %q canonical %q", tt.in, e, tt.addr, tt.canonical)
		}
	}
}

func TestBlocklist_Blocked(t *testing.T) {
	b, err := identity.NewBlocklist(strings.NewReader("# extra\nthrowaway.example\n"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() < 150 {
		t.Errorf("blocklist holds %d domains; the shipped list is missing", b.Len())
	}
	for domain, want := range map[string]bool{
		"mailinator.com": true, "MAILINATOR.COM": true, "eu.mailinator.com": true,
		"throwaway.example": true, "x.throwaway.example.": true,
		"example.org": false, "notmailinator.com": false, "com": false,
	} {
		if got := b.Blocked(domain); got != want {
			t.Errorf("Blocked(%q) = %v, want %v", domain, got, want)
		}
	}
	t.Run("replace", func(t *testing.T) {
		if err := b.Replace(strings.NewReader("other.example\n")); err != nil {
			t.Fatal(err)
		}
		if b.Blocked("throwaway.example") || !b.Blocked("other.example") || !b.Blocked("yopmail.com") {
			t.Error("Replace did not swap the extra list while keeping the shipped one")
		}
		if err := b.Replace(strings.NewReader("not a domain\n")); err == nil {
			t.Error("Replace accepted a malformed list")
		}
		if !b.Blocked("other.example") {
			t.Error("a failed Replace changed the list in force")
		}
	})
}

func TestService_EmailClass(t *testing.T) {
	f := newFixture(t)
	tests := []struct{ domain, want string }{
		{"example.org", voting.EmailOrganisation},
		{"un.int", voting.EmailOrganisation},
		{"gmail.com", voting.EmailFree},
		{"Outlook.com", voting.EmailFree},
		{"gmail.com.", voting.EmailFree},
		{"mailinator.com", voting.EmailDisposable},
		{"mx.yopmail.com", voting.EmailDisposable},
		{"", ""},
	}
	for _, tc := range tests {
		if got := f.svc.EmailClass(tc.domain); got != tc.want {
			t.Errorf("EmailClass(%q) = %q; want %q", tc.domain, got, tc.want)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want identity.Rate
		ok   bool
	}{
		{"600/1m:300", identity.Rate{Events: 600, Per: time.Minute, Burst: 300}, true},
		{"5/h", identity.Rate{Events: 5, Per: time.Hour, Burst: 1}, true},
		{"off", identity.Rate{}, true},
		{"0", identity.Rate{}, true},
		{"5", identity.Rate{}, false},
		{"-1/1m", identity.Rate{}, false},
		{"5/xyz", identity.Rate{}, false},
		{"5/1m:0", identity.Rate{}, false},
		{"5000000000/1ns", identity.Rate{}, false},
	}
	for _, tt := range tests {
		got, err := identity.ParseRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
		if err == nil && !got.Off() {
			if back, err := identity.ParseRate(got.String()); err != nil || back != got {
				t.Errorf("ParseRate(%q.String()) = %+v, %v", tt.in, back, err)
			}
		}
	}
}

func TestDifficulty_For(t *testing.T) {
	d := identity.Difficulty{Base: 1000, Max: 20_000, LoadThreshold: 100, ClientThreshold: 10}
	tests := []struct {
		load, client int64
		suspicious   bool
		want         int64
	}{
		{0, 0, false, 1000},
		{100, 10, false, 1000},
		{101, 0, false, 2000},
		{200, 0, false, 2000},
		{201, 0, false, 4000},
		{0, 11, false, 2000},
		{0, 41, false, 8000},
		{0, 0, true, 2000},
		{201, 41, true, 20_000},
		{1 << 40, 1 << 40, true, 20_000},
	}
	for _, tt := range tests {
		if got := d.For(tt.load, tt.client, tt.suspicious); got != tt.want {
			t.Errorf("For(%d, %d, %v) = %d, want %d", tt.load, tt.client, tt.suspicious, got, tt.want)
		}
	}
}

func TestProfile_Validate(t *testing.T) {
	for _, tt := range []struct {
		p  identity.Profile
		ok bool
	}{
		{identity.Profile{}, true},
		{identity.Profile{DisplayName: "Ada Lovelace", Country: "GB"}, true},
		{identity.Profile{DisplayName: "Zoë 日本"}, true},
		{identity.Profile{DisplayName: strings.Repeat("x", 81)}, false},
		{identity.Profile{DisplayName: "a\x00b"}, false},
		{identity.Profile{DisplayName: "\xff"}, false},
		{identity.Profile{Country: "gb"}, false},
		{identity.Profile{Country: "GBR"}, false},
	} {
		if err := tt.p.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tt.p, err, tt.ok)
		}
	}
}

func TestGrant_ValidateAndRoles(t *testing.T) {
	good := []identity.Grant{{Role: identity.RoleOrganiser}, {Role: identity.RoleJuror, Edition: "wsis", Category: "C1"}}
	for _, g := range good {
		if err := g.Validate(); err != nil {
			t.Errorf("%+v: %v", g, err)
		}
	}
	for _, g := range []identity.Grant{{Role: identity.RoleVoter}, {Role: identity.RoleJuror, Edition: "wsis"},
		{Role: identity.RoleOrganiser, Edition: "wsis"}, {Role: "admin"}} {
		if err := g.Validate(); !errors.Is(err, kind.ErrInvalid) {
			t.Errorf("%+v.Validate() = %v, want kind.ErrInvalid", g, err)
		}
	}
	got := identity.Roles(append(good, identity.Grant{Role: identity.RoleJuror, Edition: "wsis", Category: "C2"}))
	want := []string{"voter", "owner", "juror", "organiser"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Roles = %v, want %v", got, want)
	}
}

var alice = identity.Client{IP: netip.MustParseAddr("198.51.100.7"), UserAgent: "Mozilla/5.0"}

func TestService_SignIn(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.signIn(t, "Ada+prizes@Example.org", alice)
	if s.Account.ID <= 0 || s.Account.Email != "ada+prizes@example.org" || s.Refresh == "" {
		t.Fatalf("session = %+v", s)
	}
	if !s.RefreshExpires.Equal(t0.Add(30 * 24 * time.Hour)) {
		t.Errorf("refresh expires %v", s.RefreshExpires)
	}
	if !s.SignedInAt.Equal(t0) || s.EmailClass != voting.EmailOrganisation {
		t.Errorf("session signed in at %v with email class %q; want %v, %q", s.SignedInAt, s.EmailClass, t0, voting.EmailOrganisation)
	}
	if s := f.signIn(t, "ada.lovelace@gmail.com", alice); s.EmailClass != voting.EmailFree {
		t.Errorf("a Gmail address has email class %q", s.EmailClass)
	}
	t.Run("the same mailbox spelled differently is the same account", func(t *testing.T) {
		s2 := f.signIn(t, "ada@example.org", alice)
		if s2.Account.ID != s.Account.ID {
			t.Errorf("account %d, want %d", s2.Account.ID, s.Account.ID)
		}
	})
	t.Run("a code works once", func(t *testing.T) {
		f.signIn(t, "grace@example.org", alice)
		code := f.mailer.lastCode(t, "grace@example.org")
		_, err := f.svc.SignIn(ctx, identity.SignInRequest{Email: "grace@example.org", Code: code, Client: alice})
		if !errors.Is(err, identity.ErrInvalidCode) {
			t.Errorf("second use: %v, want ErrInvalidCode", err)
		}
	})
	t.Run("five wrong attempts burn the code", func(t *testing.T) {
		addr := "linus@example.org"
		if err := f.svc.RequestCode(ctx, identity.CodeRequest{Email: addr, Solution: f.solved(t, identity.PurposeCode, alice).Encode(), Client: alice}); err != nil {
			t.Fatal(err)
		}
		code := f.mailer.lastCode(t, addr)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		for i := range 5 {
			if _, err := f.svc.SignIn(ctx, identity.SignInRequest{Email: addr, Code: wrong, Client: alice}); !errors.Is(err, identity.ErrInvalidCode) {
				t.Fatalf("attempt %d: %v", i, err)
			}
		}
		if _, err := f.svc.SignIn(ctx, identity.SignInRequest{Email: addr, Code: code, Client: alice}); !errors.Is(err, identity.ErrInvalidCode) {
			t.Errorf("right code after five wrong ones: %v, want ErrInvalidCode", err)
		}
	})
	t.Run("a code expires after ten minutes", func(t *testing.T) {
		addr := "barbara@example.org"
		if err := f.svc.RequestCode(ctx, identity.CodeRequest{Email: addr, Solution: f.solved(t, identity.PurposeCode, alice).Encode(), Client: alice}); err != nil {
			t.Fatal(err)
		}
		f.clock.Add(10*time.Minute + time.Second)
		if _, err := f.svc.SignIn(ctx, identity.SignInRequest{Email: addr, Code: f.mailer.lastCode(t, addr), Client: alice}); !errors.Is(err, identity.ErrInvalidCode) {
			t.Errorf("expired code: %v, want ErrInvalidCode", err)
		}
	})
	t.Run("malformed codes are refused without a store", func(t *testing.T) {
		for _, c := range []string{"", "12345", "1234567", "abcdef"} {
			if _, err := f.svc.SignIn(ctx, identity.SignInRequest{Email: "x@example.org", Code: c, Client: alice}); !errors.Is(err, identity.ErrInvalidCode) {
				t.Errorf("code %q: %v", c, err)
			}
		}
	})
	if kinds := f.accounts.eventKinds(); len(kinds) < 2 || kinds[0] != identity.EventSignedIn {
		t.Errorf("history = %v, want sign-ins", kinds)
	}
}

func TestService_RequestCode(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	req := func(addr string, sol string) error {
		return f.svc.RequestCode(ctx, identity.CodeRequest{Email: addr, Solution: sol, Client: alice})
	}
	good := func() string { return f.solved(t, identity.PurposeCode, alice).Encode() }
	t.Run("known and unknown addresses are answered alike", func(t *testing.T) {
		f.signIn(t, "known@example.org", alice)
		before := f.mailer.count()
		if err := req("known@example.org", good()); err != nil {
			t.Fatal(err)
		}
		if err := req("unknown@example.org", good()); err != nil {
			t.Fatal(err)
		}
		if f.mailer.count() != before+2 {
			t.Errorf("sent %d mails, want 2", f.mailer.count()-before)
		}
	})
	vote := f.solved(t, identity.PurposeVote, alice)
	tampered := f.solved(t, identity.PurposeCode, alice)
	tampered.Number++
	forged := f.solved(t, identity.PurposeCode, alice)
	forged.Signature = strings.Repeat("0", 64)
	replayed := good()
	if err := req("r@example.org", replayed); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		email string
		sol   string
		want  error
	}{
		{"malformed address", "nope", good(), kind.ErrInvalid},
		{"disposable domain", "x@mailinator.com", good(), identity.ErrDisposableEmail},
		{"disposable subdomain", "x@mx.yopmail.com", good(), identity.ErrDisposableEmail},
		{"no challenge", "x@example.org", "", identity.ErrChallengeRequired},
		{"garbage challenge", "x@example.org", "!!!", identity.ErrChallengeInvalid},
		{"challenge for votes", "x@example.org", vote.Encode(), identity.ErrChallengeInvalid},
		{"wrong number", "x@example.org", tampered.Encode(), identity.ErrChallengeInvalid},
		{"forged signature", "x@example.org", forged.Encode(), identity.ErrChallengeInvalid},
		{"replayed solution", "x@example.org", replayed, identity.ErrChallengeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.mailer.count()
			if err := req(tt.email, tt.sol); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if f.mailer.count() != before {
				t.Error("a refused request sent mail")
			}
		})
	}
	t.Run("expired challenge", func(t *testing.T) {
		sol := good()
		f.clock.Add(10*time.Minute + time.Second)
		if err := req("x@example.org", sol); !errors.Is(err, identity.ErrChallengeInvalid) {
			t.Errorf("err = %v, want ErrChallengeInvalid", err)
		}
	})
	t.Run("per-address limit", func(t *testing.T) {
		var err error
		for i := 0; i < 10 && err == nil; i++ {
			err = req("limited@example.org", good())
		}
		var rl *kind.RateLimitError
		if !errors.As(err, &rl) || rl.Limit != "code-email" || rl.RetryAfter <= 0 {
			t.Fatalf("err = %v, want a code-email kind.RateLimitError", err)
		}
		if !errors.Is(err, kind.ErrRateLimited) {
			t.Error("kind.RateLimitError does not wrap kind.ErrRateLimited")
		}
		if rl.RetryAfterSeconds() != "720" {
			t.Errorf("Retry-After = %s, want 720 (5 an hour)", rl.RetryAfterSeconds())
		}
	})
	t.Run("mail server down", func(t *testing.T) {
		f.mailer.err = kind.ErrUnavailable
		defer func() { f.mailer.err = nil }()
		if err := req("down@example.org", good()); !errors.Is(err, kind.ErrUnavailable) {
			t.Errorf("err = %v, want kind.ErrUnavailable", err)
		}
	})
}

func TestService_Refresh(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.signIn(t, "ada@example.org", alice)
	f.clock.Add(20 * time.Minute)
	r1, err := f.svc.Refresh(ctx, identity.RefreshRequest{Token: s.Refresh, Client: alice})
	if err != nil {
		t.Fatal(err)
	}
	if r1.Refresh == s.Refresh || r1.Account.ID != s.Account.ID {
		t.Fatalf("refresh = %+v", r1)
	}
	// A refresh continues the session: it keeps the time of its sign-in.
	if !r1.SignedInAt.Equal(s.SignedInAt) || r1.EmailClass != voting.EmailOrganisation {
		t.Errorf("refreshed session signed in at %v with email class %q; want %v, %q", r1.SignedInAt, r1.EmailClass, s.SignedInAt, voting.EmailOrganisation)
	}
	r2, err := f.svc.Refresh(ctx, identity.RefreshRequest{Token: r1.Refresh, Client: alice})
	if err != nil {
		t.Fatal(err)
	}
	// The first token was already exchanged: presenting it again revokes
	// the family, so even the newest token stops working.
	if _, err := f.svc.Refresh(ctx, identity.RefreshRequest{Token: s.Refresh, Client: alice}); !errors.Is(err, identity.ErrRefreshReused) {
		t.Fatalf("reuse: %v, want ErrRefreshReused", err)
	}
	if _, err := f.svc.Refresh(ctx, identity.RefreshRequest{Token: r2.Refresh, Client: alice}); !errors.Is(err, identity.ErrInvalidRefresh) {
		t.Errorf("newest token after reuse: %v, want ErrInvalidRefresh", err)
	}
	kinds := f.accounts.eventKinds()
	if kinds[len(kinds)-1] != identity.EventRefreshReused {
		t.Errorf("history = %v, want the reuse recorded", kinds)
	}
	for _, bad := range []string{"", "rt_short", "xx" + s.Refresh[2:]} {
		if _, err := f.svc.Refresh(ctx, identity.RefreshRequest{Token: bad}); !errors.Is(err, identity.ErrInvalidRefresh) {
			t.Errorf("Refresh(%q) = %v", bad, err)
		}
	}
	t.Run("sign out ends the family", func(t *testing.T) {
		s := f.signIn(t, "grace@example.org", alice)
		if err := f.svc.SignOut(ctx, s.Refresh); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SignOut(ctx, s.Refresh); err != nil {
			t.Errorf("second sign out: %v", err)
		}
		if _, err := f.svc.Refresh(ctx, identity.RefreshRequest{Token: s.Refresh}); !errors.Is(err, identity.ErrInvalidRefresh) {
			t.Errorf("refresh after sign out: %v", err)
		}
	})
	t.Run("erased account", func(t *testing.T) {
		s := f.signIn(t, "erased@example.org", alice)
		if err := f.svc.Erase(ctx, s.Account.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Refresh(ctx, identity.RefreshRequest{Token: s.Refresh}); !errors.Is(err, identity.ErrInvalidRefresh) {
			t.Errorf("refresh of an erased account: %v", err)
		}
		again := f.signIn(t, "erased@example.org", alice)
		if again.Account.ID != s.Account.ID {
			t.Errorf("signing up again gave account %d, want the erased %d back", again.Account.ID, s.Account.ID)
		}
	})
}

func TestService_AdmitVote(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, func(c *identity.Config) {
		c.Limits.VotePerAccount = identity.Rate{Events: 2, Per: time.Minute, Burst: 2}
		c.Exempt = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	})
	t.Run("per account", func(t *testing.T) {
		for i := range 2 {
			if _, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 7, Client: alice}); err != nil {
				t.Fatalf("vote %d: %v", i, err)
			}
		}
		_, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 7, Client: alice})
		var rl *kind.RateLimitError
		if !errors.As(err, &rl) || rl.Limit != "vote-account" || rl.RetryAfter != 30*time.Second {
			t.Fatalf("third vote: %v, want vote-account limit, retry after 30s", err)
		}
		if _, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 8, Client: alice}); err != nil {
			t.Errorf("another voter: %v", err)
		}
		f.clock.Add(30 * time.Second)
		if _, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 7, Client: alice}); err != nil {
			t.Errorf("after the wait: %v", err)
		}
	})
	t.Run("exempt networks skip the limits and the meter", func(t *testing.T) {
		before := f.meter.takes
		lab := identity.Client{IP: netip.MustParseAddr("10.1.2.3")}
		for range 5 {
			a, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 9, Client: lab})
			if err != nil || !a.Unmetered {
				t.Fatalf("exempt client: %+v, %v; want admitted and unmetered", a, err)
			}
		}
		if f.meter.takes != before {
			t.Errorf("meter asked %d times for exempt votes", f.meter.takes-before)
		}
		if a, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 9, Client: alice}); err != nil || a.Unmetered {
			t.Fatalf("client off the exempt networks: %+v, %v; want admitted and metered", a, err)
		}
	})
	t.Run("challenge", func(t *testing.T) {
		lab := identity.Client{IP: netip.MustParseAddr("10.1.2.3")}
		if _, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 10, Client: lab, Challenge: true}); !errors.Is(err, identity.ErrChallengeRequired) {
			t.Errorf("no solution: %v", err)
		}
		code := f.solved(t, identity.PurposeCode, lab).Encode()
		if _, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 10, Client: lab, Challenge: true, Solution: code}); !errors.Is(err, identity.ErrChallengeInvalid) {
			t.Errorf("code solution on a vote: %v", err)
		}
		sol := f.solved(t, identity.PurposeVote, lab).Encode()
		if a, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 10, Client: lab, Challenge: true, Solution: sol}); err != nil || !a.ChallengeSolved {
			t.Errorf("solved: %+v, %v", a, err)
		}
		if _, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 10, Client: lab, Challenge: true, Solution: sol}); !errors.Is(err, identity.ErrChallengeInvalid) {
			t.Errorf("replayed: %v", err)
		}
	})
	t.Run("challenge sent though not asked for", func(t *testing.T) {
		lab := identity.Client{IP: netip.MustParseAddr("10.1.2.3")}
		if a, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 12, Client: lab}); err != nil || a.ChallengeSolved {
			t.Errorf("no solution: %+v, %v", a, err)
		}
		sol := f.solved(t, identity.PurposeVote, lab).Encode()
		if a, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 12, Client: lab, Solution: sol}); err != nil || !a.ChallengeSolved {
			t.Errorf("solved: %+v, %v; want admitted, solved", a, err)
		}
		// A bad or used solution is ignored: the vote is admitted as one
		// without a solution.
		code := f.solved(t, identity.PurposeCode, lab).Encode()
		for name, bad := range map[string]string{"replayed": sol, "garbage": "!!!", "code solution": code} {
			if a, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 12, Client: lab, Solution: bad}); err != nil || a.ChallengeSolved {
				t.Errorf("%s: %+v, %v; want admitted, not solved", name, a, err)
			}
		}
	})
	t.Run("meter down", func(t *testing.T) {
		f.meter.mu.Lock()
		f.meter.err = kind.ErrUnavailable
		f.meter.mu.Unlock()
		if _, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 11, Client: alice}); !errors.Is(err, kind.ErrUnavailable) {
			t.Errorf("err = %v, want kind.ErrUnavailable", err)
		}
	})
}

func TestService_IssueChallenge(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	quiet := identity.Client{IP: netip.MustParseAddr("192.0.2.1"), UserAgent: "Mozilla/5.0"}
	c, err := f.svc.IssueChallenge(ctx, identity.ChallengeRequest{Purpose: identity.PurposeVote, Client: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if c.Algorithm != "SHA-256" || c.MaxNumber != 1000 || len(c.Challenge) != 64 || len(c.Signature) != 64 || !strings.Contains(c.Salt, "expires=") {
		t.Errorf("challenge = %+v", c)
	}
	if _, err := f.svc.IssueChallenge(ctx, identity.ChallengeRequest{Purpose: "other"}); !errors.Is(err, kind.ErrInvalid) {
		t.Errorf("unknown purpose: %v", err)
	}
	t.Run("a scripted client gets harder puzzles", func(t *testing.T) {
		bot := identity.Client{IP: netip.MustParseAddr("203.0.113.9")}
		var last int64
		for range 12 {
			c, err := f.svc.IssueChallenge(ctx, identity.ChallengeRequest{Purpose: identity.PurposeVote, Client: bot})
			if err != nil {
				t.Fatal(err)
			}
			last = c.MaxNumber
		}
		// No User-Agent doubles it once; 12 requests past a threshold of 5
		// double it twice more.
		if last != 8000 {
			t.Errorf("maxnumber after 12 requests = %d, want 8000", last)
		}
	})
	t.Run("keys rotate and old puzzles stay valid until they expire", func(t *testing.T) {
		// A puzzle issued five minutes before the key is due, and answered
		// after the rotation, is still within its ten minutes.
		f.clock.Add(24*time.Hour - 5*time.Minute)
		sol := f.solved(t, identity.PurposeVote, quiet)
		f.clock.Add(6 * time.Minute)
		if err := f.svc.LoadKeys(ctx); err != nil {
			t.Fatal(err)
		}
		fresh := f.solved(t, identity.PurposeVote, quiet)
		if fresh.Salt[strings.Index(fresh.Salt, "&k="):] == sol.Salt[strings.Index(sol.Salt, "&k="):] {
			t.Error("the challenge key did not rotate")
		}
		if _, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 1, Client: quiet, Challenge: true, Solution: sol.Encode()}); err != nil {
			t.Errorf("puzzle signed with the replaced key: %v", err)
		}
		f.clock.Add(5 * time.Minute)
		if _, err := f.svc.AdmitVote(ctx, identity.VoteAttempt{Voter: 1, Client: quiet, Challenge: true, Solution: fresh.Encode()}); err != nil {
			t.Errorf("puzzle signed with the new key: %v", err)
		}
	})
}

func TestSolve(t *testing.T) {
	ctx := context.Background()
	if _, err := identity.Solve(ctx, identity.Challenge{Algorithm: "MD5"}); !errors.Is(err, identity.ErrUnsolvable) {
		t.Errorf("unknown algorithm: %v", err)
	}
	unsolvable := identity.Challenge{Algorithm: "SHA-256", Challenge: strings.Repeat("ab", 32), MaxNumber: 100, Salt: "s"}
	if _, err := identity.Solve(ctx, unsolvable); !errors.Is(err, identity.ErrUnsolvable) {
		t.Errorf("no solution: %v", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	unsolvable.MaxNumber = 1 << 30
	if _, err := identity.Solve(cancelled, unsolvable); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestDecodeSolution(t *testing.T) {
	s := identity.Solution{Algorithm: "SHA-256", Challenge: "c", Number: 42, Salt: "s?x=1", Signature: "g"}
	got, err := identity.DecodeSolution(s.Encode())
	if err != nil || got != s {
		t.Errorf("round trip = %+v, %v", got, err)
	}
	if _, err := identity.DecodeSolution(strings.Repeat("A", 5000)); !errors.Is(err, identity.ErrChallengeInvalid) {
		t.Errorf("oversized: %v", err)
	}
}

// fixedSecrets is an identity.Secrets that holds a fixed list, newest first.
type fixedSecrets []identity.Secret

func (s fixedSecrets) Secrets(context.Context, string, time.Time, time.Duration, time.Duration) ([]identity.Secret, error) {
	return s, nil
}

func TestStableSecret(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	t.Run("made once", func(t *testing.T) {
		store := &memSecrets{}
		first, err := identity.StableSecret(ctx, store, now)
		if err != nil {
			t.Fatal(err)
		}
		again, err := identity.StableSecret(ctx, store, now.Add(365*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if first.ID == "" || again.ID != first.ID {
			t.Fatalf("got secrets %q then %q, want one secret that never rotates", first.ID, again.ID)
		}
	})
	t.Run("the oldest of two", func(t *testing.T) {
		got, err := identity.StableSecret(ctx, fixedSecrets{{ID: "newer"}, {ID: "older"}}, now)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "older" {
			t.Fatalf("got %q, want the oldest secret", got.ID)
		}
	})
	t.Run("none", func(t *testing.T) {
		if _, err := identity.StableSecret(ctx, fixedSecrets{}, now); !errors.Is(err, kind.ErrUnavailable) {
			t.Fatalf("got %v, want kind.ErrUnavailable", err)
		}
	})
}
