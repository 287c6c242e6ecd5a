package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// fieldsOf returns the field errors of an error answer.
func fieldsOf(tb testing.TB, body []byte) map[string]string {
	tb.Helper()
	var e struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		tb.Fatalf("error body %q: %v", body, err)
	}
	return e.Error.Fields
}

// auditTail returns the last entry of the edition's audit log.
func (k *contest) auditTail() prizes.AuditEntry {
	k.tb.Helper()
	var log struct {
		Entries []prizes.AuditEntry `json:"entries"`
	}
	k.must(http.StatusOK, "organiser", "GET", k.ed("/audit?limit=1000"), nil, &log)
	if len(log.Entries) == 0 {
		k.tb.Fatal("empty audit log")
	}
	return log.Entries[len(log.Entries)-1]
}

// TestPrizes_scheduleEdges: a schedule with a time in an absurd year,
// without a zone, or ending the running phase by the back door is refused
// with a field error and changes nothing; "close_now" confirms the last.
func TestPrizes_scheduleEdges(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.advance("submission") // the clock stands at 2026-03-01 12:00 UTC

	for _, tt := range []struct {
		name, body, key, want string
	}{
		{"year 1", `{"voting":{"start":"0001-05-01T10:00:00Z"}}`, "schedule.voting.start", "years 2000 to 2999"},
		{"year 3026", `{"voting":{"end":"3026-05-01T10:00:00Z"}}`, "schedule.voting.end", "years 2000 to 2999"},
		{"no zone", `{"voting":{"end":"2026-05-01T10:00:00"}}`, "schedule.voting.end", "RFC 3339 time with a zone"},
		{"date only", `{"review":{"start":"2026-04-01"}}`, "schedule.review.start", "RFC 3339 time with a zone"},
		{"a number", `{"voting":{"end":1777629600}}`, "schedule.voting.end", "RFC 3339 time with a zone"},
		{"running phase ends in the past", `{"submission":{"end":"2026-02-01T00:00:00Z"}}`, "schedule.submission.end", `"close_now": true`},
		{"running phase ends now", `{"submission":{"end":"2026-03-01T12:00:00Z"}}`, "schedule.submission.end", `"close_now": true`},
		{"next phase starts in the past", `{"review":{"start":"2026-02-28T00:00:00+01:00"}}`, "schedule.review.start", `"close_now": true`},
		{"close_now not a boolean", `{"close_now":"yes"}`, "close_now", "true or false"},
		{"close_now false", `{"submission":{"end":"2026-02-01T00:00:00Z"},"close_now":false}`, "schedule.submission.end", `"close_now": true`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := k.fingerprint()
			w := k.call("organiser", "PUT", k.ed("/schedule"), tt.body)
			wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")
			if got := fieldsOf(t, w.Body.Bytes())[tt.key]; !strings.Contains(got, tt.want) {
				t.Errorf("fields[%q] = %q; want it to say %q (body %s)", tt.key, got, tt.want, w.Body)
			}
			if strings.Contains(w.Body.String(), "parsing time") {
				t.Errorf("the answer speaks of Go's parser: %s", w.Body)
			}
			if k.fingerprint() != before {
				t.Error("a refused schedule changed something")
			}
		})
	}

	// The same times with a zone, in the future, are fine.
	k.must(http.StatusOK, "organiser", "PUT", k.ed("/schedule"),
		`{"submission":{"end":"2026-04-01T10:00:00+02:00"},"voting":{"start":"2026-05-01T10:00:00Z","end":"2026-05-31T10:00:00Z"}}`, nil)

	// Closing the running phase now takes the confirmation, which the audit
	// log records; a past end that is already stored is no longer a move.
	k.must(http.StatusOK, "organiser", "PUT", k.ed("/schedule"), `{"submission":{"end":"2026-03-01T11:00:00Z"},"close_now":true}`, nil)
	if last := k.auditTail(); last.Action != prizes.ActionSetSchedule || !strings.Contains(string(last.Details), `"close_now":true`) {
		t.Fatalf("last audit entry %s %s; want the schedule with close_now", last.Action, last.Details)
	}
	k.must(http.StatusOK, "organiser", "PUT", k.ed("/schedule"),
		`{"submission":{"end":"2026-03-01T11:00:00Z"},"voting":{"start":"2026-05-01T10:00:00Z"}}`, nil)

	t.Run("create", func(t *testing.T) {
		before := k.fingerprint()
		w := k.call("organiser", "POST", "/editions", `{"id":"wsis2027","name":"WSIS Prizes 2027",
			"schedule":{"submission":{"start":"2027-01-10T09:00:00"},"voting":{"end":"0001-01-01T00:00:00Z"}}}`)
		wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")
		fields := fieldsOf(t, w.Body.Bytes())
		if !strings.Contains(fields["schedule.submission.start"], "RFC 3339 time with a zone") {
			t.Errorf("fields %v; want schedule.submission.start to ask for a zone", fields)
		}
		if k.fingerprint() != before {
			t.Error("a refused edition changed something")
		}
		w = k.call("organiser", "POST", "/editions", `{"id":"wsis2027","name":"WSIS Prizes 2027",
			"schedule":{"voting":{"end":"0001-01-01T00:00:00Z"}}}`)
		wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")
		if got := fieldsOf(t, w.Body.Bytes())["schedule.voting.end"]; !strings.Contains(got, "years 2000 to 2999") {
			t.Errorf("fields[schedule.voting.end] = %q", got)
		}
		if k.fingerprint() != before {
			t.Error("a refused edition changed something")
		}
	})
}

