package main_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
)

// TestSeed_demoRulesFrozen: prizes seed --demo freezes the demo edition's
// rules as opening voting does: the canonical rules, their SHA-256 and the
// time; seeding again changes none of them.
func TestSeed_demoRulesFrozen(t *testing.T) {
	ctx := context.Background()
	d := newDeployment(t, testenv.RedisURL(t))
	pool, err := pgxpool.New(ctx, d.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	read := func() (rules []byte, hash string, at *time.Time) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT rules::text, rules_hash, rules_frozen_at FROM editions WHERE id = 'demo'`).Scan(&rules, &hash, &at); err != nil {
			t.Fatal(err)
		}
		return rules, hash, at
	}
	rules, hash, at := read()
	r, err := prizes.ParseRules(rules)
	if err != nil {
		t.Fatalf("stored rules %s: %v", rules, err)
	}
	if hash == "" || hash != r.Hash() || at == nil {
		t.Fatalf("demo edition: rules hash %q (the rules hash to %q), frozen at %v", hash, r.Hash(), at)
	}
	d.run("seed", "--demo")
	if _, again, againAt := read(); again != hash || againAt == nil || !againAt.Equal(*at) {
		t.Fatalf("after seeding again: hash %q at %v; was %q at %v", again, againAt, hash, at)
	}
}
