package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

// organiseChampions is GET /{lang}/{edition}/organise/champions: each
// category's nominees ranked by counted votes, the Champions and the
// reasoning behind the cut (the tie-break step that separated each
// nominee, the margin, an organiser's decision, votes taken out by fraud
// review): as the ledger stands while counting, as chosen afterwards.
func (st *site) organiseChampions(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	data := map[string]any{"Edition": ed}
	switch {
	case ed.Phase == voting.PhaseCounting:
		pv, err := st.prizes.Champions.PreviewChampions(ctx, ed.ID)
		if err != nil {
			st.problem(c, err)
			return
		}
		data["Categories"], data["Ties"], data["Preview"] = pv.Categories, len(pv.Ties), true
		data["OutsideWindow"] = pv.OutsideWindow
	case prizes.CheckPhase(ed.ID, ed.Phase, prizes.ActionReadChampions) == nil:
		cats, err := st.prizes.Champions.Champions(ctx, ed.ID)
		if err != nil {
			st.problem(c, err)
			return
		}
		data["Categories"] = cats
	}
	p := st.organisePage(c, ed, "champions", "org.champions.title")
	p.Data = data
	st.render(c, http.StatusOK, "org-champions", p)
}

// TieBreakName names a ranking step (a tie-break of the edition's chain,
// or the primary count) in the reader's language, or as the rules name it.
func (p *page) TieBreakName(step string) string {
	key := "org.tiebreak." + step
	if s := p.T(key); s != key {
		return s
	}
	return step
}
