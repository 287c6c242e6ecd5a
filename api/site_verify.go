package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
)

// checkMyVote is GET /{lang}/{edition}/check-vote[?vote_id=RECEIPT]: what
// the public vote log shows a voter and how to check it, and for a receipt
// the link to its inclusion proof. The page holds nothing about the reader;
// the proof never says whether the vote counts.
func (st *site) checkMyVote(c *gin.Context) {
	ed, _, ok := st.editionOf(c)
	if !ok {
		return
	}
	p := st.newPage(c, "")
	p.Title = p.T("verify.title")
	data := map[string]any{"Edition": ed}
	if id, err := uuid.Parse(c.Query("vote_id")); err == nil {
		data["VoteID"] = id.String()
		data["Proof"] = "/api/v1/editions/" + ed.ID + "/log/proof/inclusion?vote_id=" + id.String()
	} else if c.Query("vote_id") != "" {
		data["Malformed"] = true
	}
	p.Data = data
	st.render(c, http.StatusOK, "verify", p)
}
