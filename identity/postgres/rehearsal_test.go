package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/internal/testenv"
)

func TestStore_CreateAccounts(t *testing.T) {
	pool := testenv.Postgres(t)
	s := postgres.New(pool)
	ctx := context.Background()
	old := time.Date(2023, 5, 1, 8, 0, 0, 0, time.UTC)
	later := time.Now().Add(time.Hour).UTC().Truncate(time.Microsecond)
	accts := []postgres.NewAccount{
		{Email: "rehearsal-3@gmail.com", Country: "KE", CreatedAt: later},
		{Email: "rehearsal-1@un.org", Country: "CH", CreatedAt: old},
		{Email: "rehearsal-2@example.invalid", CreatedAt: old.Add(time.Minute)},
	}
	got, err := s.CreateAccounts(ctx, accts)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(accts) {
		t.Fatalf("%d accounts created, want %d", len(got), len(accts))
	}
	ids := map[int64]bool{}
	for i, v := range got {
		if ids[v.ID] || v.ID <= 0 {
			t.Errorf("account %d has id %d, not a new one", i, v.ID)
		}
		ids[v.ID] = true
		if !v.CreatedAt.Equal(accts[i].CreatedAt) {
			t.Errorf("account %d created at %s, want %s", i, v.CreatedAt, accts[i].CreatedAt)
		}
		var email, country string
		var verified bool
		if err := pool.QueryRow(ctx, `SELECT email, country, verified_at IS NOT NULL FROM accounts WHERE id = $1`, v.ID).
			Scan(&email, &country, &verified); err != nil {
			t.Fatal(err)
		}
		if email != accts[i].Email || country != accts[i].Country || !verified {
			t.Errorf("account %d is %q in %q (verified %v), want %q in %q, verified", i, email, country, verified, accts[i].Email, accts[i].Country)
		}
	}
	var before int
	pool.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&before)
	if _, err := s.CreateAccounts(ctx, []postgres.NewAccount{{Email: "rehearsal-9@un.org", CreatedAt: old}, {Email: "rehearsal-1@un.org", CreatedAt: old}}); err == nil {
		t.Error("an address already taken was accepted")
	}
	var after int
	pool.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&after)
	if after != before {
		t.Errorf("a refused batch left %d accounts behind", after-before)
	}
}
