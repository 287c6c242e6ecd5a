package api

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/wsisvote/prizes/prizes"
)

type championsJSON struct {
	Edition    string                     `json:"edition"`
	Categories []prizes.CategoryChampions `json:"categories"`
}

type previewJSON struct {
	Edition    string                     `json:"edition"`
	Categories []prizes.CategoryChampions `json:"categories"`
	// Ties lists the ties at a cut that need an organiser decision before
	// counting can close.
	Ties []prizes.Tie `json:"ties"`
	// VotingWindow is the window the votes were counted in; OutsideWindow
	// counts the votes cast outside it, which count nowhere.
	VotingWindow  prizes.WindowBounds `json:"voting_window"`
	OutsideWindow int64               `json:"outside_window"`
}

// champions is GET /editions/:edition/champions: every nominee's count and
// place, the Champions and the margin at each cut, as chosen when counting
// closed.
func (l *lifecycle) champions(c *gin.Context) {
	edition := c.Param("edition")
	cats, err := l.cfg.Champions.Champions(c.Request.Context(), edition)
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, championsJSON{Edition: edition, Categories: cats})
}

// previewChampions is GET /editions/:edition/champions/preview: the
// Champions as the ledger stands while counting, with the ties an organiser
// must decide before counting can close.
func (l *lifecycle) previewChampions(c *gin.Context) {
	edition := c.Param("edition")
	p, err := l.cfg.Champions.PreviewChampions(c.Request.Context(), edition)
	if err != nil {
		l.fail(c, err)
		return
	}
	ties := p.Ties
	if ties == nil {
		ties = []prizes.Tie{}
	}
	c.JSON(http.StatusOK, previewJSON{Edition: edition, Categories: p.Categories, Ties: ties,
		VotingWindow: p.Window, OutsideWindow: p.OutsideWindow})
}

// decideTie is POST /editions/:edition/ties with {"stage": "champions" or
// "winners", "category", "order": [ids, best first], "reason"}. The order
// must list exactly the projects tied at the cut; any other is refused
// with a field error that names them, and nothing is recorded.
func (l *lifecycle) decideTie(c *gin.Context) {
	var d prizes.TieDecision
	if err := decodeBody(c, maxLifecycleBody, &d); err != nil {
		l.fail(c, fmt.Errorf("decide tie: %w", err))
		return
	}
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.TieDecision, error) {
		return l.cfg.Champions.DecideTie(ctx, a, c.Param("edition"), d)
	}, func(d prizes.TieDecision) any { return d })
}

type assignmentsJSON struct {
	Edition     string              `json:"edition"`
	Assignments []prizes.Assignment `json:"assignments"`
}

// assignments is GET /editions/:edition/jury/assignments: every panel.
func (l *lifecycle) assignments(c *gin.Context) {
	edition := c.Param("edition")
	as, err := l.cfg.Jury.Assignments(c.Request.Context(), edition)
	if err != nil {
		l.fail(c, err)
		return
	}
	if as == nil {
		as = []prizes.Assignment{}
	}
	c.JSON(http.StatusOK, assignmentsJSON{Edition: edition, Assignments: as})
}

type assignmentRequest struct {
	JurorID  int64  `json:"juror_id"`
	Category string `json:"category"`
}

// assign is PUT /editions/:edition/jury/assignments with {"juror_id",
// "category"}; assigning twice changes nothing.
func (l *lifecycle) assign(c *gin.Context) {
	var req assignmentRequest
	if err := decodeBody(c, maxLifecycleBody, &req); err != nil {
		l.fail(c, fmt.Errorf("assign juror: %w", err))
		return
	}
	if req.JurorID <= 0 {
		l.fail(c, fmt.Errorf("assign juror: %w", prizes.FieldErrors{"juror_id": "must be an account id"}))
		return
	}
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (assignmentRequest, error) {
		return req, l.cfg.Jury.Assign(ctx, a, c.Param("edition"), req.JurorID, req.Category)
	}, func(r assignmentRequest) any { return r })
}

