package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/google/uuid"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/api"
	ipostgres "github.com/wsisvote/prizes/identity/postgres"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// workspaceEdition creates an edition of the workspaces' tests on the
// stack, with two WSIS categories, two Champions and one Winner in each,
// jury scores averaged as they are, and opens it to submissions as its
// organiser. It returns the edition's id and the organiser.
func workspaceEdition(tb testing.TB, st *siteStack, id string) (string, prizes.Actor) {
	tb.Helper()
	ctx := context.Background()
	organiser := account(tb, st, "organiser")
	cats := prizes.WSISCategories()[:2]
	_, err := st.lifecycle.CreateEdition(ctx, organiser, prizes.NewEdition{ID: id, Name: "WSIS Prizes " + id, Categories: cats,
		Rules: []byte(`{"champions_per_category": 2, "winners_per_category": 1, "aggregation": "weighted_mean"}`)})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.lifecycle.Advance(ctx, organiser, id, voting.PhaseSubmission); err != nil {
		tb.Fatal(err)
	}
	return id, organiser
}

// account creates an account for role and returns it as the stores' actor.
func account(tb testing.TB, st *siteStack, role string) prizes.Actor {
	tb.Helper()
	acc, err := ipostgres.New(st.pool).EnsureAccount(context.Background(), role+"-"+testenv.ID(tb)+"@example.org", "", "KE")
	if err != nil {
		tb.Fatal(err)
	}
	return prizes.Actor{ID: acc.ID, Role: role}
}

// submitEntry writes and submits an entry as owner, as the API would.
func submitEntry(tb testing.TB, st *siteStack, edition string, owner prizes.Actor, category, title string) prizes.Submission {
	tb.Helper()
	ctx := context.Background()
	s, err := st.lifecycle.CreateSubmission(ctx, owner, edition, prizes.Entry{Category: category, Title: title,
		Summary: words(160), Organisation: title + " Foundation", Country: "BR", Stakeholder: "civil_society"})
	if err != nil {
		tb.Fatal(err)
	}
	if s, err = st.lifecycle.SubmitSubmission(ctx, owner, edition, s.ID); err != nil {
		tb.Fatal(err)
	}
	return s
}

// words returns a summary of n words.
func words(n int) string {
	w := strings.Fields("community networks bring affordable connectivity to rural schools clinics and farmers through local cooperatives")
	out := make([]string, n)
	for i := range out {
		out[i] = w[i%len(w)]
	}
	return strings.Join(out, " ")
}

// signInAs gives the browser the session of account id with the roles of
// every account and extra ones: the access token in its cookie, as
// signing in with a code does.
func (b *browser) signInAs(st *siteStack, id int64, extra []string, jury ...api.JurorScope) {
	b.tb.Helper()
	claims := api.Claims{Role: api.RoleVoter, Roles: append([]string{api.RoleVoter, api.RoleOwner}, extra...), Jury: jury}
	claims.Subject = strconv.FormatInt(id, 10)
	tok, err := st.signer.IssueClaims(claims, time.Hour)
	if err != nil {
		b.tb.Fatal(err)
	}
	secure := true
	if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{Name: "__Host-access", Value: tok,
		URL: b.base + "/", Path: "/", Secure: &secure, HTTPOnly: &secure, SameSite: network.CookieSameSiteLax}); err != nil {
		b.tb.Fatal(err)
	}
}

// setField sets a form field's value as typing would, with the input and
// change events the page's script listens to.
func (b *browser) setField(sel, value string) {
	b.tb.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`(() => { const el = document.querySelector(` + strconv.Quote(sel) + `);
		el.value = ` + strconv.Quote(value) + `;
		el.dispatchEvent(new Event('input', {bubbles: true}));
		el.dispatchEvent(new Event('change', {bubbles: true})); })()`))
}

// waitText waits until the element sel holds text containing want.
func (b *browser) waitText(sel, want string) {
	b.tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		got := get(b, chromedp.Evaluate[string](`(document.querySelector(`+strconv.Quote(sel)+`) || {}).textContent || ''`))
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.tb.Fatalf("%s never said %q", sel, want)
}

