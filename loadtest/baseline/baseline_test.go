package baseline_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/loadtest/baseline"
)

func TestNew(t *testing.T) {
	gin.SetMode(gin.TestMode)
	h := baseline.New()
	cases := []struct {
		name   string
		method string
		path   string
		body   string
		status int
	}{
		{"vote", http.MethodPost, "/api/v1/editions/demo/votes", `{"project_id":"p-1"}`, http.StatusAccepted},
		{"malformed body", http.MethodPost, "/api/v1/editions/demo/votes", `{"project_id":`, http.StatusUnprocessableEntity},
		{"no project", http.MethodPost, "/api/v1/editions/demo/votes", `{}`, http.StatusUnprocessableEntity},
		{"other route", http.MethodPost, "/api/v1/editions/demo/other", `{}`, http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status != http.StatusAccepted {
				return
			}
			var out struct {
				VoteID string `json:"vote_id"`
				Status string `json:"status"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
				t.Fatal(err)
			}
			if len(out.VoteID) != 36 || out.Status != "accepted" {
				t.Errorf("answer %s: want a 36-character vote_id and status accepted", rec.Body)
			}
		})
	}
}