// unassign is DELETE /editions/:edition/jury/assignments/:juror/:category.
func (l *lifecycle) unassign(c *gin.Context) {
	juror, err := strconv.ParseInt(c.Param("juror"), 10, 64)
	if err != nil || juror <= 0 {
		l.fail(c, fmt.Errorf("unassign juror %q: %w", c.Param("juror"), prizes.ErrNotAssigned))
		return
	}
	a, err := l.actorOf(c)
	if err != nil {
		l.fail(c, err)
		return
	}
	if err := l.cfg.Jury.Unassign(c.Request.Context(), a, c.Param("edition"), juror, c.Param("category")); err != nil {
		l.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// juryReport is GET /editions/:edition/jury/report: each panel's progress
// and the provisional results with the sensitivity report.
func (l *lifecycle) juryReport(c *gin.Context) {
	rep, err := l.cfg.Jury.JuryReport(c.Request.Context(), c.Param("edition"))
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}

type scorecardJSON struct {
	ProjectID   string         `json:"project_id"`
	Category    string         `json:"category"`
	Scores      map[string]int `json:"scores"`
	Comment     string         `json:"comment"`
	UpdatedAt   time.Time      `json:"updated_at"`
	SubmittedAt *time.Time     `json:"submitted_at"`
}

func scorecardOf(s prizes.Scorecard) scorecardJSON {
	out := scorecardJSON{ProjectID: s.ProjectID, Category: s.Category, Scores: s.Scores, Comment: s.Comment, UpdatedAt: s.UpdatedAt}
	if out.Scores == nil {
		out.Scores = map[string]int{}
	}
	if s.Submitted() {
		t := s.SubmittedAt
		out.SubmittedAt = &t
	}
	return out
}

type conflictJSON struct {
	ProjectID  string    `json:"project_id"`
	Reason     string    `json:"reason"`
	DeclaredAt time.Time `json:"declared_at"`
}

type jurorProjectJSON struct {
	submissionJSON
	Conflict  *conflictJSON  `json:"conflict"`
	Scorecard *scorecardJSON `json:"scorecard"`
}

type jurorCategoryJSON struct {
	Code     string             `json:"code"`
	Name     string             `json:"name"`
	Projects []jurorProjectJSON `json:"projects"`
}

type jurorViewJSON struct {
	Edition    string              `json:"edition"`
	Phase      string              `json:"phase"`
	Rubric     []prizes.Criterion  `json:"rubric"`
	ScoreMin   int                 `json:"score_min"`
	ScoreMax   int                 `json:"score_max"`
	Categories []jurorCategoryJSON `json:"categories"`
}

// jurorView is GET /editions/:edition/jury/me: the caller's panel, its
// projects, and the caller's own conflicts and scorecards, nothing of any
// other juror's.
func (l *lifecycle) jurorView(c *gin.Context) {
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.JurorView, error) {
		return l.cfg.Jury.JurorView(ctx, a, c.Param("edition"))
	}, func(v prizes.JurorView) any {
		out := jurorViewJSON{Edition: v.Edition, Phase: v.Phase, Rubric: v.Rubric, ScoreMin: prizes.ScoreMin, ScoreMax: prizes.ScoreMax,
			Categories: make([]jurorCategoryJSON, len(v.Categories))}
		for i, cat := range v.Categories {
			jc := jurorCategoryJSON{Code: cat.Code, Name: cat.Name, Projects: make([]jurorProjectJSON, len(cat.Projects))}
			for j, p := range cat.Projects {
				jp := jurorProjectJSON{submissionJSON: submissionOf(p.Submission)}
				if p.Conflict != nil {
					jp.Conflict = &conflictJSON{ProjectID: p.Conflict.ProjectID, Reason: p.Conflict.Reason, DeclaredAt: p.Conflict.DeclaredAt}
				}
				if p.Scorecard != nil {
					sc := scorecardOf(*p.Scorecard)
					jp.Scorecard = &sc
				}
				jc.Projects[j] = jp
			}
			out.Categories[i] = jc
		}
		return out
	})
}

