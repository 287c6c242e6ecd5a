package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

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
	cats := []voting.Category{{Code: "C1", Name: "The role of public governance authorities and all stakeholders in the promotion of ICTs for development"},
		{Code: "C2", Name: "Information and communication infrastructure"}}
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
		got := get(b, chromedp.Evaluate[string](`(document.querySelector(` + strconv.Quote(sel) + `) || {}).textContent || ''`))
		if strings.Contains(got, want) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.tb.Fatalf("%s never said %q", sel, want)
}
