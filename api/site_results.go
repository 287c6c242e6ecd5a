package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// resultView is one category of the published results: its Winners, and its
// nominees by counted votes with the Champions marked, for the chart.
type resultView struct {
	Category  voting.Category
	Winners   []prizes.Winner
	Standings []prizes.NomineeStanding
	// Most is the highest count of the category, the chart's full scale.
	Most int64
}

// results is GET /{lang}/{edition}/results: the signed results once the
// edition is published; before that, a page saying when they come.
func (st *site) results(c *gin.Context) {
	ed, snap, ok := st.editionOf(c)
	if !ok {
		return
	}
	p := st.newPage(c, "")
	p.Title = p.T("results.title")
	if ed.Phase != voting.PhasePublished || st.cfg.Results == nil {
		p.Data = map[string]any{"Edition": ed, "Phase": p.T("phase." + string(ed.Phase))}
		cacheCatalogue(c, st.visitorOf(c))
		st.render(c, http.StatusOK, "results-pending", p)
		return
	}
	signed, err := st.cfg.Results.Results(c.Request.Context(), ed.ID)
	if err != nil {
		st.problem(c, err)
		return
	}
	res, err := signed.Results()
	if err != nil {
		st.problem(c, err)
		return
	}
	var cats []resultView
	for _, cr := range res.Categories {
		rv := resultView{Category: categoryOf(snap, ed.ID, cr.Code), Winners: cr.Winners, Standings: cr.Champions.Nominees}
		if rv.Category.Name == cr.Code {
			rv.Category.Name = cr.Name
		}
		for _, n := range rv.Standings {
			rv.Most = max(rv.Most, n.Votes)
		}
		cats = append(cats, rv)
	}
	p.Data = map[string]any{"Edition": ed, "Results": res, "Categories": cats, "Published": p.Date(res.PublishedAt),
		"Digest": signed.Digest, "KeyID": signed.KeyID}
	// Published results never change.
	c.Header("Cache-Control", "public, max-age=300")
	st.render(c, http.StatusOK, "results", p)
}