type conflictRequest struct {
	ProjectID string `json:"project_id"`
	Reason    string `json:"reason"`
}

// declareConflict is POST /editions/:edition/jury/conflicts with
// {"project_id", "reason"}: 201 with the new conflict, or 200 with the one
// declared before, whose reason and time stand.
func (l *lifecycle) declareConflict(c *gin.Context) {
	var req conflictRequest
	if err := decodeBody(c, maxLifecycleBody, &req); err != nil {
		l.fail(c, fmt.Errorf("declare conflict: %w", err))
		return
	}
	a, err := l.actorOf(c)
	if err != nil {
		l.fail(c, err)
		return
	}
	cf, created, err := l.cfg.Jury.DeclareConflict(c.Request.Context(), a, c.Param("edition"), req.ProjectID, req.Reason)
	if err != nil {
		l.fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, conflictJSON{ProjectID: cf.ProjectID, Reason: cf.Reason, DeclaredAt: cf.DeclaredAt})
}

// scoreDraftJSON is the body of PUT /jury/scores/:project. The scores stay
// JSON until scoresOf reads them, so that a score that is not a whole
// number is answered under its criterion's name.
type scoreDraftJSON struct {
	Scores  map[string]jsontext.Value `json:"scores"`
	Comment string                    `json:"comment"`
}

// wholeNumber is a JSON number written as an integer: no fraction and no
// exponent, so 7.0 and 7e0 are not one.
var wholeNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]{0,9})$`)

// scoresOf reads a scorecard draft. A score must be a JSON number written
// as a whole number; anything else (5.5, 7.0, 7e0, "7", null) is a field
// error keyed "scores.<criterion>", as the domain's range check is.
func scoresOf(req scoreDraftJSON) (prizes.ScoreDraft, error) {
	d := prizes.ScoreDraft{Comment: req.Comment}
	f := prizes.FieldErrors{}
	if req.Scores != nil {
		d.Scores = make(map[string]int, len(req.Scores))
	}
	for k, raw := range req.Scores {
		v, err := strconv.Atoi(string(raw))
		if !wholeNumber.Match(raw) || err != nil {
			f["scores."+k] = fmt.Sprintf("must be a whole number from %d to %d, such as 7, not %s", prizes.ScoreMin, prizes.ScoreMax, shortValue(raw))
			continue
		}
		d.Scores[k] = v
	}
	return d, f.Err()
}

// shortValue quotes a JSON value back to the client, cut to maxShown bytes.
func shortValue(raw jsontext.Value) string {
	return shorten(string(raw))
}

// saveScores is PUT /editions/:edition/jury/scores/:project with {"scores":
// {criterion: 1..10}, "comment"}: the draft, saved as the juror goes.
func (l *lifecycle) saveScores(c *gin.Context) {
	var req scoreDraftJSON
	err := decodeBody(c, maxLifecycleBody, &req)
	var d prizes.ScoreDraft
	if err == nil {
		d, err = scoresOf(req)
	}
	if err != nil {
		l.fail(c, fmt.Errorf("save scores: %w", err))
		return
	}
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Scorecard, error) {
		return l.cfg.Jury.SaveScores(ctx, a, c.Param("edition"), c.Param("project"), d)
	}, func(s prizes.Scorecard) any { return scorecardOf(s) })
}

// submitScores is POST /editions/:edition/jury/scores/:project/submit: the
// saved scorecard becomes final.
func (l *lifecycle) submitScores(c *gin.Context) {
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Scorecard, error) {
		return l.cfg.Jury.SubmitScores(ctx, a, c.Param("edition"), c.Param("project"))
	}, func(s prizes.Scorecard) any { return scorecardOf(s) })
}
