package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// TestSite_browserSettings starts an edition and changes another's rules
// and schedule in the organisers' workspace, in English and Arabic: a
// malformed short name of a new edition is refused at its field, then the
// edition is created in draft with the categories left ticked; a number that is not one
// is refused at its field before anything is stored, a rule the domain
// refuses (more Winners than Champions) is refused at its field, and the
// corrected rules, sent by keyboard, are stored; a schedule that ends the
// running phase in the past is refused until the organiser ticks the
// confirmation the refusal shows, and is then stored with the next
// phase's window.
func TestSite_browserSettings(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	ctx := context.Background()
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"ar", phone}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			ed, organiser := workspaceEdition(t, st, "settings-"+tc.lang+"-"+tc.vp.name)
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.signInAs(st, organiser.ID, []string{api.RoleOrganiser})

			// A new edition: a malformed short name is refused at its
			// field; then it is created with the categories left ticked.
			fresh := "new-" + tc.lang + "-" + tc.vp.name
			b.open("/" + tc.lang + "/organise")
			b.setField("#name", "WSIS Prizes 2027")
			b.setField("#id", "WSIS 2027!")
			b.do(chromedp.Click(chromedp.CSS(`input[name="category"][value="C11-cooperation"]`)))
			b.post(`form[action$="/organise"] button`, ".error-summary")
			if got := b.text("#id-error"); got != message(t, tc.lang, "org.new.error.id") {
				t.Errorf("a malformed short name: %q", got)
			}
			b.page("org-editions-refused")
			b.setField("#id", fresh)
			b.post(`form[action$="/organise"] button`, ".notice")
			if p := b.path(); p != "/"+tc.lang+"/"+fresh+"/organise/settings?done=created" {
				t.Errorf("after creating the edition: %q", p)
			}
			if got, err := st.lifecycle.Edition(ctx, fresh); err != nil || got.Phase != voting.PhaseDraft || len(got.Categories) != 17 ||
				got.Name != "WSIS Prizes 2027" {
				t.Errorf("the new edition as stored: %q, %s, %d categories, %v", got.Name, got.Phase, len(got.Categories), err)
			}

			path := "/" + tc.lang + "/" + ed + "/organise/settings"
			b.open(path)
			b.page("org-settings")
			rules := `form[action$="/settings/rules"]`

			b.setField("#votes-per-category", "many")
			b.post(rules+" button", ".error-summary")
			if got := b.text("#votes-per-category-error"); got != message(t, tc.lang, "org.settings.error.whole") {
				t.Errorf("votes per category %q: %q", "many", got)
			}
			if got := get(b, chromedp.Value(chromedp.CSS("#votes-per-category"))); got != "many" {
				t.Errorf("the field came back as %q", got)
			}
			b.page("org-settings-refused")

			b.setField("#votes-per-category", "1")
			b.setField("#winners-per-category", "9")
			b.post(rules+" button", ".error-summary")
			if got := b.text("#winners-per-category-error"); got != message(t, tc.lang, "org.settings.error.winners_per_category") {
				t.Errorf("9 Winners of 2 Champions: %q", got)
			}
			if href := b.attr(".error-summary a", "href"); href != "#winners-per-category" {
				t.Errorf("the summary links to %q", href)
			}

			b.setField("#winners-per-category", "1")
			b.setField("#rubric-0-weight", "2,5")
			b.do(chromedp.Click(chromedp.CSS("#public-tally")))
			b.keyboardTo(rules + " button")
			b.do(chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(".notice")))
			got, err := st.lifecycle.Edition(ctx, ed)
			if err != nil {
				t.Fatal(err)
			}
			if r := got.Rules; r.WinnersPerCategory != 1 || !r.PublicTally || r.Rubric[0].Weight != 2.5 || r.VotesPerCategory != 1 {
				t.Errorf("the rules as stored: %+v", r)
			}

			// The schedule: closing the running phase needs the confirmation.
			schedule := `form[action$="/settings/schedule"]`
			b.setField("#schedule-submission-end", "2026-01-05T09:00")
			b.setField("#schedule-voting-start", "2027-03-01T09:00")
			b.setField("#schedule-voting-end", "2027-03-31T18:00")
			b.post(schedule+" button", ".error-summary")
			if got := b.text(".error-summary li"); got != message(t, tc.lang, "org.settings.error.closenow") {
				t.Errorf("ending the running phase in the past: %q", got)
			}
			if got, _ := st.lifecycle.Edition(ctx, ed); got.Schedule[voting.PhaseVoting].Start != nil {
				t.Fatal("a refused schedule was stored")
			}
			b.page("org-settings-closenow")
			b.do(chromedp.Click(chromedp.CSS("#close-now")))
			b.post(schedule+" button", ".notice")
			got, err = st.lifecycle.Edition(ctx, ed)
			if err != nil {
				t.Fatal(err)
			}
			want := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
			if w := got.Schedule[voting.PhaseVoting]; w.Start == nil || !w.Start.Equal(want) {
				t.Errorf("the voting window as stored: %+v", w)
			}
			if w := got.Schedule[voting.PhaseSubmission]; w.End == nil || w.End.Year() != 2026 {
				t.Errorf("the submission window as stored: %+v", w)
			}
			if v := b.attr("#schedule-voting-end", "value"); v != "2027-03-31T18:00" {
				t.Errorf("the form shows the voting end as %q", v)
			}
			b.page("org-settings-saved")
		})
	}
}