// juryPhase puts the contest in the jury phase with Champions in C1 (as
// many as ids it returns) on the panel of "juror", by shortcut.
func (k *contest) juryPhase(n int) []string {
	k.tb.Helper()
	k.createEdition()
	k.must(http.StatusOK, "organiser", "PUT", k.ed("/jury/assignments"), map[string]any{"juror_id": k.ids["juror"], "category": "C1"}, nil)
	k.setPhase(voting.PhaseSubmission)
	var ids []string
	for i := range n {
		ids = append(ids, k.submitted("owner", "C1", "Org "+string(rune('A'+i))))
	}
	if _, err := k.pool.Exec(k.ctx, `UPDATE projects SET status = 'champion' WHERE edition_id = $1`, k.edition); err != nil {
		k.tb.Fatal(err)
	}
	k.setPhase(voting.PhaseJury)
	return ids
}

// TestPrizes_scoreValues: a score that is not a JSON number written as a
// whole number is refused under its criterion's name, and nothing is saved.
func TestPrizes_scoreValues(t *testing.T) {
	k := newContest(t)
	project := k.juryPhase(1)[0]
	path := k.ed("/jury/scores/" + project)
	for _, tt := range []struct {
		name, scores, key, want string
	}{
		{"fraction", `{"impact":5.5}`, "scores.impact", "must be a whole number from 1 to 10, such as 7, not 5.5"},
		{"string", `{"impact":"7"}`, "scores.impact", `must be a whole number from 1 to 10, such as 7, not "7"`},
		{"point zero", `{"reach":7.0}`, "scores.reach", "not 7.0"},
		{"exponent", `{"impact":7e0}`, "scores.impact", "not 7e0"},
		{"null", `{"impact":null}`, "scores.impact", "not null"},
		{"boolean", `{"impact":true}`, "scores.impact", "not true"},
		{"huge", `{"impact":99999999999999999999}`, "scores.impact", "must be a whole number from 1 to 10"},
		{"out of range", `{"impact":11}`, "scores.impact", "must be a whole number from 1 to 10"},
		{"zero", `{"impact":0}`, "scores.impact", "must be a whole number from 1 to 10"},
		{"not on the rubric", `{"charm":7}`, "scores.charm", "not a criterion"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := k.fingerprint()
			w := k.call("juror", "PUT", path, `{"scores":`+tt.scores+`}`)
			wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")
			if got := fieldsOf(t, w.Body.Bytes())[tt.key]; !strings.Contains(got, tt.want) {
				t.Errorf("fields[%q] = %q; want it to say %q (body %s)", tt.key, got, tt.want, w.Body)
			}
			if k.fingerprint() != before {
				t.Error("a refused scorecard changed something")
			}
		})
	}
	var card struct {
		Scores map[string]int `json:"scores"`
	}
	k.must(http.StatusOK, "juror", "PUT", path, `{"scores":{"impact":7,"reach":10},"comment":"Clear reach."}`, &card)
	if card.Scores["impact"] != 7 || card.Scores["reach"] != 10 {
		t.Fatalf("saved scores %v", card.Scores)
	}
}

// TestPrizes_conflictTwice: declaring a conflict again answers what is
// stored, the first declaration, with 200, and stores and audits nothing.
func TestPrizes_conflictTwice(t *testing.T) {
	k := newContest(t)
	project := k.juryPhase(1)[0]
	var first, again struct {
		ProjectID  string    `json:"project_id"`
		Reason     string    `json:"reason"`
		DeclaredAt time.Time `json:"declared_at"`
	}
	k.must(http.StatusCreated, "juror", "POST", k.ed("/jury/conflicts"), map[string]string{"project_id": project, "reason": "former employer"}, &first)
	before, audited := k.fingerprint(), k.auditTail()
	k.must(http.StatusOK, "juror", "POST", k.ed("/jury/conflicts"), map[string]string{"project_id": project, "reason": "my cousin works there"}, &again)
	if again != first || again.Reason != "former employer" {
		t.Fatalf("declared again: %+v; want the first declaration %+v", again, first)
	}
	if k.fingerprint() != before || k.auditTail().Seq != audited.Seq {
		t.Fatal("declaring a conflict again changed something")
	}
	var me struct {
		Categories []struct {
			Projects []struct {
				Conflict *struct {
					Reason string `json:"reason"`
				} `json:"conflict"`
			} `json:"projects"`
		} `json:"categories"`
	}
	k.must(http.StatusOK, "juror", "GET", k.ed("/jury/me"), nil, &me)
	if c := me.Categories[0].Projects[0].Conflict; c == nil || c.Reason != "former employer" {
		t.Fatalf("the juror sees conflict %+v", c)
	}
}

