package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestLog_routes(t *testing.T) {
	k := newContest(t)
	project := uuid.NewString()
	k.castVotes(project, "C1", 3)
	if err := k.log.SignCheckpoints(k.ctx); err != nil {
		t.Fatal(err)
	}
	k.castVotes(project, "C1", 2)
	if err := k.log.SignCheckpoints(k.ctx); err != nil {
		t.Fatal(err)
	}
	var voteID string
	if err := k.votes.Pool().QueryRow(k.ctx, `SELECT id::text FROM votes WHERE leaf_index = 1`).Scan(&voteID); err != nil {
		t.Fatal(err)
	}
	e := "/editions/" + k.edition

	w := k.call("", http.MethodGet, e+"/log/checkpoint", nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), "wsisvote.prizes/log/"+k.edition+"\n5\n") {
		t.Fatalf("latest checkpoint: %d %q", w.Code, w.Body)
	}
	if w := k.call("", http.MethodGet, e+"/log/checkpoint?size=3", nil); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "\n3\n") {
		t.Fatalf("checkpoint 3: %d %q", w.Code, w.Body)
	}
	var p struct {
		Index       uint64   `json:"leaf_index"`
		TreeSize    uint64   `json:"tree_size"`
		ProjectID   string   `json:"project_id"`
		Consistency []string `json:"consistency_to_final"`
	}
	w = k.call("", http.MethodGet, e+"/log/proof/inclusion?vote_id="+voteID+"&size=3", nil)
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil || w.Code != http.StatusOK ||
		p.Index != 1 || p.TreeSize != 3 || p.ProjectID != project || len(p.Consistency) == 0 {
		t.Fatalf("inclusion in 3: %d %s", w.Code, w.Body)
	}
	w = k.call("", http.MethodGet, e+"/log/proof/consistency?from=3&to=5", nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"from_checkpoint"`) {
		t.Fatalf("consistency 3 -> 5: %d %s", w.Code, w.Body)
	}

	for _, c := range []struct {
		path   string
		status int
		code   string
	}{
		{e + "/log/proof/inclusion", http.StatusUnprocessableEntity, "invalid_request"},
		{e + "/log/proof/inclusion?vote_id=" + voteID + "&size=-1", http.StatusUnprocessableEntity, "invalid_request"},
		{e + "/log/proof/inclusion?vote_id=" + uuid.NewString(), http.StatusNotFound, "unknown_vote"},
		{e + "/log/proof/inclusion?vote_id=not-a-receipt", http.StatusNotFound, "unknown_vote"},
		{e + "/log/proof/inclusion?vote_id=" + voteID + "&size=4", http.StatusNotFound, "no_checkpoint"},
		{e + "/log/proof/consistency?from=5&to=3", http.StatusUnprocessableEntity, "bad_range"},
		{e + "/log/proof/consistency?from=3", http.StatusUnprocessableEntity, "invalid_request"},
		{e + "/log/proof/consistency?from=2&to=5", http.StatusNotFound, "no_checkpoint"},
		{"/editions/nope/log/checkpoint", http.StatusNotFound, "no_checkpoint"},
		{"/editions/nope/ledger.jsonl", http.StatusNotFound, "unknown_edition"},
	} {
		t.Run(c.path, func(t *testing.T) {
			wantError(t, k.call("", http.MethodGet, c.path, nil), c.status, c.code)
		})
	}
}
