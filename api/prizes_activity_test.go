package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/wsisvote/prizes/voting"
)

// TestPrizes_activity reads the live dashboard's figures as an organiser:
// the last 60 minutes, the current one last, with every node's saved
// counts added up and the flushers' lag; totals since voting opened. Other
// roles are refused and an unknown edition is not found.
func TestPrizes_activity(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	now := time.Now().UTC().Truncate(time.Minute)
	for node, accepted := range map[string]int64{"a": 7, "b": 5} {
		if err := k.votes.SaveActivity(k.ctx, node, []voting.ActivitySample{
			{Edition: k.edition, Minute: now, ActivityCounts: voting.ActivityCounts{Accepted: accepted, Flagged: 1, Duplicate: 2, Refused: 1}},
			{Edition: k.edition, Minute: now.Add(-2 * time.Hour), ActivityCounts: voting.ActivityCounts{Accepted: 100}},
			{Edition: "", Minute: now, ActivityCounts: voting.ActivityCounts{Flushed: 4, LagSum: time.Second, LagMax: 400 * time.Millisecond}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	var got struct {
		Edition string `json:"edition"`
		Minutes []struct {
			Minute    time.Time `json:"minute"`
			Accepted  int64     `json:"accepted"`
			Flagged   int64     `json:"flagged"`
			Duplicate int64     `json:"duplicate"`
			Flushed   int64     `json:"flushed"`
			LagMeanMS float64   `json:"lag_mean_ms"`
			LagMaxMS  float64   `json:"lag_max_ms"`
		} `json:"minutes"`
		Totals struct {
			Accepted  int64 `json:"accepted"`
			Duplicate int64 `json:"duplicate"`
		} `json:"totals"`
	}
	k.must(http.StatusOK, "organiser", "GET", k.ed("/activity"), nil, &got)
	if len(got.Minutes) != 60 {
		t.Fatalf("%d minutes, want 60", len(got.Minutes))
	}
	last := got.Minutes[59]
	if !last.Minute.Equal(now) && !last.Minute.Equal(now.Add(time.Minute)) {
		t.Errorf("the last minute is %v, want the current one", last.Minute)
	}
	var cur = last
	if last.Minute.After(now) {
		cur = got.Minutes[58]
	}
	if cur.Accepted != 12 || cur.Flagged != 2 || cur.Duplicate != 4 || cur.Flushed != 8 || cur.LagMeanMS != 250 || cur.LagMaxMS != 400 {
		t.Errorf("the current minute = %+v, want both nodes and both flushers added up", cur)
	}
	if got.Totals.Accepted != 212 || got.Totals.Duplicate != 4 {
		t.Errorf("totals = %+v, want 212 accepted (older minutes included), 4 duplicates", got.Totals)
	}
	for _, as := range []string{"owner", "juror", "voter"} {
		if w := k.call(as, "GET", k.ed("/activity"), nil); w.Code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", as, w.Code)
		}
	}
	w := k.call("organiser", "GET", "/editions/nowhere/activity", nil)
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(w.Body.Bytes(), &e); w.Code != http.StatusNotFound || e.Error.Code != "unknown_edition" {
		t.Errorf("unknown edition: %d %s", w.Code, w.Body)
	}
}