// TestPrizes_tieOrders: an organiser's order must be the tied set at the
// cut; any other is refused with the tied projects named, and nothing is
// recorded or audited.
func TestPrizes_tieOrders(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.advance("submission")
	c1 := []string{k.submitted("owner", "C1", "Alpha"), k.submitted("owner", "C1", "Bravo"), k.submitted("owner", "C1", "Charlie")}
	c2 := []string{k.submitted("owner", "C2", "Echo"), k.submitted("owner", "C2", "Foxtrot")}
	k.advance("review")
	var ds []prizes.ReviewDecision
	for _, id := range append(slices.Clone(c1), c2...) {
		ds = append(ds, prizes.ReviewDecision{ProjectID: id, Decision: "nominate"})
	}
	k.must(http.StatusOK, "organiser", "POST", k.ed("/review"), map[string]any{"decisions": ds}, nil)
	k.advance("voting")
	// C1: Alpha 5, Bravo and Charlie tie for the second place with 3. C2:
	// two nominees for two places, no tie.
	k.castVotes(c1[0], "C1", 5)
	k.castVotes(c1[1], "C1", 3)
	k.castVotes(c1[2], "C1", 3)
	k.castVotes(c2[0], "C2", 2)
	k.castVotes(c2[1], "C2", 1)
	k.advance("counting")
	decide := func(stage, category string, order ...string) map[string]any {
		return map[string]any{"stage": stage, "category": category, "order": order, "reason": "Drawn by lot."}
	}
	tied := []string{c1[1], c1[2]}
	for _, tt := range []struct {
		name string
		body map[string]any
		want []string // what the field error must name
	}{
		{"neither tied", decide("champions", "C1", c1[0], c2[0]), tied},
		{"one tied, one not", decide("champions", "C1", c1[0], c1[1]), tied},
		{"the tied and one more", decide("champions", "C1", c1[2], c1[1], c1[0]), tied},
		{"no tie in the category", decide("champions", "C2", c2[1], c2[0]), []string{"no tie at the Champion cut"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before, audited := k.fingerprint(), k.auditTail()
			w := k.call("organiser", "POST", k.ed("/ties"), tt.body)
			wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")
			got := fieldsOf(t, w.Body.Bytes())["order"]
			for _, s := range tt.want {
				if !strings.Contains(got, s) {
					t.Errorf("fields[order] = %q; want it to name %s", got, s)
				}
			}
			if k.fingerprint() != before || k.auditTail().Seq != audited.Seq {
				t.Error("a refused order changed something")
			}
		})
	}
	// The tied set is accepted in any order, and may be decided again.
	k.must(http.StatusOK, "organiser", "POST", k.ed("/ties"), decide("champions", "C1", c1[2], c1[1]), nil)
	k.must(http.StatusOK, "organiser", "POST", k.ed("/ties"), decide("champions", "C1", c1[1], c1[2]), nil)
	if last := k.auditTail(); last.Action != prizes.ActionDecideTie {
		t.Fatalf("last audit entry %s; want %s", last.Action, prizes.ActionDecideTie)
	}
	k.advance("jury")

	// Winners: the jury prefers Alpha, so there is no tie to decide.
	k.must(http.StatusOK, "organiser", "PUT", k.ed("/jury/assignments"), map[string]any{"juror_id": k.ids["juror"], "category": "C1"}, nil)
	for id, s := range map[string]int{c1[0]: 8, c1[1]: 6} {
		k.must(http.StatusOK, "juror", "PUT", k.ed("/jury/scores/"+id), map[string]any{"scores": map[string]int{"impact": s, "reach": s}}, nil)
		k.must(http.StatusOK, "juror", "POST", k.ed("/jury/scores/"+id+"/submit"), nil, nil)
	}
	before := k.fingerprint()
	w := k.call("organiser", "POST", k.ed("/ties"), decide("winners", "C1", c1[1], c1[0]))
	wantError(t, w, http.StatusUnprocessableEntity, "invalid_request")
	if got := fieldsOf(t, w.Body.Bytes())["order"]; !strings.Contains(got, "no tie at the Winner cut") {
		t.Errorf("fields[order] = %q", got)
	}
	if k.fingerprint() != before {
		t.Error("a refused Winner order changed something")
	}
}
