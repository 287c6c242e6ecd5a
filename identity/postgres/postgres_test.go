package postgres_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
)

var t0 = time.Now().UTC().Truncate(time.Microsecond)

func newStore(tb testing.TB) (*postgres.Store, *pgxpool.Pool) {
	tb.Helper()
	pool := testenv.Postgres(tb)
	return postgres.New(pool), pool
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

func enrol(tb testing.TB, s *postgres.Store, email string) identity.Account {
	tb.Helper()
	a, err := s.Enrol(context.Background(), identity.Enrolment{EmailHash: hash(email), Email: email,
		Profile: identity.Profile{DisplayName: "Ada", Country: "GB"}, At: t0})
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func TestStore_Enrol(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	a := enrol(t, s, "ada@example.org")
	if a.ID <= 0 || a.Email != "ada@example.org" || a.DisplayName != "Ada" || a.Country != "GB" || !a.VerifiedAt.Equal(t0) {
		t.Fatalf("account = %+v", a)
	}
	again, err := s.Enrol(ctx, identity.Enrolment{EmailHash: hash("ada@example.org"), Email: "other@example.org",
		Profile: identity.Profile{DisplayName: "Someone else"}, At: t0.Add(time.Hour)})
	if err != nil || again != a {
		t.Errorf("second enrolment = %+v, %v; want the account unchanged %+v", again, err, a)
	}
	t.Run("concurrent first sign-ins make one account", func(t *testing.T) {
		ids := make([]int64, 16)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				a, err := s.Enrol(ctx, identity.Enrolment{EmailHash: hash("race@example.org"), Email: "race@example.org", At: t0})
				if err != nil {
					t.Error(err)
				}
				ids[i] = a.ID
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("ids = %v, want one", ids)
			}
		}
	})
	t.Run("an account made by operator tooling is adopted", func(t *testing.T) {
		var id int64
		if err := s.Pool().QueryRow(ctx, `INSERT INTO accounts (email, display_name, verified_at)
			VALUES ('juror@example.org', 'Juror', now()) RETURNING id`).Scan(&id); err != nil {
			t.Fatal(err)
		}
		a, err := s.Enrol(ctx, identity.Enrolment{EmailHash: hash("juror@example.org"), Email: "juror@example.org", At: t0})
		if err != nil || a.ID != id || a.DisplayName != "Juror" {
			t.Errorf("enrolment = %+v, %v; want account %d adopted", a, err, id)
		}
	})
	t.Run("ids stay dense after the voters tool", func(t *testing.T) {
		voters, err := s.CreateVoters(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		b := enrol(t, s, "next@example.org")
		if b.ID != voters[2].ID+1 {
			t.Errorf("next account id %d, want %d", b.ID, voters[2].ID+1)
		}
	})
}

func TestStore_Erase(t *testing.T) {
	ctx := context.Background()
	s, pool := newStore(t)
	a := enrol(t, s, "ada@example.org")
	if _, err := s.Grant(ctx, hash("ada@example.org"), identity.Grant{Role: identity.RoleJuror, Edition: "demo", Category: "C1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Record(ctx, identity.Event{Account: a.ID, Kind: identity.EventSignedIn, At: t0, Network: "192.0.2.0/24", ClientHash: "h", UserAgent: "ua"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Open(ctx, identity.RefreshToken{Hash: hash("rt"), Family: "f1", Account: a.ID, Issued: t0, Expires: t0.Add(time.Hour)}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	vote := uuid.NewString()
	if _, err := pool.Exec(ctx, `INSERT INTO votes (id, edition_id, voter_id, project_id, category_code, slot, status, cast_at)
		VALUES ($1, 'demo', $2, $3, 'C1', 'C1', 'flagged', $4)`, vote, a.ID, uuid.NewString(), t0); err != nil {
		t.Fatal(err)
	}
	x, err := s.Export(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if x.Account.Email != "ada@example.org" || len(x.Grants) != 1 || len(x.Events) != 1 || len(x.Sessions) != 1 || len(x.Votes) != 1 ||
		x.Votes[0].Category != "C1" || x.Events[0].Network != "192.0.2.0/24" {
		t.Fatalf("export = %+v", x)
	}

	if err := s.Erase(ctx, a.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ctx, a.ID, t0.Add(time.Hour)); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("second erase: %v, want ErrNotFound", err)
	}
	if _, err := s.Account(ctx, a.ID); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("erased account: %v, want ErrNotFound", err)
	}
	if _, err := s.Export(ctx, a.ID); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("export of an erased account: %v, want ErrNotFound", err)
	}
	var email *string
	var name, country string
	var grants, events, families, votes int
	if err := pool.QueryRow(ctx, `SELECT email, display_name, country,
		(SELECT count(*) FROM account_grants WHERE account_id = $1),
		(SELECT count(*) FROM account_events WHERE account_id = $1),
		(SELECT count(*) FROM refresh_families WHERE account_id = $1),
		(SELECT count(*) FROM votes WHERE voter_id = $1)
		FROM accounts WHERE id = $1`, a.ID).Scan(&email, &name, &country, &grants, &events, &families, &votes); err != nil {
		t.Fatal(err)
	}
	if email != nil || name != "" || country != "" || grants+events+families != 0 {
		t.Errorf("after erasure: email %v, name %q, country %q, %d grants, %d events, %d sessions", email, name, country, grants, events, families)
	}
	if votes != 1 {
		t.Errorf("votes of the erased account: %d, want 1 kept in the ledger", votes)
	}
	back, err := s.Enrol(ctx, identity.Enrolment{EmailHash: hash("ada@example.org"), Email: "ada@example.org", Profile: identity.Profile{DisplayName: "A."}, At: t0.Add(2 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if back.ID != a.ID || back.DisplayName != "A." {
		t.Errorf("re-enrolled as %+v, want id %d with the new profile", back, a.ID)
	}
}

func TestStore_TakeCode(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	eh := hash("ada@example.org")
	put := func() {
		t.Helper()
		if err := s.PutCode(ctx, eh, hash("123456"), t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	put()
	if err := s.TakeCode(ctx, eh, hash("000000"), t0, 5); !errors.Is(err, identity.ErrInvalidCode) {
		t.Errorf("wrong code: %v", err)
	}
	if err := s.TakeCode(ctx, eh, hash("123456"), t0, 5); err != nil {
		t.Errorf("right code: %v", err)
	}
	if err := s.TakeCode(ctx, eh, hash("123456"), t0, 5); !errors.Is(err, identity.ErrInvalidCode) {
		t.Errorf("used code: %v", err)
	}
	put()
	if err := s.TakeCode(ctx, eh, hash("123456"), t0.Add(10*time.Minute), 5); !errors.Is(err, identity.ErrInvalidCode) {
		t.Errorf("expired code: %v", err)
	}
	t.Run("concurrent guesses never exceed the attempts", func(t *testing.T) {
		put()
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() { s.TakeCode(ctx, eh, hash(fmt.Sprint(i)), t0, 5) })
		}
		wg.Wait()
		if err := s.TakeCode(ctx, eh, hash("123456"), t0, 5); !errors.Is(err, identity.ErrInvalidCode) {
			t.Errorf("right code after 20 guesses: %v, want ErrInvalidCode", err)
		}
	})
	t.Run("of concurrent right answers one wins", func(t *testing.T) {
		put()
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				if s.TakeCode(ctx, eh, hash("123456"), t0, 5) == nil {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d concurrent right answers succeeded, want 1", wins.Load())
		}
	})
}

func TestStore_Rotate(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	a := enrol(t, s, "ada@example.org")
	first := identity.RefreshToken{Hash: hash("t1"), Family: "fam", Account: a.ID, Issued: t0, Expires: t0.Add(30 * time.Minute)}
	if err := s.Open(ctx, first, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	next := identity.RefreshToken{Hash: hash("t2"), Issued: t0.Add(10 * time.Minute), Expires: t0.Add(2 * time.Hour)}
	if err := s.Rotate(ctx, hash("t1"), &next, t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if next.Family != "fam" || next.Account != a.ID || !next.Expires.Equal(t0.Add(time.Hour)) || !next.SignedIn.Equal(t0) {
		t.Errorf("next = %+v, want the family's, signed in when it began, cut to its end", next)
	}
	if err := s.Rotate(ctx, hash("nope"), &identity.RefreshToken{Hash: hash("x")}, t0); !errors.Is(err, identity.ErrInvalidRefresh) {
		t.Errorf("unknown token: %v", err)
	}
	reused := identity.RefreshToken{Hash: hash("t3"), Issued: t0, Expires: t0.Add(time.Hour)}
	if err := s.Rotate(ctx, hash("t1"), &reused, t0); !errors.Is(err, identity.ErrRefreshReused) || reused.Account != a.ID {
		t.Fatalf("reuse: %v (account %d)", err, reused.Account)
	}
	if err := s.Rotate(ctx, hash("t2"), &identity.RefreshToken{Hash: hash("t4"), Issued: t0, Expires: t0.Add(time.Hour)}, t0); !errors.Is(err, identity.ErrInvalidRefresh) {
		t.Errorf("newest token of a revoked family: %v", err)
	}
	t.Run("concurrent exchanges of one token", func(t *testing.T) {
		if err := s.Open(ctx, identity.RefreshToken{Hash: hash("c"), Family: "race", Account: a.ID, Issued: t0, Expires: t0.Add(time.Hour)}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		var ok atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				n := identity.RefreshToken{Hash: hash(fmt.Sprint("c", i)), Issued: t0, Expires: t0.Add(time.Hour)}
				if s.Rotate(ctx, hash("c"), &n, t0) == nil {
					ok.Add(1)
				}
			})
		}
		wg.Wait()
		if ok.Load() > 1 {
			t.Errorf("%d exchanges of one token succeeded", ok.Load())
		}
	})
	t.Run("revoke", func(t *testing.T) {
		if err := s.Open(ctx, identity.RefreshToken{Hash: hash("r"), Family: "rev", Account: a.ID, Issued: t0, Expires: t0.Add(time.Hour)}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, hash("r"), t0); err != nil {
			t.Fatal(err)
		}
		if err := s.Revoke(ctx, hash("unknown"), t0); err != nil {
			t.Errorf("revoke unknown: %v", err)
		}
		if err := s.Rotate(ctx, hash("r"), &identity.RefreshToken{Hash: hash("r2"), Issued: t0, Expires: t0.Add(time.Hour)}, t0); !errors.Is(err, identity.ErrInvalidRefresh) {
			t.Errorf("revoked: %v", err)
		}
	})
	n, err := s.Purge(ctx, t0.Add(48*time.Hour), time.Hour)
	if err != nil || n == 0 {
		t.Errorf("purge = %d, %v; want the ended families gone", n, err)
	}
}

func TestStore_Secrets(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	var wg sync.WaitGroup
	got := make([][]identity.Secret, 6)
	for i := range got {
		wg.Go(func() {
			var err error
			if got[i], err = s.Secrets(ctx, "p", t0, time.Hour, 0); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, g := range got {
		if len(g) != 1 || g[0].ID != got[0][0].ID || len(g[0].Key) != 32 {
			t.Fatalf("concurrent first loads = %v, want one shared secret", got)
		}
	}
	rotated, err := s.Secrets(ctx, "p", t0.Add(time.Hour), time.Hour, 2*time.Hour)
	if err != nil || len(rotated) != 2 || rotated[1].ID != got[0][0].ID {
		t.Fatalf("after an hour = %v, %v; want a new secret before the old", rotated, err)
	}
	later, err := s.Secrets(ctx, "p", t0.Add(3*time.Hour+time.Minute), 0, 2*time.Hour)
	if err != nil || len(later) != 1 || later[0].ID != rotated[0].ID {
		t.Fatalf("after the old was replaced for over 2h = %v, %v; want it deleted", later, err)
	}
	if !bytes.Equal(later[0].Key, rotated[0].Key) {
		t.Error("key changed without rotation")
	}
}

func TestStore_SigningKeys(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	k1, err := s.ActiveSigningKey(ctx, t0)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := s.ActiveSigningKey(ctx, t0); err != nil || again.ID != k1.ID {
		t.Fatalf("second call = %v, %v; want %s", again.ID, err, k1.ID)
	}
	k2, err := s.RotateSigningKey(ctx, t0, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := s.ActiveSigningKey(ctx, t0.Add(time.Minute)); a.ID != k1.ID {
		t.Errorf("during the delay %s signs, want the old %s", a.ID, k1.ID)
	}
	if a, _ := s.ActiveSigningKey(ctx, t0.Add(2*time.Minute)); a.ID != k2.ID {
		t.Errorf("after the delay %s signs, want the new %s", a.ID, k2.ID)
	}
	ver, err := s.VerificationKeys(ctx, 24*time.Hour)
	if err != nil || len(ver) != 2 {
		t.Fatalf("verification keys = %v, %v; want both", ver, err)
	}
	list, err := s.SigningKeys(ctx)
	if err != nil || len(list) != 2 || list[0].ID != k2.ID || list[1].Retired.IsZero() || list[0].Private != nil {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if err := s.RevokeSigningKey(ctx, k1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSigningKey(ctx, k1.ID); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("revoke twice: %v", err)
	}
	if ver, _ := s.VerificationKeys(ctx, 24*time.Hour); len(ver) != 1 {
		t.Errorf("after revocation %d verification keys, want 1", len(ver))
	}
}

func TestStore_Grants(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	a := enrol(t, s, "ada@example.org")
	j := identity.Grant{Role: identity.RoleJuror, Edition: "demo", Category: "C1"}
	for range 2 {
		if id, err := s.Grant(ctx, hash("ada@example.org"), j); err != nil || id != a.ID {
			t.Fatalf("grant = %d, %v", id, err)
		}
	}
	if _, err := s.Grant(ctx, hash("ada@example.org"), identity.Grant{Role: identity.RoleOrganiser}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Grant(ctx, hash("nobody"), j); !errors.Is(err, identity.ErrNotFound) {
		t.Errorf("grant to nobody: %v", err)
	}
	if _, err := s.Grant(ctx, hash("ada@example.org"), identity.Grant{Role: identity.RoleJuror}); !errors.Is(err, kind.ErrInvalid) {
		t.Errorf("unscoped juror: %v", err)
	}
	gs, err := s.Grants(ctx, a.ID)
	if err != nil || len(gs) != 2 || gs[0] != j {
		t.Fatalf("grants = %+v, %v", gs, err)
	}
	if ok, err := s.RevokeGrant(ctx, hash("ada@example.org"), j); !ok || err != nil {
		t.Errorf("revoke = %v, %v", ok, err)
	}
	if gs, _ := s.Grants(ctx, a.ID); len(gs) != 1 || gs[0].Role != identity.RoleOrganiser {
		t.Errorf("grants after revoke = %+v", gs)
	}
}

// TestStore_ActiveSigningKey_concurrent: nodes starting together on a fresh
// database end up signing with one and the same key.
func TestStore_ActiveSigningKey_concurrent(t *testing.T) {
	ctx := context.Background()
	s, _ := newStore(t)
	var wg sync.WaitGroup
	ids := make([]string, 5)
	for i := range ids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			k, err := s.ActiveSigningKey(ctx, time.Now())
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = k.ID
		}(i)
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("nodes starting together got different keys: %v", ids)
		}
	}
	keys, err := s.VerificationKeys(ctx, 24*time.Hour)
	if err != nil || len(keys) != 1 || keys[ids[0]] == nil {
		t.Fatalf("VerificationKeys = %v, %v", keys, err)
	}
}

func TestStore_CreateVoters(t *testing.T) {
	ctx := context.Background()
	s := postgres.New(testenv.Postgres(t))
	a, err := s.CreateVoters(ctx, 1000)
	if err != nil || len(a) != 1000 {
		t.Fatalf("CreateVoters = %d, %v", len(a), err)
	}
	b, err := s.CreateVoters(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	for _, v := range append(a, b...) {
		if seen[v.ID] || v.ID <= 0 {
			t.Fatalf("voter id %d repeated or not positive", v.ID)
		}
		seen[v.ID] = true
	}
}
