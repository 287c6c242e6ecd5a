package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/voting"
)

// voteView is what the vote pages show: the nominee, its category, and
// whether the edition asks for a proof of work with each vote.
type voteView struct {
	Edition   voting.Edition
	Category  voting.Category
	Nominee   voting.Project
	Challenge bool
	// Refused is set when the vote was refused for good (a second vote in
	// the category, voting closed), so the page offers no second try.
	Refused bool
}

// voteTarget returns the nominee of a vote path, or answers 404.
func (st *site) voteTarget(c *gin.Context) (voteView, bool) {
	ed, snap, ok := st.editionOf(c)
	if !ok {
		return voteView{}, false
	}
	pr, ok := snap.Project(ed.ID, c.Param("project"))
	if !ok || !pr.Nominated {
		st.notFound(c)
		return voteView{}, false
	}
	return voteView{Edition: ed, Category: categoryOf(snap, ed.ID, pr.Category), Nominee: pr,
		Challenge: ed.Rules.VoteChallenge}, true
}

// finalRefusal are the codes of a vote refused for good: sending it again
// cannot succeed. After any other refusal (busy, rate limited, a failed
// security check) the form stays, so the reader can try again.
var finalRefusal = map[string]bool{
	"duplicate_vote": true, "category_full": true, "voting_closed": true,
	"not_nominated": true, "unknown_project": true, "unknown_edition": true, "forbidden": true,
}

// checkVote is GET /{lang}/{edition}/vote/{project}: "check your vote", the
// step before a vote that cannot be undone.
func (st *site) checkVote(c *gin.Context) {
	vv, ok := st.voteTarget(c)
	if !ok {
		return
	}
	if _, ok := st.requireSignIn(c); !ok {
		return
	}
	st.renderCheck(c, http.StatusOK, vv, nil)
}

func (st *site) renderCheck(c *gin.Context, status int, vv voteView, errs []formError) {
	p := st.newPage(c, "")
	p.Title = p.T("vote.check.title")
	p.CSRF = st.csrfToken(c)
	p.Errors = errs
	p.Data = vv
	st.render(c, status, "check", p)
}

// castVote is POST /{lang}/{edition}/vote/{project}: the vote goes through
// the same admission and the same voting service as the API's vote route,
// and the answer is the receipt, or the check page again with what went
// wrong in the reader's language. Posting it twice is harmless: the second
// post gets the first vote's receipt.
func (st *site) castVote(c *gin.Context) {
	vv, ok := st.voteTarget(c)
	if !ok {
		return
	}
	v, ok := st.requireSignIn(c)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	if !st.checkCSRF(c) {
		st.renderCheck(c, http.StatusForbidden, vv, []formError{{Message: t.T("errors.csrf")}})
		return
	}
	ip := clientAddr(c)
	admission, err := st.admitVote(c, vv.Edition.ID, v.id, ip, c.PostForm("challenge"))
	var receipt voting.Receipt
	if err == nil {
		receipt, err = st.votes.Cast(c.Request.Context(), ballotOf(c, v.claims, vv.Edition.ID, v.id, vv.Nominee.ID, ip, admission))
	}
	if err != nil {
		k := kindOf(err)
		st.obs.VoteResult(k.code)
		st.logFailure(c, k, err)
		vv.Refused = finalRefusal[k.code]
		st.renderCheck(c, k.status, vv, []formError{{Message: t.T(errorMessageKey(k.code))}})
		return
	}
	if receipt.Replayed {
		st.obs.VoteResult(resultReplayed)
	} else {
		st.obs.VoteResult(resultAccepted)
	}
	snap := st.catalogue.Snapshot()
	voted := st.votedIn(c, v, vv.Edition.ID)
	voted[vv.Category.Code] = vv.Nominee.ID
	left := 0
	for _, cat := range snap.Categories(vv.Edition.ID) {
		if _, ok := voted[cat.Code]; !ok {
			left++
		}
	}
	p := st.newPage(c, "")
	p.Title = p.T("vote.done.title")
	p.Data = map[string]any{"Vote": vv, "Receipt": receipt.VoteID, "Left": left}
	st.render(c, http.StatusOK, "receipt", p)
}

// myVotes is GET /{lang}/{edition}/my-votes: every category, with the
// reader's vote in it or a link to vote there.
func (st *site) myVotes(c *gin.Context) {
	ed, snap, ok := st.editionOf(c)
	if !ok {
		return
	}
	v, ok := st.requireSignIn(c)
	if !ok {
		return
	}
	p := st.newPage(c, "")
	p.Title = p.T("myvotes.title")
	voted := st.votedIn(c, v, ed.ID)
	var cats []categoryView
	n := 0
	for _, cat := range snap.Categories(ed.ID) {
		cv := categoryView{Category: cat}
		if pid, ok := voted[cat.Code]; ok {
			if pr, ok := snap.Project(ed.ID, pid); ok {
				cv.Voted = &pr
				n++
			}
		}
		cats = append(cats, cv)
	}
	p.Data = map[string]any{"Edition": ed, "Categories": cats, "Voted": n, "Left": len(cats) - n,
		"Open": ed.Phase == voting.PhaseVoting}
	st.render(c, http.StatusOK, "myvotes", p)
}

// csrfRefused answers a form post whose CSRF token does not match.
func (st *site) csrfRefused(c *gin.Context) {
	p := st.newPage(c, "")
	p.Title = p.T("error.title")
	p.Errors = []formError{{Message: p.T("errors.csrf")}}
	st.render(c, http.StatusForbidden, "problem", p)
}
