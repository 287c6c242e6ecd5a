package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// TestSite_browserOrganiser runs an edition from submissions to published
// results in the organisers' workspace, in English and Arabic at both
// sizes: the organiser closes submissions, is refused opening the vote
// while entries await review and told why, reviews the queue (a rejection
// without a reason is refused at its field) and nominates, opens voting,
// closes it, is refused closing counting while a tie stands and decides
// the tie, assigns jurors (a malformed account number refused at the
// field), closes counting, follows the jury's progress and provisional
// Winners, publishes, and finds every step in the audit log, which
// verifies. The public results page then shows each category's Winner.
func TestSite_browserOrganiser(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	ctx := context.Background()
	c1, c2 := prizes.WSISCategories()[0].Code, prizes.WSISCategories()[1].Code
	for _, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"ar", phone}, {"en", phone}, {"ar", desktop}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			ed, organiser := workspaceEdition(t, st, "org-"+tc.lang+"-"+tc.vp.name)
			var first []prizes.Submission
			for _, title := range []string{"Rural clinics online", "Farmers' market prices", "Schools on the air"} {
				first = append(first, submitEntry(t, st, ed, account(t, st, "owner"), c1, title))
			}
			second := submitEntry(t, st, ed, account(t, st, "owner"), c2, "Mesh networks for islands")
			juror1, juror2 := account(t, st, "juror"), account(t, st, "juror")

			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.signInAs(st, organiser.ID, []string{api.RoleOrganiser})
			base := "/" + tc.lang + "/" + ed
			step := func(want voting.Phase) {
				t.Helper()
				b.post(`form[action$="/organise/phase"] button`, "h1")
				if want != "" {
					if got, err := st.lifecycle.Edition(ctx, ed); err != nil || got.Phase != want {
						t.Fatalf("after the step the edition is in %q (%v), want %s", got.Phase, err, want)
					}
				}
			}

			b.open("/" + tc.lang + "/organise")
			if !b.exists(`a[href="` + base + `/organise"]`) {
				t.Fatal("the editions page does not link the edition")
			}
			b.page("org-editions")
			b.open(base + "/organise")
			b.page("org-edition")
			step(voting.PhaseReview)

			// Opening the vote is refused while entries await review.
			step("")
			if !b.exists(".error-summary") || !strings.Contains(b.text(".error-summary"), message(t, tc.lang, "errors.not_ready")) {
				t.Errorf("opening the vote with entries unreviewed: %q", b.text("main"))
			}
			b.page("org-phase-refused")

			// The review queue: a rejection needs its reason; then nominate.
			b.open(base + "/organise/review?category=" + c2)
			b.click(`form.reject-form button`, ".error-summary")
			if got := b.text("#reason-" + second.ID + "-error"); got != message(t, tc.lang, "org.review.error.reason") {
				t.Errorf("rejection without a reason: %q", got)
			}
			b.page("org-review-refused")
			b.post(`form.inline-form button`, "h1")
			b.open(base + "/organise/review?category=" + c1)
			b.page("org-review")
			for range first {
				b.post(`form.inline-form button`, "h1")
			}
			q, err := st.lifecycle.ReviewQueue(ctx, ed, c1)
			if err != nil || q.Nominated != 3 {
				t.Fatalf("nominated in %s: %d (%v), want 3", c1, q.Nominated, err)
			}

			b.open(base + "/organise")
			step(voting.PhaseVoting)
			step(voting.PhaseCounting)

			// Fraud review: a case of three votes, cleared with a reason.
			caseID := fraudCase(t, st, ed, organiser, second.ID, c2, 3)
			b.open(base + "/organise/fraud")
			b.page("org-fraud")
			b.click(`a[href$="/organise/fraud/`+caseID+`"]`, "form[action$=\"/organise/fraud/"+caseID+"\"]")
			b.do(chromedp.Click(chromedp.CSS(`input[name="decision"][value="clear"]`)))
			b.click(`form[action$="/organise/fraud/`+caseID+`"] button`, ".error-summary")
			if got := b.text("#reason-error"); got != message(t, tc.lang, "org.fraud.error.reason") {
				t.Errorf("a decision without a reason: %q", got)
			}
			b.page("org-fraud-case")
			b.setField("#reason", "Three colleagues voting from the office network.")
			b.click(`form[action$="/organise/fraud/`+caseID+`"] button`, ".notice")
			if cf, err := st.fraud.Case(ctx, ed, caseID); err != nil || cf.State != antifraud.CaseCleared {
				t.Errorf("the case after the decision: %q, %v", cf.State, err)
			}

			// Closing counting is refused while the three tie for two places.
			b.open(base + "/organise")
			step("")
			if !b.exists(".error-summary") {
				t.Fatal("closing counting with a tie was not refused")
			}
			b.open(base + "/organise/champions")
			if n := get(b, chromedp.Evaluate[int](`document.querySelectorAll('table.standings tbody tr').length`)); n != 4 {
				t.Errorf("the Champions page ranks %d nominees, want 4", n)
			}
			b.page("org-champions")
			b.open(base + "/organise/ties")
			b.page("org-ties")
			b.setField("#reason-"+c1, "Earliest submission first.")
			b.click(`form[action$="/organise/ties"] button`, ".notice")

			// The panels: a malformed account number, then two jurors.
			b.open(base + "/organise/jury")
			b.setField("#juror", "juror one")
			b.click(`form[action$="/organise/jury"] button`, ".error-summary")
			if got := b.text("#juror-error"); got != message(t, tc.lang, "org.jury.error.juror") {
				t.Errorf("malformed juror: %q", got)
			}
			for _, a := range []struct {
				juror prizes.Actor
				cat   string
			}{{juror1, c1}, {juror2, c2}} {
				b.setField("#juror", strconv.FormatInt(a.juror.ID, 10))
				b.setField("#category", a.cat)
				b.post(`form[action$="/organise/jury"] button`, ".notice")
			}
			b.page("org-jury")
			b.open(base + "/organise")
			step(voting.PhaseJury)

			// The jury scores (its own workspace is tested on its own).
			champions, err := st.lifecycle.Champions(ctx, ed)
			if err != nil {
				t.Fatal(err)
			}
			winners := map[string]string{}
			for _, cc := range champions {
				juror := juror1
				if cc.Category == c2 {
					juror = juror2
				}
				for i, id := range cc.Champions() {
					d := prizes.ScoreDraft{Scores: map[string]int{}}
					for _, cr := range prizes.DefaultRubric() {
						d.Scores[cr.Key] = 9 - 4*i
					}
					if _, err := st.lifecycle.SaveScores(ctx, juror, ed, id, d); err != nil {
						t.Fatal(err)
					}
					if _, err := st.lifecycle.SubmitScores(ctx, juror, ed, id); err != nil {
						t.Fatal(err)
					}
					if i == 0 {
						for _, n := range cc.Nominees {
							if n.ProjectID == id {
								winners[cc.Category] = n.Title
							}
						}
					}
				}
			}
			if winners[c1] != first[0].Title {
				t.Fatalf("Winner of %s = %q, want %q, the first in the decided order", c1, winners[c1], first[0].Title)
			}
			b.open(base + "/organise/jury")
			if !b.exists("table.standings .champion-mark") {
				t.Error("the jury page shows no provisional Winner")
			}
			b.do(chromedp.ScrollIntoView(chromedp.CSS("table.standings")))
			b.page("org-jury-report")

			b.open(base + "/organise")
			step(voting.PhasePublished)
			b.page("org-published")
			snap, err := st.ledger.LoadSnapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			st.catalogue.Replace(snap)

			b.open(base + "/organise/audit")
			if !b.exists(".notice") {
				t.Errorf("the audit chain does not verify: %q", b.text("main"))
			}
			log := get(b, chromedp.Evaluate[string](`document.querySelector('table.audit').textContent`))
			for _, action := range []prizes.Action{prizes.ActionAdvance, prizes.ActionReview, prizes.ActionDecideTie, prizes.ActionAssignJuror, prizes.ActionFraudDecide} {
				if !strings.Contains(log, string(action)) {
					t.Errorf("the audit log has no %s", action)
				}
			}
			b.page("org-audit")

			b.open(base + "/results")
			got := get(b, chromedp.Evaluate[string](`[...document.querySelectorAll('.winner-title')].map(e => e.textContent.trim()).join('|')`))
			for _, cat := range []string{c1, c2} {
				if !strings.Contains(got, winners[cat]) {
					t.Errorf("the results page's Winners %q lack %q", got, winners[cat])
				}
			}
			b.page("org-results")
		})
	}
}
