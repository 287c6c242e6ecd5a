package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/kind"
)

type tallyBody struct {
	Edition  string `json:"edition"`
	Projects []struct {
		ProjectID string `json:"project_id"`
		Title     string `json:"title"`
		Category  string `json:"category"`
		Votes     int64  `json:"votes"`
	} `json:"projects"`
	Total int64 `json:"total"`
}

func (b tallyBody) rows() []string {
	var out []string
	for _, p := range b.Projects {
		out = append(out, fmt.Sprintf("%s %s %s %d", p.Category, p.ProjectID, p.Title, p.Votes))
	}
	return out
}

func TestTally(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name      string
		edition   string
		token     string
		wantRows  []string
		wantTotal int64
	}{
		{
			name:    "public tally, most votes first in each category",
			edition: "demo",
			// The count for "gone", which the catalogue does not know, is left out.
			wantRows:  []string{"C1 p-c1-b Bravo 9", "C1 p-c1-a Alpha 5", "C2 p-c2-a Charlie 2"},
			wantTotal: 16,
		},
		{
			name:      "hidden tally for an organiser",
			edition:   "secret",
			token:     f.token(t, "1", api.RoleOrganiser),
			wantRows:  []string{"C1 s-c1-a Echo 7"},
			wantTotal: 7,
		},
		{
			name:      "nominees without votes are listed with zero",
			edition:   "closed",
			wantRows:  []string{"C1 q-c1-a Foxtrot 0"},
			wantTotal: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(t, request{path: "/api/v1/editions/" + tt.edition + "/tally", token: tt.token})
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", w.Code, w.Body)
			}
			var got tallyBody
			decode(t, w, &got)
			if got.Edition != tt.edition {
				t.Errorf("edition = %q, want %q", got.Edition, tt.edition)
			}
			if !reflect.DeepEqual(got.rows(), tt.wantRows) {
				t.Errorf("rows = %q, want %q", got.rows(), tt.wantRows)
			}
			if got.Total != tt.wantTotal {
				t.Errorf("total = %d, want %d", got.Total, tt.wantTotal)
			}
		})
	}
}

func TestTally_Errors(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		edition    string
		token      string
		tallyErr   error
		wantStatus int
		wantCode   string
	}{
		{name: "unknown edition", edition: "nope", wantStatus: 404, wantCode: "unknown_edition"},
		{name: "hidden tally, anonymous", edition: "secret", wantStatus: 403, wantCode: "tally_hidden"},
		{name: "hidden tally, voter", edition: "secret", token: f.token(t, "42", api.RoleVoter),
			wantStatus: 403, wantCode: "tally_hidden"},
		{name: "hidden tally, bad token", edition: "secret", token: "x.y.z",
			wantStatus: 403, wantCode: "tally_hidden"},
		{name: "store unavailable", edition: "demo", tallyErr: fmt.Errorf("read: %w", kind.ErrUnavailable),
			wantStatus: 503, wantCode: "unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.tally.err = tt.tallyErr
			defer func() { f.tally.err = nil }()
			w := f.do(t, request{path: "/api/v1/editions/" + tt.edition + "/tally", token: tt.token})
			wantError(t, w, tt.wantStatus, tt.wantCode)
			if ra := w.Header().Get("Retry-After"); (tt.wantStatus == 503) != (ra == "1") {
				t.Errorf("Retry-After = %q on a %d", ra, tt.wantStatus)
			}
		})
	}
}

func TestTally_NotServedWithoutReader(t *testing.T) {
	f := newFixture(t, func(c *api.Config) { c.Tally = nil })
	wantError(t, f.do(t, request{path: "/api/v1/editions/demo/tally"}), http.StatusNotFound, "not_found")
}

// TestTally_hiddenLeaksNothing: under the default rules no answer a
// non-organiser can get changes with the counts, not even in size: the
// tally route and the ballot are byte for byte the same whether a nominee
// has no votes or a million. (Metrics carry no project label at all.)
func TestTally_hiddenLeaksNothing(t *testing.T) {
	f := newFixture(t)
	voter := f.token(t, "42", api.RoleVoter)
	answers := func() []string {
		var out []string
		for _, r := range []request{
			{path: "/api/v1/editions/secret/tally"},
			{path: "/api/v1/editions/secret/tally", token: voter},
			{path: "/api/v1/editions/secret/projects", token: voter},
		} {
			w := f.do(t, r)
			out = append(out, fmt.Sprintf("%d %s %s", w.Code, w.Header().Get("Content-Length"), w.Body))
		}
		return out
	}
	f.tally.counts["secret"] = map[string]int64{"s-c1-a": 0}
	few := answers()
	f.tally.counts["secret"] = map[string]int64{"s-c1-a": 1_000_000}
	many := answers()
	if !slices.Equal(few, many) {
		t.Errorf("answers differ with the counts:\n%q\n%q", few, many)
	}
	org := f.do(t, request{path: "/api/v1/editions/secret/tally", token: f.token(t, "1", api.RoleOrganiser)})
	if org.Code != http.StatusOK || !strings.Contains(org.Body.String(), `"votes":1000000`) {
		t.Errorf("organiser: %d %s, want the count", org.Code, org.Body)
	}
}
