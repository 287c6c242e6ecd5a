package api

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/voting"
)

type tallyJSON struct {
	ProjectID string `json:"project_id"`
	Title     string `json:"title"`
	Category  string `json:"category"`
	Votes     int64  `json:"votes"`
}

type tallyResponse struct {
	Edition  string      `json:"edition"`
	Projects []tallyJSON `json:"projects"`
	Total    int64       `json:"total"`
}

// tally is GET /api/v1/editions/:edition/tally: the live counts, which are a
// view of the hot store and not a published result. When the edition keeps
// its tally private only organisers see it.
func (s *server) tally(c *gin.Context) {
	snap := s.catalogue.Snapshot()
	edition := c.Param("edition")
	ed, ok := snap.Edition(edition)
	if !ok {
		s.fail(c, fmt.Errorf("read tally of %q: %w", edition, voting.ErrUnknownEdition))
		return
	}
	if !ed.Rules.PublicTally {
		if _, err := s.authenticate(c, RoleOrganiser); err != nil {
			s.fail(c, fmt.Errorf("read tally of %q: %w", edition, errTallyHidden))
			return
		}
	}
	counts, err := s.tallies.Tally(c.Request.Context(), edition)
	if err != nil {
		s.fail(c, fmt.Errorf("read tally of %q: %w", edition, err))
		return
	}
	c.JSON(http.StatusOK, tallyOf(snap, edition, counts))
}

// tallyOf lists every nominee, with zero when it has no votes yet, and any
// other catalogued project that has votes; counts for projects the catalogue
// does not know are left out. Projects are ordered by category, then by
// votes, most first.
func tallyOf(snap *voting.Snapshot, edition string, counts map[string]int64) tallyResponse {
	out := tallyResponse{Edition: edition, Projects: []tallyJSON{}}
	for _, p := range snap.Projects(edition, "") {
		n := counts[p.ID]
		if !p.Nominated && n == 0 {
			continue
		}
		out.Projects = append(out.Projects, tallyJSON{ProjectID: p.ID, Title: p.Title, Category: p.Category, Votes: n})
		out.Total += n
	}
	sort.SliceStable(out.Projects, func(i, j int) bool {
		a, b := out.Projects[i], out.Projects[j]
		if a.Category != b.Category {
			return a.Category < b.Category
		}
		return a.Votes > b.Votes
	})
	return out
}
