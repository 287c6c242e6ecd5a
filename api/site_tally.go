package api

import (
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/voting"
)

// tallyView is one category of the live tally.
type tallyView struct {
	Category voting.Category
	Rows     []tallyRow
	Most     int64
}

type tallyRow struct {
	voting.Project
	Votes int64
}

// liveTally is GET /{lang}/{edition}/tally: the live counts of an edition
// that publishes them, a second old at most, and not a result. An edition
// that hides them (the WSIS default, against bandwagon voting) gets one and
// the same page for everyone, which holds no count.
func (st *site) liveTally(c *gin.Context) {
	ed, snap, ok := st.editionOf(c)
	if !ok {
		return
	}
	p := st.newPage(c, "")
	p.Title = p.T("tally.title")
	if !ed.Rules.PublicTally || st.tallies == nil {
		p.Data = map[string]any{"Edition": ed}
		cacheCatalogue(c, st.visitorOf(c))
		st.render(c, http.StatusOK, "tally-hidden", p)
		return
	}
	counts, err := st.tallies.Tally(c.Request.Context(), ed.ID)
	if err != nil {
		st.problem(c, err)
		return
	}
	var cats []tallyView
	var total int64
	for _, cat := range snap.Categories(ed.ID) {
		tv := tallyView{Category: cat}
		for _, pr := range snap.Projects(ed.ID, cat.Code) {
			if !pr.Nominated {
				continue
			}
			n := counts[pr.ID]
			total += n
			tv.Most = max(tv.Most, n)
			tv.Rows = append(tv.Rows, tallyRow{Project: pr, Votes: n})
		}
		sort.SliceStable(tv.Rows, func(i, j int) bool { return tv.Rows[i].Votes > tv.Rows[j].Votes })
		cats = append(cats, tv)
	}
	p.Data = map[string]any{"Edition": ed, "Categories": cats, "Total": total}
	c.Header("Cache-Control", "public, max-age=1")
	st.render(c, http.StatusOK, "tally", p)
}
