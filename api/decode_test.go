package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/kind"
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
		{"every kind of whitespace", "\t\r\n {\t\"project_id\"\r:\n\"p-1\" \t}\r\n", "p-1"},
		{"every id character", `{"project_id":"azAZ09._:-"}`, "azAZ09._:-"},
		// Escapes leave the fast path; the decoder takes them for what they
		// stand for.
		{"escaped id", `{"project_id":"p\u002d1"}`, "p-1"},
		{"escaped key", `{"project\u005fid":"p-1"}`, "p-1"},
		// Names match exactly and once.
		{"key in capitals", `{"PROJECT_ID":"p-1"}`, ""},
		{"key in mixed case", `{"Project_ID":"p-1"}`, ""},
		{"repeated key", `{"project_id":"p-1","project_id":"p-2"}`, ""},
		{"repeated key, once escaped", `{"project_id":"p-1","project\u005fid":"p-1"}`, ""},
		{"invalid UTF-8 in a string", "{\"project_id\":\"p-1\",\"x\":\"\xff\"}", ""},
		{"unpaired surrogate", `{"project_id":"p\ud800"}`, ""},
		{"byte order mark", "\ufeff{\"project_id\":\"p-1\"}", ""},
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
		{"escaped id character outside the set", `{"project_id":"p\u0020"}`, ""},
		{"trailing comma", `{"project_id":"p-1",}`, ""},
		{"no closing brace", `{"project_id":"p-1" `, ""},
		{"vertical tab is not JSON whitespace", "{\"project_id\":\"p-1\"}\v", ""},
		{"over the limit", `{"project_id":"p-1"}` + strings.Repeat(" ", api.MaxVoteBody), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := api.DecodeVote(strings.NewReader(tt.body))
			if tt.want == "" {
				if err == nil {
					t.Fatalf("DecodeVote accepted %q as %+v", tt.body, got)
				}
				if !errors.Is(err, kind.ErrInvalid) {
					t.Errorf("error %v does not wrap kind.ErrInvalid", err)
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

// TestDecodeVote_Messages pins what a refused body is told, which the fast
// path must leave exactly as the decoder words it.
func TestDecodeVote_Messages(t *testing.T) {
	tests := []struct {
		body string
		want string
	}{
		{``, "decode vote: body is empty: invalid request"},
		{`{"project_id":7}`, "decode vote: project_id must be a string, not a number: invalid request"},
		{`[]`, "decode vote: body must be a JSON object, not an array: invalid request"},
		{`null`, "decode vote: body must be a JSON object, not null: invalid request"},
		{`{"project_id":"p-1"`, "decode vote: truncated JSON: invalid request"},
		{`{"project_id" "p-1"}`,
			`decode vote: malformed JSON at byte offset 14: invalid character '"' after object name (expecting ':'): invalid request`},
		{"{\"project_id\":\"p\xff\"}", "decode vote: malformed JSON at byte offset 16: invalid UTF-8: invalid request"},
		{`{"project_id":"p-1","x":1}`, `decode vote: unknown field "x": invalid request`},
		{`{"Project_ID":"p-1"}`,
			`decode vote: unknown field "Project_ID"; names are case-sensitive: did you mean "project_id"?: invalid request`},
		{`{"project_id":"p-1","project_id":"p-2"}`, `decode vote: duplicate field "project_id": invalid request`},
		{`{"project_id":"p-1"} {}`, "decode vote: unexpected data after the JSON object: invalid request"},
		{`{"project_id":""}`, "decode vote: project_id is required: invalid request"},
		{`{"project_id":"p/1"}`, "decode vote: project_id has a character outside [A-Za-z0-9._:-]: invalid request"},
		{`{"project_id":"` + strings.Repeat("a", api.MaxProjectID+1) + `"}`,
			"decode vote: project_id is longer than 64 bytes: invalid request"},
		{strings.Repeat(" ", api.MaxVoteBody+1), "decode vote: body exceeds 1024 bytes: invalid request"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			_, err := api.DecodeVote(strings.NewReader(tt.body))
			if err == nil || err.Error() != tt.want {
				t.Errorf("DecodeVote(%q) error = %v, want %q", tt.body, err, tt.want)
			}
		})
	}
}

// TestDecodeVote_Readers checks that the body is read whole however the
// reader hands it over, and that a failing read is refused.
func TestDecodeVote_Readers(t *testing.T) {
	const body = `{"project_id":"p-1"}`
	tests := []struct {
		name    string
		r       io.Reader
		want    string
		wantErr error // nil when the vote must be accepted
	}{
		{"one byte at a time", iotest.OneByteReader(strings.NewReader(body)), "p-1", nil},
		{"end of input with the last bytes", iotest.DataErrReader(strings.NewReader(body)), "p-1", nil},
		{"half then fail", io.MultiReader(strings.NewReader(body[:10]), iotest.ErrReader(io.ErrUnexpectedEOF)), "", io.ErrUnexpectedEOF},
		{"timeout", iotest.TimeoutReader(iotest.OneByteReader(strings.NewReader(body))), "", iotest.ErrTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := api.DecodeVote(tt.r)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, kind.ErrInvalid) {
					t.Fatalf("DecodeVote = %+v, %v; want an error wrapping %v and kind.ErrInvalid", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.ProjectID != tt.want {
				t.Fatalf("DecodeVote = %+v, %v; want project id %q", got, err, tt.want)
			}
		})
	}
}

// TestDecodeVote_OwnsProjectID checks that an accepted id is not a view of
// the buffer the body was read into, which the next vote reuses.
func TestDecodeVote_OwnsProjectID(t *testing.T) {
	first, err := api.DecodeVote(strings.NewReader(`{"project_id":"first-id"}`))
	if err != nil {
		t.Fatal(err)
	}
	for range 100 {
		if _, err := api.DecodeVote(strings.NewReader(`{"project_id":"later-id"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if first.ProjectID != "first-id" {
		t.Errorf("first project id became %q after later votes", first.ProjectID)
	}
}

func TestScanVote(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // the id taken, or "" when the body is left to the decoder
	}{
		{"plain", `{"project_id":"p-1"}`, "p-1"},
		{"whitespace", " \t{\r\n\"project_id\" :\t\"p-1\"\n}\r ", "p-1"},
		{"longest id", `{"project_id":"` + strings.Repeat("7", api.MaxProjectID) + `"}`, strings.Repeat("7", api.MaxProjectID)},
		{"id too long", `{"project_id":"` + strings.Repeat("7", api.MaxProjectID+1) + `"}`, ""},
		{"empty id", `{"project_id":""}`, ""},
		{"escape in id", `{"project_id":"p\u002d1"}`, ""},
		{"character outside the set", `{"project_id":"p 1"}`, ""},
		{"other case", `{"Project_id":"p-1"}`, ""},
		{"second field", `{"project_id":"p-1","a":1}`, ""},
		{"trailing data", `{"project_id":"p-1"}x`, ""},
		{"not a string", `{"project_id":1}`, ""},
		{"unterminated", `{"project_id":"p-1`, ""},
		{"missing brace", `{"project_id":"p-1"`, ""},
		{"empty", ``, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := api.ScanVote([]byte(tt.body))
			if ok != (tt.want != "") || string(id) != tt.want {
				t.Errorf("ScanVote(%q) = %q, %v; want %q", tt.body, id, ok, tt.want)
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
		` { "project_id" : "a.b:c_d-e" } `,
		"{\t\"project_id\"\r\n:\"p\"}",
		`{"project_id":"p-1","project_id":"p-2"}`,
		`{"project_id":"p-1","project\u005fid":"p-1"}`,
		"{\"project_id\":\"p-1\",\"x\":\"\xff\"}",
		`{"project_id":"p-1",}`,
		`{"project_id":"` + strings.Repeat("a", api.MaxProjectID+1) + `"}`,
		`null`,
		`[]`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := api.DecodeVote(bytes.NewReader(data))
		// The fast path either leaves a body to the decoder or takes from it
		// exactly what the decoder would.
		if id, ok := api.ScanVote(data); ok {
			want, err := api.DecodeVoteJSON(data)
			if err != nil || want.ProjectID != string(id) {
				t.Fatalf("fast path took %q from %q; the decoder gives %+v, %v", id, data, want, err)
			}
		}
		// Within the size limit, DecodeVote answers as the decoder alone
		// does, down to the words of its error.
		if len(data) <= api.MaxVoteBody {
			want, wantErr := api.DecodeVoteJSON(data)
			if got != want || errorText(err) != errorText(wantErr) {
				t.Fatalf("DecodeVote(%q) = %+v, %v; the decoder gives %+v, %v", data, got, err, want, wantErr)
			}
		}
		if err != nil {
			if !errors.Is(err, kind.ErrInvalid) {
				t.Fatalf("error %v does not wrap kind.ErrInvalid", err)
			}
			return
		}
		// An accepted body names project_id, exactly so and once, and
		// nothing else.
		if err := checkNames(data, reflect.TypeFor[api.VoteRequest]()); err != nil {
			t.Fatalf("accepted %q: %v", data, err)
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

func errorText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
