package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/voting"
)

// trickyStrings are strings whose JSON encoding needs every kind of escape.
var trickyStrings = []string{
	"",
	"plain",
	"0190f3c2-7d4e-7a1b-9c3d-5e6f7a8b9c0d",
	`quote " and backslash \`,
	"controls \x00\x01\b\f\n\r\t\x1f and DEL \x7f",
	"<script>alert('x')</script> & more",
	"non-ASCII: é ü 中文 🗳",
	"separators \u2028 and \u2029",
	"invalid UTF-8: \xff \xc3 \xed\xa0\x80 end",
	"truncated at the end \xe2\x82",
}

// wantJSON is the reference encoding of s.
func wantJSON(tb testing.TB, s string) string {
	tb.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestAppendJSONString(t *testing.T) {
	for _, s := range trickyStrings {
		t.Run(s, func(t *testing.T) {
			got := string(api.AppendJSONString([]byte("prefix:"), s))
			if want := "prefix:" + wantJSON(t, s); got != want {
				t.Errorf("AppendJSONString(%q) = %s, want %s", s, got, want)
			}
		})
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range trickyStrings {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(api.AppendJSONString(nil, s)), wantJSON(t, s); got != want {
			t.Fatalf("AppendJSONString(%q) = %s, want %s", s, got, want)
		}
	})
}

// TestCastVote_Receipt checks that the receipt is the JSON encoding/json
// writes for it, byte for byte, whatever its fields hold, and carries the
// Content-Type Gin's c.JSON sets.
func TestCastVote_Receipt(t *testing.T) {
	type receipt struct {
		VoteID   string `json:"vote_id"`
		Status   string `json:"status"`
		Category string `json:"category"`
	}
	for _, s := range trickyStrings {
		t.Run(s, func(t *testing.T) {
			r := voting.Receipt{VoteID: s, Category: "C1 " + s}
			f := newFixture(t, func(c *api.Config) {
				c.Votes = casterFunc(func(voting.Ballot) (voting.Receipt, error) { return r, nil })
			})
			w := f.vote(t, "demo", "p-c1-a", f.token(t, "42", api.RoleVoter))
			if w.Code != http.StatusAccepted {
				t.Fatalf("status = %d, want 202 (body %s)", w.Code, w.Body)
			}
			want, err := json.Marshal(receipt{VoteID: r.VoteID, Status: "accepted", Category: r.Category})
			if err != nil {
				t.Fatal(err)
			}
			if got := w.Body.String(); got != string(want) {
				t.Errorf("body = %s, want %s", got, want)
			}
			if ct := w.Header().Values("Content-Type"); len(ct) != 1 || ct[0] != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q, want [application/json; charset=utf-8]", ct)
			}
		})
	}
}

// TestCastVote_ReceiptsDoNotMix checks that receipts written one after
// another, from buffers that are reused, each hold their own vote.
func TestCastVote_ReceiptsDoNotMix(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, "42", api.RoleVoter)
	other := f.token(t, "43", api.RoleVoter)
	var ids []string
	for _, v := range []struct{ token, project string }{{tok, "p-c1-a"}, {tok, "p-c2-a"}, {other, "p-c1-b"}} {
		w := f.vote(t, "demo", v.project, v.token)
		var got struct {
			VoteID string `json:"vote_id"`
		}
		decode(t, w, &got)
		ids = append(ids, got.VoteID)
	}
	votes := f.log.recorded()
	if len(votes) != len(ids) {
		t.Fatalf("log holds %d votes, want %d", len(votes), len(ids))
	}
	for i, v := range votes {
		if v.ID != ids[i] {
			t.Errorf("receipt %d names vote %q, the log holds %q", i, ids[i], v.ID)
		}
	}
}