// TestSite_browserWorkspaceFormsWithoutScript submits an entry and a
// scorecard with JavaScript off, in English and Arabic: nothing saves as
// the reader types, the forms post and come back with the errors and what
// was typed, and the entry and the scorecard are stored as submitted.
func TestSite_browserWorkspaceFormsWithoutScript(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	ctx := context.Background()
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", phone}, {"ar", desktop}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			ed, _ := workspaceEdition(t, st, "noscript-"+tc.lang+"-"+tc.vp.name)
			owner := account(t, st, "owner")
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.signInAs(st, owner.ID, nil)
			b.do(withoutScript)
			base := "/" + tc.lang + "/" + ed
			b.open(base + "/entries/new")
			b.setField("#category", "C1-governments")
			b.setField("#title", "Radio lessons for every village")
			b.setField("#summary", words(60))
			b.setField("#organisation", "Village Radio Trust")
			b.setField("#country", "GH")
			b.do(chromedp.Click(chromedp.CSS(`input[value="civil_society"]`)))
			b.post(`button[value="submit"]`, ".error-summary")
			if msg := b.text("#summary-error"); msg == "" {
				t.Error("a 60-word summary was not refused at its field")
			}
			if got := get(b, chromedp.Value(chromedp.CSS("#title"))); got != "Radio lessons for every village" {
				t.Errorf("the title came back as %q", got)
			}
			b.static("owner-entry-noscript-error")
			b.setField("#summary", words(170))
			b.post(`button[value="submit"]`, ".notice")
			subs, err := st.lifecycle.Submissions(ctx, owner, ed)
			if err != nil || len(subs) != 1 || subs[0].Status != prizes.StatusSubmitted {
				t.Fatalf("the owner's entries as stored: %+v, %v", subs, err)
			}
		})
	}
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"ar", phone}} {
		t.Run("juror-"+tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			juror := account(t, st, "juror")
			ed, _, entries := juryEdition(t, st, "noscript-jury-"+tc.lang+"-"+tc.vp.name, juror)
			c1 := prizes.WSISCategories()[0].Code
			first := entries[c1][0]
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.signInAs(st, juror.ID, []string{api.RoleJuror}, api.JurorScope{Edition: ed, Category: c1})
			b.do(withoutScript)
			base := "/" + tc.lang + "/" + ed
			b.open(base + "/jury/" + first.ID)
			// One criterion left unscored: the review is refused at it.
			rubric := prizes.DefaultRubric()
			for _, c := range rubric[1:] {
				b.do(chromedp.Click(chromedp.CSS(`input[name="score-` + c.Key + `"][value="7"]`)))
			}
			b.post(`button[value="review"]`, ".error-summary")
			id := "score-" + strings.ReplaceAll(rubric[0].Key, "_", "-")
			if href := b.attr(".error-summary a", "href"); href != "#"+id {
				t.Errorf("the unscored criterion's error links to %q, want #%s", href, id)
			}
			if got := get(b, chromedp.Evaluate[bool](`document.querySelector('input[name="score-`+rubric[1].Key+`"][value="7"]').checked`)); !got {
				t.Error("the scores given did not come back")
			}
			b.static("juror-noscript-error")
			b.do(chromedp.Click(chromedp.CSS(`input[name="score-` + rubric[0].Key + `"][value="9"]`)))
			b.post(`button[value="review"]`, "table.scorecard")
			b.post(`form[action$="/submit"] button`, ".notice")
			v, err := st.lifecycle.JurorView(ctx, juror, ed)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range v.Categories[0].Projects {
				if p.ID == first.ID && (p.Scorecard == nil || !p.Scorecard.Submitted() || p.Scorecard.Scores[rubric[0].Key] != 9) {
					t.Errorf("the scorecard as stored: %+v", p.Scorecard)
				}
			}
		})
	}
}

// TestSite_browserRubricByKeyboard scores a Champion with the keyboard
// alone, in English and Arabic: Tab to each criterion, Space and the arrow
// keys to choose its score, Tab and Enter to check the scorecard, and again
// to submit it.
func TestSite_browserRubricByKeyboard(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	ctx := context.Background()
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"ar", phone}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			juror := account(t, st, "juror")
			ed, _, entries := juryEdition(t, st, "keys-jury-"+tc.lang+"-"+tc.vp.name, juror)
			c1 := prizes.WSISCategories()[0].Code
			first := entries[c1][0]
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.signInAs(st, juror.ID, []string{api.RoleJuror}, api.JurorScope{Edition: ed, Category: c1})
			b.open("/" + tc.lang + "/" + ed + "/jury/" + first.ID)
			want := map[string]int{}
			for i, c := range prizes.DefaultRubric() {
				b.keyboardTo(`input[name="score-` + c.Key + `"][value="1"]`)
				b.do(chromedp.KeyEvent(" "))
				for range i + 2 {
					b.do(chromedp.KeyEvent(kb.ArrowDown)) // the next score, in either direction of writing
				}
				want[c.Key] = i + 3
			}
			b.keyboardTo(`button[value="review"]`)
			b.do(chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("table.scorecard")))
			b.keyboardTo(`form[action$="/submit"] button`)
			b.do(chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS(".notice")))
			v, err := st.lifecycle.JurorView(ctx, juror, ed)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range v.Categories[0].Projects {
				if p.ID != first.ID {
					continue
				}
				if p.Scorecard == nil || !p.Scorecard.Submitted() {
					t.Fatalf("the scorecard is not submitted: %+v", p.Scorecard)
				}
				for k, n := range want {
					if p.Scorecard.Scores[k] != n {
						t.Errorf("score of %s = %d, want %d", k, p.Scorecard.Scores[k], n)
					}
				}
			}
		})
	}
}
