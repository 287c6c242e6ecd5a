package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/voting"
)

// summaryWords is how many words of a summary a nominee's card shows; the
// nominee's own page shows all of it.
const summaryWords = 40

// categoryView is a category as the home page and "my votes" list it.
type categoryView struct {
	voting.Category
	Nominees int
	// Voted is the nominee the reader voted for here, when they did.
	Voted *voting.Project
}

// nomineeView is a nominee's card.
type nomineeView struct {
	voting.Project
	Excerpt string
	Voted   bool
}

// ballotView is what decides how vote buttons show: whether the edition is
// voting and the reader may still vote in the category.
type ballotView struct {
	Open     bool
	SignedIn bool
	Voted    bool
	Final    bool
}

// home is GET /{lang}: the configured edition's home, or the list of
// editions.
func (st *site) home(c *gin.Context) {
	if st.cfg.Edition != "" {
		c.Params = append(c.Params, gin.Param{Key: "edition", Value: st.cfg.Edition})
		st.editionHome(c)
		return
	}
	p := st.newPage(c, "")
	p.Title = p.T("home.editions")
	p.Data = st.catalogue.Snapshot().Editions()
	cacheCatalogue(c, st.visitorOf(c))
	st.render(c, http.StatusOK, "editions", p)
}

// editionHome is GET /{lang}/{edition}: the phase, the countdown to the end
// of voting, how voting works, and the categories.
func (st *site) editionHome(c *gin.Context) {
	ed, snap, ok := st.editionOf(c)
	if !ok {
		return
	}
	v := st.visitorOf(c)
	p := st.newPage(c, ed.Name)
	voted := st.votedIn(c, v, ed.ID)
	var cats []categoryView
	for _, cat := range snap.Categories(ed.ID) {
		cv := categoryView{Category: cat, Nominees: countNominated(snap.Projects(ed.ID, cat.Code))}
		if pid, ok := voted[cat.Code]; ok {
			if pr, ok := snap.Project(ed.ID, pid); ok {
				cv.Voted = &pr
			}
		}
		cats = append(cats, cv)
	}
	now := st.nowIn()
	data := map[string]any{"Edition": ed, "Categories": cats, "Phase": p.T("phase." + string(ed.Phase))}
	if ed.Phase == voting.PhaseVoting && !ed.Window.Closes.IsZero() && ed.Window.Closes.After(now) {
		left := ed.Window.Closes.Sub(now)
		data["Closes"] = p.T("home.closes", "Date", p.Date(ed.Window.Closes))
		if days := int(left.Hours() / 24); days >= 1 {
			data["Countdown"] = p.TN("home.countdown.days", days)
		} else {
			data["Countdown"] = p.TN("home.countdown.hours", max(1, int(left.Hours())))
		}
		data["CloseISO"] = ed.Window.Closes.UTC().Format("2006-01-02T15:04:05Z")
	}
	if !ed.Window.Opens.IsZero() && ed.Window.Opens.After(now) {
		data["Opens"] = p.T("home.opens", "Date", p.Date(ed.Window.Opens))
	}
	p.Data = data
	cacheCatalogue(c, v)
	st.render(c, http.StatusOK, "edition", p)
}

// categoryPage is GET /{lang}/{edition}/c/{category}: the category's
// nominees as cards, in the reader's ballot order.
func (st *site) categoryPage(c *gin.Context) {
	ed, snap, ok := st.editionOf(c)
	if !ok {
		return
	}
	code := c.Param("category")
	var cat voting.Category
	found := false
	for _, x := range snap.Categories(ed.ID) {
		if x.Code == code {
			cat, found = x, true
		}
	}
	if !found {
		st.notFound(c)
		return
	}
	v := st.visitorOf(c)
	p := st.newPage(c, "")
	p.Title = p.CategoryName(cat)
	voted := st.votedIn(c, v, ed.ID)
	var nominees []nomineeView
	for _, pr := range st.ballot(v, ed.ID, cat.Code, snap.Projects(ed.ID, cat.Code)) {
		nominees = append(nominees, nomineeView{Project: pr, Excerpt: excerpt(pr.Summary, summaryWords), Voted: voted[cat.Code] == pr.ID})
	}
	_, hasVoted := voted[cat.Code]
	p.Data = map[string]any{"Edition": ed, "Category": cat, "Nominees": nominees,
		"Ballot": ballotView{Open: ed.Phase == voting.PhaseVoting, SignedIn: v.signedIn(), Voted: hasVoted}}
	cacheCatalogue(c, v)
	st.render(c, http.StatusOK, "category", p)
}

// nomineePage is GET /{lang}/{edition}/p/{project}: one nominee, its whole
// summary and its links.
func (st *site) nomineePage(c *gin.Context) {
	ed, snap, ok := st.editionOf(c)
	if !ok {
		return
	}
	pr, ok := snap.Project(ed.ID, c.Param("project"))
	if !ok || !pr.Nominated {
		st.notFound(c)
		return
	}
	v := st.visitorOf(c)
	p := st.newPage(c, pr.Title)
	cat := categoryOf(snap, ed.ID, pr.Category)
	voted := st.votedIn(c, v, ed.ID)
	_, hasVoted := voted[pr.Category]
	p.Data = map[string]any{"Edition": ed, "Category": cat, "Nominee": nomineeView{Project: pr, Voted: voted[pr.Category] == pr.ID},
		"Paragraphs": paragraphs(pr.Summary),
		"Ballot":     ballotView{Open: ed.Phase == voting.PhaseVoting, SignedIn: v.signedIn(), Voted: hasVoted}}
	cacheCatalogue(c, v)
	st.render(c, http.StatusOK, "nominee", p)
}

// ballot orders a category's nominees for the reader: by their own stable
// order when signed in, by the day's order otherwise.
func (st *site) ballot(v visitor, edition, category string, ps []voting.Project) []voting.Project {
	seed := "day:" + st.nowIn().UTC().Format("2006-01-02")
	if v.signedIn() {
		seed = "voter:" + strconv.FormatInt(v.id, 10)
	}
	return st.orderBallot(edition, category, seed, ps)
}

// votedIn returns the project the reader voted for in each category of the
// edition, as the ledger has them; nothing for a reader not signed in, or
// when the ledger cannot be read.
func (st *site) votedIn(c *gin.Context, v visitor, edition string) map[string]string {
	out := map[string]string{}
	if !v.signedIn() || st.ident.accounts == nil {
		return out
	}
	x, err := st.ident.accounts.Export(c.Request.Context(), v.id)
	if err != nil {
		return out
	}
	for _, vote := range x.Votes {
		if vote.Edition == edition {
			out[vote.Category] = vote.Project
		}
	}
	return out
}

func countNominated(ps []voting.Project) int {
	n := 0
	for _, p := range ps {
		if p.Nominated {
			n++
		}
	}
	return n
}

func categoryOf(snap *voting.Snapshot, edition, code string) voting.Category {
	for _, c := range snap.Categories(edition) {
		if c.Code == code {
			return c
		}
	}
	return voting.Category{Code: code, Name: code}
}

// excerpt returns the first n words of s, with an ellipsis when it cut.
func excerpt(s string, n int) string {
	words := strings.Fields(s)
	if len(words) <= n {
		return strings.Join(words, " ")
	}
	return strings.Join(words[:n], " ") + "…"
}

// paragraphs splits a summary at its blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
