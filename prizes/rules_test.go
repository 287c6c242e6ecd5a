package prizes_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

func TestDefaultRules(t *testing.T) {
	r := prizes.DefaultRules()
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.ChampionsPerCategory != 5 || r.WinnersPerCategory != 1 || r.NomineesPerCategory != 20 || len(r.Rubric) != 6 ||
		r.OnePer != voting.OnePerCategory || r.PublicTally || r.CompleteBallot {
		t.Fatalf("defaults %+v are not the WSIS rules", r)
	}
	// The vote path reads the same document: its keys must be there.
	var v voting.Rules
	if err := json.Unmarshal(r.Canonical(), &v); err != nil || v != voting.DefaultRules() {
		t.Fatalf("the vote path reads %+v, %v", v, err)
	}
}

func TestRules_Patch(t *testing.T) {
	base := prizes.DefaultRules()
	got, err := base.Patch([]byte(`{"champions_per_category":3,"rubric":[{"key":"impact","weight":2,"name":"Impact"}],"public_tally":false}`))
	if err != nil {
		t.Fatal(err)
	}
	if got.ChampionsPerCategory != 3 || len(got.Rubric) != 1 || got.Rubric[0].Weight != 2 || got.PublicTally || got.WinnersPerCategory != 1 {
		t.Fatalf("patched %+v", got)
	}
	if len(base.Rubric) != 6 || base.Rubric[0].Weight != 1 {
		t.Fatalf("Patch changed the original: %+v", base.Rubric)
	}
	// A rubric replaced by a shorter one keeps nothing of the old lines.
	got, err = base.Patch([]byte(`{"rubric":[{"key":"reach","name":"Reach","weight":1}],"winner_tie_break":["criterion:reach","organiser"]}`))
	if err != nil || got.Rubric[0].Key != "reach" || got.Rubric[0].Name != "Reach" {
		t.Fatalf("patched %+v, %v", got.Rubric, err)
	}
	for _, bad := range []string{
		`{"champions_per_category":0}`,
		`{"winners_per_category":9}`,
		`{"nominees_per_category":2}`,
		`{"aggregation":"median"}`,
		`{"one_per":"day"}`,
		`{"rubric":[]}`,
		`{"rubric":[{"key":"a","name":"A","weight":1},{"key":"a","name":"B","weight":1}]}`,
		`{"rubric":[{"key":"Bad Key","name":"A","weight":1}]}`,
		`{"rubric":[{"key":"a","name":"A","weight":0}]}`,
		`{"champion_tie_break":["organiser","voter_countries"]}`,
		`{"champion_tie_break":["public_votes"]}`,
		`{"winner_tie_break":["criterion:nope"]}`,
		`{"surprise":true}`,
		`[1,2]`,
		`{"champions_per_category":"five"}`,
		`{"fraud_flag_at":0}`,
		`{"fraud_flag_at":-0.5}`,
		`{"fraud_reject_at":0}`,
		`{"fraud_flag_at":0.95,"fraud_reject_at":0.9}`,
		`{"fraud_flag_at":"high"}`,
	} {
		if _, err := base.Patch([]byte(bad)); !errors.Is(err, kind.ErrInvalid) {
			t.Errorf("Patch(%s) = %v; want ErrInvalid", bad, err)
		}
	}
}

func TestRules_Hash(t *testing.T) {
	a := prizes.DefaultRules()
	stored, err := prizes.ParseRules(a.Canonical())
	if err != nil {
		t.Fatal(err)
	}
	if stored.Hash() != a.Hash() || a.Hash() != prizes.HashBytes(a.Canonical()) {
		t.Fatal("the hash changes across a round trip")
	}
	// jsonb reorders keys; the hash is of the canonical form, so it does not.
	var m map[string]any
	json.Unmarshal(a.Canonical(), &m)
	reordered, _ := json.Marshal(m)
	again, err := prizes.ParseRules(reordered)
	if err != nil || again.Hash() != a.Hash() {
		t.Fatalf("hash after reordering differs: %v", err)
	}
	b := a
	b.Rubric = append([]prizes.Criterion(nil), a.Rubric...)
	b.Rubric[0].Weight = 1.5
	if b.Hash() == a.Hash() {
		t.Fatal("a changed weight keeps the hash")
	}
	// A document with only the vote path's keys reads as the defaults.
	old, err := prizes.ParseRules([]byte(`{"one_per":"category","public_tally":false}`))
	if err != nil || old.ChampionsPerCategory != 5 || old.PublicTally {
		t.Fatalf("old document: %+v, %v", old, err)
	}
}

func TestRules_FraudThresholds(t *testing.T) {
	base := prizes.DefaultRules()
	if base.FraudFlagAt != voting.DefaultFraudFlagAt || base.FraudRejectAt <= 1 {
		t.Fatalf("defaults flag at %v, reject at %v; want %v and never", base.FraudFlagAt, base.FraudRejectAt, voting.DefaultFraudFlagAt)
	}
	tests := []struct {
		patch        string
		flag, reject float64
	}{
		{`{"fraud_reject_at":0.9}`, 0.6, 0.9},
		{`{"fraud_flag_at":0.4,"fraud_reject_at":0.4}`, 0.4, 0.4},
		{`{"fraud_flag_at":1,"fraud_reject_at":1}`, 1, 1},
		// Above 1 is never, for either; a flag threshold above 1 needs a
		// reject threshold that is never too.
		{`{"fraud_flag_at":5}`, 5, 2},
		{`{"fraud_flag_at":1.5,"fraud_reject_at":1.2}`, 1.5, 1.2},
	}
	for _, tc := range tests {
		got, err := base.Patch([]byte(tc.patch))
		if err != nil {
			t.Errorf("Patch(%s): %v", tc.patch, err)
			continue
		}
		if got.FraudFlagAt != tc.flag || got.FraudRejectAt != tc.reject {
			t.Errorf("Patch(%s) = flag %v, reject %v; want %v, %v", tc.patch, got.FraudFlagAt, got.FraudRejectAt, tc.flag, tc.reject)
		}
		if v := got.Voting(); v.FraudFlagAt != tc.flag || v.FraudRejectAt != tc.reject {
			t.Errorf("Patch(%s): the vote path gets flag %v, reject %v", tc.patch, v.FraudFlagAt, v.FraudRejectAt)
		}
		// The thresholds are part of the frozen rules: they change the hash
		// and travel in the canonical document to the vote path.
		if got.Hash() == base.Hash() {
			t.Errorf("Patch(%s) keeps the rules hash", tc.patch)
		}
		var v voting.Rules
		if err := json.Unmarshal(got.Canonical(), &v); err != nil || v.FraudFlagAt != tc.flag || v.FraudRejectAt != tc.reject {
			t.Errorf("Patch(%s): the catalogue reads %+v, %v", tc.patch, v, err)
		}
	}
	// A document written before the thresholds existed reads as the defaults.
	old, err := prizes.ParseRules([]byte(`{"one_per":"category","public_tally":true}`))
	if err != nil || old.FraudFlagAt != base.FraudFlagAt || old.FraudRejectAt != base.FraudRejectAt {
		t.Fatalf("old document: %+v, %v", old, err)
	}
}
