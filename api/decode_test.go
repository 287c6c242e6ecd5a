package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/voting"
)

func TestDecodeVote(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // the project id, or "" when the body must be refused
	}{
		{"plain", `{"project_id":"p-1"}`, "p-1"},
		{"uuid", `{"project_id":"0190f3c2-7d4e-7a1b-9c3d-5e6f7a8b9c0d"}`, "0190f3c2-7d4e-7a1b-9c3d-5e6f7a8b9c0d"},
		{"surrounding whitespace", " \n{ \"project_id\" : \"p-1\" }\n ", "p-1"},
		{"longest id", `{"project_id":"` + strings.Repeat("a", api.MaxProjectID) + `"}`, strings.Repeat("a", api.MaxProjectID)},
		{"empty", ``, ""},
		{"whitespace only", "  ", ""},
		{"null", `null`, ""},
		{"string", `"p-1"`, ""},
		{"array", `[{"project_id":"p-1"}]`, ""},
		{"number id", `{"project_id":1}`, ""},
		{"null id", `{"project_id":null}`, ""},
		{"object id", `{"project_id":{}}`, ""},
		{"unknown field", `{"project_id":"p-1","voter_id":3}`, ""},
		{"trailing object", `{"project_id":"p-1"}{"project_id":"p-2"}`, ""},
		{"trailing garbage", `{"project_id":"p-1"}x`, ""},
		{"truncated", `{"project_id":"p-1"`, ""},
		{"empty id", `{"project_id":""}`, ""},
		{"id too long", `{"project_id":"` + strings.Repeat("a", api.MaxProjectID+1) + `"}`, ""},
		{"id with space", `{"project_id":"p 1"}`, ""},
		{"id with slash", `{"project_id":"../p"}`, ""},
		{"id with NUL", `{"project_id":"p\u0000"}`, ""},
		{"id non-ASCII", `{"project_id":"pé"}`, ""},
		{"over the limit", `{"project_id":"p-1"}` + strings.Repeat(" ", api.MaxVoteBody), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := api.DecodeVote(strings.NewReader(tt.body))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("DecodeVote accepted %q as %+v", tt.body, got)
				}
				if !errors.Is(err, voting.ErrInvalid) {
					t.Errorf("error %v does not wrap voting.ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("DecodeVote: %v", err)
			}
			if got.ProjectID != tt.want {
				t.Errorf("project id = %q, want %q", got.ProjectID, tt.want)
			}
		})
	}
}

func FuzzDecodeVote(f *testing.F) {
	for _, seed := range []string{
		`{"project_id":"p-1"}`,
		`{"project_id":""}`,
		`{"project_id":"p-1"} `,
		`{"project_id":"p-1"}{}`,
		`{"Project_ID":"p-1"}`,
		`{"project_id":"\u0070"}`,
		`{"project_id":1}`,
		`null`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := api.DecodeVote(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, voting.ErrInvalid) {
				t.Fatalf("error %v does not wrap voting.ErrInvalid", err)
			}
			return
		}
		if got.ProjectID == "" || len(got.ProjectID) > api.MaxProjectID {
			t.Fatalf("accepted %q with project id %q", data, got.ProjectID)
		}
		if len(data) > api.MaxVoteBody {
			t.Fatalf("accepted a body of %d bytes", len(data))
		}
		// What is accepted must survive a round trip unchanged.
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		back, err := api.DecodeVote(bytes.NewReader(again))
		if err != nil || back != got {
			t.Fatalf("round trip of %+v gave %+v, %v", got, back, err)
		}
	})
}
