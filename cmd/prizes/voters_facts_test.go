package main

import (
	"strings"
	"testing"
	"time"

	ipostgres "github.com/wsisvote/prizes/identity/postgres"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/voting"
)

// A package-internal test: the facts file is read by the command itself,
// and its tests run the built binary.

func TestReadFacts(t *testing.T) {
	created := time.Date(2025, 3, 2, 3, 57, 48, 0, time.UTC)
	good := `{"key":"a1","created_at":"2025-03-02T03:57:48Z","email_domain":"gmail.com","country":"KE"}

{"key":"b-2","created_at":"2025-03-02T03:57:48Z","signed_in_at":"2025-03-02T04:00:00Z","email_domain":""}
`
	facts, err := readFacts(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 2 || facts[0].Key != "a1" || !facts[0].CreatedAt.Equal(created) || facts[0].Country != "KE" ||
		facts[1].SignedInAt.IsZero() || facts[1].EmailDomain != "" {
		t.Fatalf("facts %+v", facts)
	}
	for _, tt := range []struct {
		name, in, want string
	}{
		{"no key", `{"created_at":"2025-03-02T03:57:48Z"}`, "line 1: key is required"},
		{"key not a local part", `{"key":"a b","created_at":"2025-03-02T03:57:48Z"}`, "may hold only"},
		{"no creation", `{"key":"a"}`, "created_at is required"},
		{"sign-in before creation", `{"key":"a","created_at":"2025-03-02T03:57:48Z","signed_in_at":"2025-03-01T00:00:00Z"}`, "before created_at"},
		{"address for a domain", `{"key":"a","created_at":"2025-03-02T03:57:48Z","email_domain":"x@gmail.com"}`, "not a domain"},
		{"key twice", "{\"key\":\"a\",\"created_at\":\"2025-03-02T03:57:48Z\"}\n{\"key\":\"a\",\"created_at\":\"2025-03-02T03:57:48Z\"}", "line 2: key \"a\" is on line 1 too"},
		{"unknown field", `{"key":"a","created_at":"2025-03-02T03:57:48Z","email":"a@b.c"}`, "unknown field"},
		{"not a time", `{"key":"a","created_at":"yesterday"}`, "line 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readFacts(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFactClaims(t *testing.T) {
	disposable, err := identity.NewBlocklist(strings.NewReader("throwaway.test\n"))
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2025, 3, 2, 3, 57, 48, 0, time.UTC)
	signed := created.Add(90 * time.Second)
	v := ipostgres.Voter{ID: 42, CreatedAt: created}
	for _, tt := range []struct {
		domain, class string
		signedIn      time.Time
	}{
		{"throwaway.test", voting.EmailDisposable, signed},
		{"Gmail.com", voting.EmailFree, time.Time{}},
		{"un.org", voting.EmailOrganisation, signed},
		{"", "", time.Time{}},
	} {
		c := factClaims(v, accountFacts{Key: "k", CreatedAt: created, SignedInAt: tt.signedIn, EmailDomain: tt.domain}, disposable)
		if c.Subject != "42" || c.Since != created.Unix() || c.EmailClass != tt.class || c.Role != "voter" {
			t.Errorf("%q: claims %+v, want class %q", tt.domain, c, tt.class)
		}
		if want := int64(0); tt.signedIn.IsZero() && c.AuthTime != want || !tt.signedIn.IsZero() && c.AuthTime != signed.Unix() {
			t.Errorf("%q: auth_time %d", tt.domain, c.AuthTime)
		}
	}
	accts := newAccounts([]accountFacts{{Key: "k1", EmailDomain: "Example.ORG."}, {Key: "k2"}})
	if accts[0].Email != "rehearsal-k1@example.org" || accts[1].Email != "rehearsal-k2@example.invalid" {
		t.Errorf("addresses %q, %q", accts[0].Email, accts[1].Email)
	}
}
