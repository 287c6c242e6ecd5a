package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

type projectJSON struct {
	ID           string   `json:"id"`
	Category     string   `json:"category"`
	Title        string   `json:"title"`
	Organisation string   `json:"organisation"`
	Country      string   `json:"country"`
	Summary      string   `json:"summary"`
	Links        []string `json:"links"`
	// Logo is the thumbnail of the nominee's logo, absent when it has none.
	Logo *imageJSON `json:"logo,omitempty"`
}

// imageJSON is a picture: its content-addressed address and its size in
// pixels.
type imageJSON struct {
	URL    string `json:"url"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// logoOf is a project's logo thumbnail as the API answers it, or nil.
func logoOf(p voting.Project) *imageJSON {
	if p.Logo.Hash == "" {
		return nil
	}
	return &imageJSON{URL: fileURL(p.Edition, p.Logo.Hash), Width: p.Logo.Width, Height: p.Logo.Height}
}

type projectsResponse struct {
	Edition string `json:"edition"`
	// Order says whose order the nominees are in: "voter" (the signed-in
	// voter's own, the same on every visit) or "day" (the day's, shared by
	// every anonymous reader).
	Order    string        `json:"order"`
	Projects []projectJSON `json:"projects"`
}

// projects is GET /api/v1/editions/:edition/projects[?category=CODE]: the
// nominees, from the in-memory catalogue, so browsing the ballot costs no
// store round trip. Within each category they are in the reader's ballot
// order (see orderBallot): a voter who sends their token gets their own
// stable order, anyone else the day's. Categories follow the catalogue.
func (s *server) projects(c *gin.Context) {
	snap := s.catalogue.Snapshot()
	edition := c.Param("edition")
	if _, ok := snap.Edition(edition); !ok {
		s.fail(c, fmt.Errorf("list projects of %q: %w", edition, voting.ErrUnknownEdition))
		return
	}
	category := c.Query("category")
	cats := snap.Categories(edition)
	if category != "" {
		if !hasCategory(cats, category) {
			s.fail(c, fmt.Errorf("list projects of %q in %q: %w", edition, category, voting.ErrUnknownCategory))
			return
		}
		cats = []voting.Category{{Code: category}}
	}
	seed, order, err := s.ballotSeed(c)
	if err != nil {
		s.fail(c, fmt.Errorf("list projects of %q: %w", edition, err))
		return
	}
	out := projectsResponse{Edition: edition, Order: order, Projects: []projectJSON{}}
	for _, cat := range cats {
		for _, p := range s.orderBallot(edition, cat.Code, seed, snap.Projects(edition, cat.Code)) {
			links := p.Links
			if links == nil {
				links = []string{}
			}
			out.Projects = append(out.Projects, projectJSON{
				ID:           p.ID,
				Category:     p.Category,
				Title:        p.Title,
				Organisation: p.Organisation,
				Country:      p.Country,
				Summary:      p.Summary,
				Links:        links,
				Logo:         logoOf(p),
			})
		}
	}
	// A voter's order is theirs alone: no shared cache may keep it.
	if order == "voter" {
		c.Header("Cache-Control", "private, no-store")
	}
	c.JSON(http.StatusOK, out)
}

// ballotSeed returns the seed of the reader's ballot order and its name: the
// voter's id for a request with a valid voter token, the UTC day for one
// without a token. A token that is sent but not valid is refused, rather
// than quietly giving another order than the voter expects.
func (s *server) ballotSeed(c *gin.Context) (seed, order string, err error) {
	if c.GetHeader("Authorization") == "" {
		return "day:" + time.Now().UTC().Format(time.DateOnly), "day", nil
	}
	claims, err := s.authenticate(c, RoleVoter)
	if errors.Is(err, kind.ErrForbidden) {
		// An organiser or juror reads the ballot as anyone does.
		return "day:" + time.Now().UTC().Format(time.DateOnly), "day", nil
	}
	if err != nil {
		return "", "", err
	}
	id, ok := claims.AccountID()
	if !ok {
		return "", "", fmt.Errorf("ballot order: token subject %q is not a voter id: %w", claims.Subject, kind.ErrUnauthenticated)
	}
	return "voter:" + strconv.FormatInt(id, 10), "voter", nil
}

// orderBallot returns the nominees among ps in the order the reader of seed
// sees them (voting.BallotOrder under the edition's key). The site and the
// API share it, so a voter sees one order on both.
func (s *server) orderBallot(edition, category, seed string, ps []voting.Project) []voting.Project {
	nominated := ps[:0:0]
	for _, p := range ps {
		if p.Nominated {
			nominated = append(nominated, p)
		}
	}
	return voting.BallotOrder(voting.EditionBallotKey(s.ballotKey, edition), category, seed, nominated)
}

func hasCategory(cs []voting.Category, code string) bool {
	for _, c := range cs {
		if c.Code == code {
			return true
		}
	}
	return false
}
