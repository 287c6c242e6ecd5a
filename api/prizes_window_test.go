package api_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/wsisvote/prizes/prizes"
)

// TestPrizes_previewCountsInsideWindow: the Champion preview counts only the
// votes cast inside the published voting window, and says which window and
// how many it left out.
func TestPrizes_previewCountsInsideWindow(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.advance("submission")
	c1 := []string{k.submitted("owner", "C1", "Alpha"), k.submitted("owner", "C1", "Bravo")}
	k.advance("review")
	var ds []prizes.ReviewDecision
	for _, id := range c1 {
		ds = append(ds, prizes.ReviewDecision{ProjectID: id, Decision: "nominate"})
	}
	k.must(http.StatusOK, "organiser", "POST", k.ed("/review"), map[string]any{"decisions": ds}, nil)
	k.advance("voting")
	// Votes are cast one second apart from t0: Alpha's at t0 to t0+4s,
	// Bravo's at t0 to t0+2s.
	k.castVotes(c1[0], "C1", 5)
	k.castVotes(c1[1], "C1", 3)
	k.advance("counting")
	// The published end falls at t0+2s: Alpha keeps 2 votes, Bravo 2, and
	// 4 votes were cast too late.
	end := t0.Add(2 * time.Second)
	if _, err := k.votes.Pool().Exec(k.ctx, `UPDATE editions SET schedule = jsonb_build_object('voting',
		jsonb_build_object('end', $2::text)) WHERE id = $1`, k.edition, end.Format(time.RFC3339Nano)); err != nil {
		t.Fatal(err)
	}
	var preview struct {
		Categories    []prizes.CategoryChampions `json:"categories"`
		VotingWindow  prizes.WindowBounds        `json:"voting_window"`
		OutsideWindow int64                      `json:"outside_window"`
	}
	k.must(http.StatusOK, "organiser", "GET", k.ed("/champions/preview"), nil, &preview)
	if preview.OutsideWindow != 4 || preview.VotingWindow.Closes == nil || !preview.VotingWindow.Closes.Equal(end) || preview.VotingWindow.Opens != nil {
		t.Errorf("preview window %+v, %d outside; want open to %v, 4 outside", preview.VotingWindow, preview.OutsideWindow, end)
	}
	i := slices.IndexFunc(preview.Categories, func(c prizes.CategoryChampions) bool { return c.Category == "C1" })
	if i < 0 {
		t.Fatal("no C1 in the preview")
	}
	for _, n := range preview.Categories[i].Nominees {
		if n.Votes != 2 {
			t.Errorf("nominee %s counts %d votes; want the 2 cast inside the window", n.ProjectID, n.Votes)
		}
	}
}
