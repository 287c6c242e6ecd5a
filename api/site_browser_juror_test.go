package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/prizes"
)

// TestSite_browserJuror drives the jurors' workspace in English and
// Arabic, at both sizes: a juror sees the two Champions of their panel;
// declares a conflict with one (refused first without a reason, with the
// error at the field); scores the other on the rubric, which is saved as a
// draft as they go, checks the scorecard and submits it. Another juror's
// scorecard never shows, and a project outside the panel is a 404.
func TestSite_browserJuror(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	ctx := context.Background()
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"ar", phone}, {"en", phone}, {"ar", desktop}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			juror, other := account(t, st, "juror"), account(t, st, "juror")
			ed, organiser, entries := juryEdition(t, st, "jury-"+tc.lang+"-"+tc.vp.name, juror)
			c1 := prizes.WSISCategories()[0].Code
			c2 := prizes.WSISCategories()[1].Code
			first, second := entries[c1][0], entries[c1][1]
			if err := st.lifecycle.Assign(ctx, organiser, ed, other.ID, c1); err != nil {
				t.Fatal(err)
			}
			secret := "the other juror's private comment"
			if _, err := st.lifecycle.SaveScores(ctx, other, ed, first.ID, prizes.ScoreDraft{Scores: map[string]int{"impact": 3}, Comment: secret}); err != nil {
				t.Fatal(err)
			}
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.signInAs(st, juror.ID, []string{api.RoleJuror}, api.JurorScope{Edition: ed, Category: c1})
			base := "/" + tc.lang + "/" + ed

			b.open(base + "/jury")
			if n := get(b, chromedp.Evaluate[int](`document.querySelectorAll('.entry').length`)); n != 2 {
				t.Errorf("the panel lists %d projects, want the 2 Champions", n)
			}
			b.page("juror-panel")

			// A conflict with the second Champion: a reason is required.
			b.open(base + "/jury/" + second.ID)
			b.do(chromedp.Click(chromedp.CSS("details.conflict summary")))
			b.click(`form[action$="/conflict"] button`, ".error-summary")
			if href := b.attr(".error-summary a", "href"); href != "#reason" {
				t.Errorf("conflict error links to %q", href)
			}
			if b.text("#reason-error") != message(t, tc.lang, "juror.error.reason") {
				t.Errorf("reason error = %q", b.text("#reason-error"))
			}
			b.page("juror-conflict-error")
			b.setField("#reason", "I advised this project in 2024.")
			b.click(`form[action$="/conflict"] button`, ".notice")
			if b.exists("form[data-autosave]") {
				t.Error("the rubric form is offered for a project with a declared conflict")
			}

			// The first Champion, scored: saved as a draft as the juror goes.
			b.open(base + "/jury/" + first.ID)
			if strings.Contains(get(b, chromedp.Evaluate[string](`document.body.innerHTML`)), secret) {
				t.Error("the page shows another juror's scorecard")
			}
			b.do(chromedp.ScrollIntoView(chromedp.CSS("#scorecard")))
			b.page("juror-project")
			for i, c := range prizes.DefaultRubric() {
				b.do(chromedp.Click(chromedp.CSS(`input[name="score-` + c.Key + `"][value="` + []string{"8", "7", "9", "6", "8", "7"}[i] + `"]`)))
			}
			b.setField("#comment", "Strong local ownership.")
			b.waitText(".autosave-status", strings.Split(message(t, tc.lang, "owner.autosave.saved"), "{{")[0])
			v, err := st.lifecycle.JurorView(ctx, juror, ed)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range v.Categories[0].Projects {
				if sc := p.Scorecard; p.ID == first.ID && (sc == nil || sc.Scores["impact"] != 8 || sc.Submitted()) {
					t.Fatalf("the draft as stored: %+v", sc)
				}
			}
			b.click(`button[value="review"]`, "table.scorecard")
			if b.text("h1") != message(t, tc.lang, "juror.confirm.title") {
				t.Errorf("confirmation h1 = %q", b.text("h1"))
			}
			b.page("juror-confirm")
			b.click(`form[action$="/submit"] button`, ".notice")
			b.page("juror-panel-done")
			v, err = st.lifecycle.JurorView(ctx, juror, ed)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range v.Categories[0].Projects {
				switch {
				case p.ID == first.ID && (p.Scorecard == nil || !p.Scorecard.Submitted()):
					t.Errorf("the scorecard is not submitted: %+v", p.Scorecard)
				case p.ID == second.ID && p.Conflict == nil:
					t.Error("the conflict is not recorded")
				}
			}

			// The organisers' pages are not a juror's.
			b.open(base + "/organise")
			if got := b.text("h1"); got != message(t, tc.lang, "error.title") || !strings.Contains(b.text("main"), message(t, tc.lang, "errors.forbidden")) {
				t.Errorf("a juror on the organisers' page: h1 %q", got)
			}

			// Another panel's project is not found.
			b.open(base + "/jury/" + entries[c2][0].ID)
			if got := b.text("h1"); got != message(t, tc.lang, "error.notfound.title") {
				t.Errorf("another panel's project: h1 %q", got)
			}
		})
	}
}

// exists reports whether the page has an element sel.
func (b *browser) exists(sel string) bool {
	b.tb.Helper()
	return get(b, chromedp.Evaluate[bool](`document.querySelector(`+"`"+sel+"`"+`) !== null`))
}
