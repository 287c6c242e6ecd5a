package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/prizes"
)

type submissionJSON struct {
	ID      string `json:"id"`
	Edition string `json:"edition"`
	prizes.Entry
	Status prizes.Status `json:"status"`
	// Reason is why the entry was rejected.
	Reason      string     `json:"reason,omitempty"`
	OwnerID     int64      `json:"owner_id,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	SubmittedAt *time.Time `json:"submitted_at"`
}

func submissionOf(s prizes.Submission) submissionJSON {
	out := submissionJSON{
		ID: s.ID, Edition: s.Edition, Entry: s.Entry, Status: s.Status, Reason: s.Reason,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
	if out.Links == nil {
		out.Links = []string{}
	}
	if !s.SubmittedAt.IsZero() {
		t := s.SubmittedAt
		out.SubmittedAt = &t
	}
	return out
}

func submissionsOf(ss []prizes.Submission, withOwner bool) []submissionJSON {
	out := make([]submissionJSON, len(ss))
	for i, s := range ss {
		out[i] = submissionOf(s)
		if withOwner {
			out[i].OwnerID = s.OwnerID
		}
	}
	return out
}

type submissionsResponse struct {
	Edition string           `json:"edition"`
	Entries []submissionJSON `json:"entries"`
}

// listSubmissions is GET /editions/:edition/submissions: the caller's own
// entries with their status (and the reason of a rejection).
func (l *lifecycle) listSubmissions(c *gin.Context) {
	edition := c.Param("edition")
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) ([]prizes.Submission, error) {
		return l.cfg.Submissions.Submissions(ctx, a, edition)
	}, func(ss []prizes.Submission) any {
		return submissionsResponse{Edition: edition, Entries: submissionsOf(ss, false)}
	})
}

// getSubmission is GET /editions/:edition/submissions/:id. Another owner's
// entry is a 404, as a missing one is.
func (l *lifecycle) getSubmission(c *gin.Context) {
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Submission, error) {
		return l.cfg.Submissions.Submission(ctx, a, c.Param("edition"), c.Param("id"))
	}, func(s prizes.Submission) any { return submissionOf(s) })
}

// createSubmission is POST /editions/:edition/submissions: a new draft.
func (l *lifecycle) createSubmission(c *gin.Context) {
	var e prizes.Entry
	if err := decodeBody(c, maxLifecycleBody, &e); err != nil {
		l.fail(c, fmt.Errorf("create entry: %w", err))
		return
	}
	act(l, c, http.StatusCreated, func(ctx context.Context, a prizes.Actor) (prizes.Submission, error) {
		return l.cfg.Submissions.CreateSubmission(ctx, a, c.Param("edition"), e)
	}, func(s prizes.Submission) any { return submissionOf(s) })
}

// updateSubmission is PUT /editions/:edition/submissions/:id: the entry's
// whole content, saved as the owner goes.
func (l *lifecycle) updateSubmission(c *gin.Context) {
	var e prizes.Entry
	if err := decodeBody(c, maxLifecycleBody, &e); err != nil {
		l.fail(c, fmt.Errorf("edit entry: %w", err))
		return
	}
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Submission, error) {
		return l.cfg.Submissions.UpdateSubmission(ctx, a, c.Param("edition"), c.Param("id"), e)
	}, func(s prizes.Submission) any { return submissionOf(s) })
}

// submitSubmission is POST /editions/:edition/submissions/:id/submit.
func (l *lifecycle) submitSubmission(c *gin.Context) {
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Submission, error) {
		return l.cfg.Submissions.SubmitSubmission(ctx, a, c.Param("edition"), c.Param("id"))
	}, func(s prizes.Submission) any { return submissionOf(s) })
}

// withdrawSubmission is POST /editions/:edition/submissions/:id/withdraw.
func (l *lifecycle) withdrawSubmission(c *gin.Context) {
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) (prizes.Submission, error) {
		return l.cfg.Submissions.WithdrawSubmission(ctx, a, c.Param("edition"), c.Param("id"))
	}, func(s prizes.Submission) any { return submissionOf(s) })
}

type reviewQueueJSON struct {
	Edition   string           `json:"edition"`
	Category  string           `json:"category"`
	Cap       int              `json:"cap"`
	Nominated int              `json:"nominated"`
	Entries   []submissionJSON `json:"entries"`
}

// reviewQueue is GET /editions/:edition/review?category=CODE.
func (l *lifecycle) reviewQueue(c *gin.Context) {
	edition := c.Param("edition")
	q, err := l.cfg.Review.ReviewQueue(c.Request.Context(), edition, c.Query("category"))
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, reviewQueueJSON{Edition: edition, Category: q.Category, Cap: q.Cap,
		Nominated: q.Nominated, Entries: submissionsOf(q.Entries, true)})
}

type reviewRequest struct {
	Decisions []prizes.ReviewDecision `json:"decisions"`
}

// review is POST /editions/:edition/review with {"decisions": [{project_id,
// decision: nominate|reject, reason}]}: one decision or many, applied all or
// none.
func (l *lifecycle) review(c *gin.Context) {
	var req reviewRequest
	if err := decodeBody(c, maxLifecycleBody, &req); err != nil {
		l.fail(c, fmt.Errorf("review: %w", err))
		return
	}
	edition := c.Param("edition")
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) ([]prizes.Submission, error) {
		return l.cfg.Review.Review(ctx, a, edition, req.Decisions)
	}, func(ss []prizes.Submission) any {
		return submissionsResponse{Edition: edition, Entries: submissionsOf(ss, true)}
	})
}
