package api_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/text/language"
	xmessage "golang.org/x/text/message"
	"golang.org/x/text/number"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/voting"
)

// TestSite_browserDashboard casts votes through the vote service (new
// votes, a retry and votes in a taken slot), lets the flusher move them to
// the ledger, saves the node's activity as prizes serve does and a second
// node's beside it, and opens the organisers' live dashboard in English and
// Arabic: its figures add both nodes up, the charts have a bar per minute
// with the votes drawn, the flush lag is shown, and when the second node
// saves more, the page shows it without being reloaded. A voter who is not
// an organiser is refused the page.
func TestSite_browserDashboard(t *testing.T) {
	st := newSiteStack(t, 72*time.Hour)
	ctx := context.Background()
	const voters = 12
	base := 1_000_000 + rand.Int64N(1_000_000)
	for i := range int64(voters) {
		p := st.projects[int(i)%len(st.projects)]
		if _, err := st.votes.Cast(ctx, voting.Ballot{Edition: st.edition.ID, VoterID: base + i, ProjectID: p.ID}); err != nil {
			t.Fatal(err)
		}
	}
	// The first voter again: the same project is a retry answered with its
	// receipt, another one in the category is refused; both count as
	// duplicates.
	first := st.projects[0]
	var other voting.Project
	for _, p := range st.projects[1:] {
		if p.Category == first.Category {
			other = p
			break
		}
	}
	for _, p := range []voting.Project{first, other} {
		_, _ = st.votes.Cast(ctx, voting.Ballot{Edition: st.edition.ID, VoterID: base, ProjectID: p.ID})
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := st.pool.QueryRow(ctx, `SELECT count(*) FROM votes WHERE edition_id = $1`, st.edition.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == voters {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d votes reached the ledger, want %d", n, voters)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := st.ledger.SaveActivity(ctx, "node-a", st.activity.Changed()); err != nil {
		t.Fatal(err)
	}
	minute := time.Now().UTC().Truncate(time.Minute)
	second := func(accepted int64) {
		t.Helper()
		s := voting.ActivitySample{Edition: st.edition.ID, Minute: minute,
			ActivityCounts: voting.ActivityCounts{Accepted: accepted, Flagged: 2, Duplicate: 1, Refused: 3}}
		if err := st.ledger.SaveActivity(ctx, "node-b", []voting.ActivitySample{s}); err != nil {
			t.Fatal(err)
		}
	}
	second(5)

	for i, tc := range []struct {
		lang string
		vp   viewport
	}{{"en", desktop}, {"ar", phone}} {
		t.Run(tc.lang+"-"+tc.vp.name, func(t *testing.T) {
			num := xmessage.NewPrinter(language.MustParse(tc.lang))
			n := func(v int64) string { return num.Sprint(number.Decimal(v)) }
			organiser := account(t, st, "organiser")
			b := newBrowser(t, st.url, tc.lang, tc.vp)
			b.signInAs(st, organiser.ID, []string{api.RoleOrganiser})
			path := "/" + tc.lang + "/" + st.edition.ID + "/organise/dashboard"
			b.open(path)
			stats := get(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll('.stats dd')].map(e => e.textContent.trim())`))
			accepted := int64(voters + 5 + 10*i)
			if len(stats) != 5 || stats[1] != n(accepted) || stats[2] != n(2+1) || stats[3] != n(2) {
				t.Errorf("the figures are %q, want %s accepted, %s duplicates and %s flagged", stats, n(accepted), n(3), n(2))
			}
			if stats[4] == "—" {
				t.Error("the dashboard shows no flush lag although the flusher moved votes")
			}
			if bars := get(b, chromedp.Evaluate[int](`document.querySelectorAll('#votes-title + svg g').length`)); bars != 60 {
				t.Errorf("the votes chart has %d minutes, want 60", bars)
			}
			if drawn := get(b, chromedp.Evaluate[int](`document.querySelectorAll('#votes-title + svg rect.bar-counted').length`)); drawn == 0 {
				t.Error("the votes chart draws no counted votes")
			}
			b.page("org-dashboard")
			b.do(chromedp.Click(chromedp.CSS(".chart-data summary")))
			b.do(chromedp.ScrollIntoView(chromedp.CSS(".chart-data table")))
			b.page("org-dashboard-table")

			// Another node saves more: the page refreshes by itself.
			second(5 + 10*int64(i+1))
			b.waitText(".stats div:nth-child(2) dd", n(accepted+10))
			if got := b.path(); got != path {
				t.Errorf("the page moved to %q while refreshing", got)
			}
		})
	}

	t.Run("voter", func(t *testing.T) {
		voter := account(t, st, "voter")
		b := newBrowser(t, st.url, "en", desktop)
		b.signInAs(st, voter.ID, nil)
		b.open("/en/" + st.edition.ID + "/organise/dashboard")
		if strings.Contains(b.text("main"), message(t, "en", "org.dashboard.lead")) {
			t.Error("a voter was shown the dashboard")
		}
	})
}