// juryEdition makes an edition of the workspaces' tests and takes it to
// its jury phase through the lifecycle store, as its organiser would: three
// nominees in the first category and one in the second, no votes, the
// tie of the first category's three at its two Champion places decided in
// the order of submission, and juror on the first category's panel only.
// It returns the edition, its organiser, and the nominees by category.
func juryEdition(tb testing.TB, st *siteStack, id string, juror prizes.Actor) (string, prizes.Actor, map[string][]prizes.Submission) {
	tb.Helper()
	ctx := context.Background()
	ed, organiser := workspaceEdition(tb, st, id)
	c1, c2 := prizes.WSISCategories()[0].Code, prizes.WSISCategories()[1].Code
	entries := map[string][]prizes.Submission{}
	for i, title := range []string{"Rural clinics online", "Farmers' market prices", "Schools on the air"} {
		entries[c1] = append(entries[c1], submitEntry(tb, st, ed, account(tb, st, "owner"), c1, title+" "+strconv.Itoa(i)))
	}
	entries[c2] = append(entries[c2], submitEntry(tb, st, ed, account(tb, st, "owner"), c2, "Mesh networks for islands"))
	advance := func(to voting.Phase) {
		tb.Helper()
		if _, err := st.lifecycle.Advance(ctx, organiser, ed, to); err != nil {
			tb.Fatalf("advance to %s: %v", to, err)
		}
	}
	advance(voting.PhaseReview)
	var ds []prizes.ReviewDecision
	for _, ss := range entries {
		for _, s := range ss {
			ds = append(ds, prizes.ReviewDecision{ProjectID: s.ID, Decision: prizes.DecisionNominate})
		}
	}
	if _, err := st.lifecycle.Review(ctx, organiser, ed, ds); err != nil {
		tb.Fatal(err)
	}
	advance(voting.PhaseVoting)
	advance(voting.PhaseCounting)
	order := []string{entries[c1][0].ID, entries[c1][1].ID, entries[c1][2].ID}
	if _, err := st.lifecycle.DecideTie(ctx, organiser, ed, prizes.TieDecision{Stage: prizes.StageChampions, Category: c1,
		Order: order, Reason: "in the order they were submitted"}); err != nil {
		tb.Fatal(err)
	}
	if err := st.lifecycle.Assign(ctx, organiser, ed, juror.ID, c1); err != nil {
		tb.Fatal(err)
	}
	advance(voting.PhaseJury)
	return ed, organiser, entries
}

// post clicks the submit button sel and waits for the page the form's
// answer loads, then for waitFor on it.
func (b *browser) post(sel, waitFor string) {
	b.tb.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`window.__before = true`), chromedp.Click(chromedp.CSS(sel)))
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if get(b, chromedp.Evaluate[bool](`window.__before !== true && document.readyState === 'complete'`)) {
			b.do(chromedp.WaitVisible(chromedp.CSS(waitFor)))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.tb.Fatalf("posting %s loaded no page", sel)
}

// fraudCase writes votes for project into the ledger, cast a second apart
// from one network and one device, and stores an analyser's case over
// them, which flags them. It returns the case's id.
func fraudCase(tb testing.TB, st *siteStack, edition string, organiser prizes.Actor, project, category string, n int) string {
	tb.Helper()
	ctx := context.Background()
	t0 := time.Now().Add(-time.Minute).Truncate(time.Second)
	votes := make([]voting.Vote, n)
	report := antifraud.Report{}
	for i := range votes {
		votes[i] = voting.Vote{ID: uuid.Must(uuid.NewV7()).String(), Edition: edition, VoterID: account(tb, st, "voter").ID,
			ProjectID: project, Category: category, Slot: category, Status: voting.StatusCounted, CastAt: t0.Add(time.Duration(i) * time.Second),
			Client: voting.Client{Network: "203.0.113.0/24", UserAgent: "agent/1", DeviceHint: "dev-1", AccountAge: time.Hour}}
		report.Verdicts = append(report.Verdicts, antifraud.Verdict{VoteID: votes[i].ID, Status: antifraud.StatusFlagged, Score: 0.9, Reasons: []string{"burst"}})
	}
	if _, err := st.ledger.Insert(ctx, votes); err != nil {
		tb.Fatal(err)
	}
	id := "burst-" + project
	ids := make([]string, n)
	for i, v := range votes {
		ids[i] = v.ID
	}
	report.Cases = []antifraud.Case{{ID: id, Kind: "burst", Score: 0.9, Votes: ids, Projects: []string{project},
		Signals: map[string]float64{"burst": 0.9}, Summary: strconv.Itoa(n) + " votes within seconds from one network and one device",
		Timeline: []antifraud.TimelinePoint{{At: t0, Votes: n}}}}
	if _, err := st.fraud.SaveReport(ctx, organiser, edition, report); err != nil {
		tb.Fatal(err)
	}
	return id
}
