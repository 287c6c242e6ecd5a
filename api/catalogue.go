package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/voting"
)

type projectJSON struct {
	ID           string `json:"id"`
	Category     string `json:"category"`
	Title        string `json:"title"`
	Organisation string `json:"organisation"`
	Country      string `json:"country"`
}

type projectsResponse struct {
	Edition  string        `json:"edition"`
	Projects []projectJSON `json:"projects"`
}

// projects is GET /api/v1/editions/:edition/projects[?category=CODE]: the
// nominees, from the in-memory catalogue, so browsing the ballot costs no
// store round trip.
func (s *server) projects(c *gin.Context) {
	snap := s.catalogue.Snapshot()
	edition := c.Param("edition")
	if _, ok := snap.Edition(edition); !ok {
		s.fail(c, fmt.Errorf("list projects of %q: %w", edition, voting.ErrUnknownEdition))
		return
	}
	category := c.Query("category")
	if category != "" && !hasCategory(snap.Categories(edition), category) {
		s.fail(c, fmt.Errorf("list projects of %q in %q: %w", edition, category, voting.ErrUnknownCategory))
		return
	}
	all := snap.Projects(edition, category)
	out := projectsResponse{Edition: edition, Projects: make([]projectJSON, 0, len(all))}
	for _, p := range all {
		if !p.Nominated {
			continue
		}
		out.Projects = append(out.Projects, projectJSON{
			ID:           p.ID,
			Category:     p.Category,
			Title:        p.Title,
			Organisation: p.Organisation,
			Country:      p.Country,
		})
	}
	c.JSON(http.StatusOK, out)
}

func hasCategory(cs []voting.Category, code string) bool {
	for _, c := range cs {
		if c.Code == code {
			return true
		}
	}
	return false
}
