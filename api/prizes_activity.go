package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/voting"
)

// ActivityStore reads what the API nodes and flushers did, minute by
// minute, for the organisers' live dashboard (voting/postgres.Store is one).
type ActivityStore interface {
	// Activity returns an edition's samples from since on, added up over
	// every node by minute, in time order. It returns kind.ErrUnavailable.
	Activity(ctx context.Context, edition string, since time.Time) ([]voting.ActivitySample, error)
	// ActivityTotals returns an edition's counts over every minute on
	// record. It returns kind.ErrUnavailable.
	ActivityTotals(ctx context.Context, edition string) (voting.ActivityCounts, error)
}

// dashboardMinutes is how many minutes the live dashboard shows.
const dashboardMinutes = 60

// activityMinuteJSON is one minute of the dashboard, as the API gives it.
type activityMinuteJSON struct {
	Minute    time.Time `json:"minute"`
	Accepted  int64     `json:"accepted"`
	Flagged   int64     `json:"flagged"`
	Rejected  int64     `json:"rejected"`
	Duplicate int64     `json:"duplicate"`
	Refused   int64     `json:"refused"`
	Flushed   int64     `json:"flushed"`
	// LagMeanMS and LagMaxMS are the flush lag of the votes flushed that
	// minute, by every flusher (all editions): from acceptance to commit.
	LagMeanMS float64 `json:"lag_mean_ms"`
	LagMaxMS  float64 `json:"lag_max_ms"`
}

// activityTotalsJSON is an edition's counts since voting opened.
type activityTotalsJSON struct {
	Accepted  int64 `json:"accepted"`
	Flagged   int64 `json:"flagged"`
	Rejected  int64 `json:"rejected"`
	Duplicate int64 `json:"duplicate"`
	Refused   int64 `json:"refused"`
}

// activityJSON is the answer of GET /editions/:edition/activity.
type activityJSON struct {
	Edition string `json:"edition"`
	// Minutes are the last 60 minutes, oldest first, the current one last
	// (still counting).
	Minutes []activityMinuteJSON `json:"minutes"`
	Totals  activityTotalsJSON   `json:"totals"`
}

// dashboard is the live dashboard's figures.
type dashboard struct {
	Minutes []voting.ActivitySample
	Totals  voting.ActivityCounts
}

// loadDashboard reads an edition's last dashboardMinutes minutes and its
// totals.
func loadDashboard(ctx context.Context, store ActivityStore, edition string, now time.Time) (dashboard, error) {
	since := now.Add(-dashboardMinutes * time.Minute)
	samples, err := store.Activity(ctx, edition, since)
	if err != nil {
		return dashboard{}, err
	}
	totals, err := store.ActivityTotals(ctx, edition)
	if err != nil {
		return dashboard{}, err
	}
	return dashboard{Minutes: voting.ActivityWindow(samples, now, dashboardMinutes), Totals: totals}, nil
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// activity is GET /editions/:edition/activity: the live dashboard's figures
// (votes per minute by outcome, flush lag) for organisers.
func (l *lifecycle) activity(c *gin.Context) {
	ctx := c.Request.Context()
	ed, err := l.cfg.Editions.Edition(ctx, c.Param("edition"))
	if err != nil {
		l.fail(c, err)
		return
	}
	d, err := loadDashboard(ctx, l.cfg.Activity, ed.ID, time.Now())
	if err != nil {
		l.fail(c, err)
		return
	}
	out := activityJSON{Edition: ed.ID, Minutes: make([]activityMinuteJSON, len(d.Minutes)),
		Totals: activityTotalsJSON{Accepted: d.Totals.Accepted, Flagged: d.Totals.Flagged, Rejected: d.Totals.Rejected,
			Duplicate: d.Totals.Duplicate, Refused: d.Totals.Refused}}
	for i, m := range d.Minutes {
		out.Minutes[i] = activityMinuteJSON{Minute: m.Minute, Accepted: m.Accepted, Flagged: m.Flagged, Rejected: m.Rejected,
			Duplicate: m.Duplicate, Refused: m.Refused, Flushed: m.Flushed,
			LagMeanMS: millis(m.LagMean()), LagMaxMS: millis(m.LagMax)}
	}
	c.JSON(http.StatusOK, out)
}
