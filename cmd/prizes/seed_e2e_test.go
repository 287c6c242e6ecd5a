package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
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

// TestSeed_phases: prizes seed --demo also makes an edition in each phase a
// newcomer wants to try, taken there by the lifecycle itself, and tokens for
// its people: the owner sees their entries (one a draft), a juror their
// panel with work left, the organiser the jury's progress; the published
// edition's results are signed and recount and audit verify; seeding again
// changes nothing.
func TestSeed_phases(t *testing.T) {
	d := newDeployment(t, testenv.RedisURL(t))
	people := filepath.Join(t.TempDir(), "people.tsv")
	d.run("seed", "--demo", "--people", people)
	tokens := map[string]string{}
	raw, err := os.ReadFile(people)
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(raw)) {
		f := strings.Split(strings.TrimSpace(line), "\t")
		if len(f) == 3 && !strings.HasPrefix(f[0], "#") {
			tokens[f[1]] = f[2]
		}
	}
	if len(tokens) != 4 {
		t.Fatalf("people file holds %d tokens, want organiser, owner and two jurors:\n%s", len(tokens), raw)
	}
	s := d.serve()
	var editions struct {
		Editions []struct {
			ID    string `json:"id"`
			Phase string `json:"phase"`
		} `json:"editions"`
	}
	s.prizeMust(t, http.StatusOK, "GET", "/editions", "", nil, &editions)
	phases := map[string]string{}
	for _, e := range editions.Editions {
		phases[e.ID] = e.Phase
	}
	for id, want := range map[string]string{"demo": "voting", "demo-submission": "submission", "demo-jury": "jury", "demo-published": "published"} {
		if phases[id] != want {
			t.Errorf("edition %s is in phase %q, want %q (all: %v)", id, phases[id], want, phases)
		}
	}

	var mine struct {
		Entries []struct {
			Status string `json:"status"`
		} `json:"entries"`
	}
	s.prizeMust(t, http.StatusOK, "GET", "/editions/demo-submission/submissions", tokens["owner@demo.example"], nil, &mine)
	drafts := 0
	for _, e := range mine.Entries {
		if e.Status == "draft" {
			drafts++
		}
	}
	if len(mine.Entries) != 18 || drafts != 1 {
		t.Errorf("the owner has %d entries, %d drafts; want 18 and 1", len(mine.Entries), drafts)
	}
	var panel json.RawMessage
	s.prizeMust(t, http.StatusOK, "GET", "/editions/demo-jury/jury/me", tokens["juror2@demo.example"], nil, &panel)
	if !strings.Contains(string(panel), `"submitted_at":null`) {
		t.Errorf("juror 2's panel in demo-jury shows no draft scorecard: %s", panel)
	}
	s.prizeMust(t, http.StatusOK, "GET", "/editions/demo-jury/jury/report", tokens["organiser@demo.example"], nil, nil)
	var signed struct {
		Signature string `json:"signature"`
	}
	s.prizeMust(t, http.StatusOK, "GET", "/editions/demo-published/results", "", nil, &signed)
	if signed.Signature == "" {
		t.Error("the published demo's results are not signed")
	}
	s.stop(t)
	var v struct {
		Matches        bool `json:"matches"`
		SignatureValid bool `json:"signature_valid"`
	}
	if err := json.Unmarshal([]byte(d.run("recount", "--edition", "demo-published", "--verify")), &v); err != nil || !v.Matches || !v.SignatureValid {
		t.Errorf("recount --verify of demo-published: %+v, %v", v, err)
	}
	for _, e := range []string{"demo-submission", "demo-jury", "demo-published"} {
		d.run("audit", "verify", "--edition", e)
	}
	d.run("seed", "--demo")
	if got := d.run("recount", "--edition", "demo-published"); !strings.Contains(got, `"total"`) {
		t.Errorf("recount after seeding again: %s", got)
	}
}
