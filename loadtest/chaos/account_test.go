package chaos_test

import (
	"reflect"
	"testing"

	"github.com/wsisvote/prizes/loadtest/chaos"
)

func TestAnswer_Outcome(t *testing.T) {
	for _, tc := range []struct {
		name  string
		a     chaos.Answer
		want  chaos.Outcome
		retry bool
		label string
	}{
		{"recorded", chaos.Answer{Status: 202, VoteID: "v1"}, chaos.Acknowledged, false, "202"},
		{"retry of a recorded vote", chaos.Answer{Status: 200, VoteID: "v1"}, chaos.Acknowledged, false, "200"},
		{"2xx without an id", chaos.Answer{Status: 202}, chaos.Unknown, false, "202"},
		{"duplicate", chaos.Answer{Status: 409, Code: "duplicate_vote"}, chaos.Refused, false, "409 duplicate_vote"},
		{"rate limited", chaos.Answer{Status: 429, Code: "rate_limited"}, chaos.Refused, false, "429 rate_limited"},
		{"nothing recorded", chaos.Answer{Status: 503, Code: "unavailable"}, chaos.Refused, true, "503 unavailable"},
		{"outcome unknown", chaos.Answer{Status: 503, Code: "outcome_unknown"}, chaos.Unknown, true, "503 outcome_unknown"},
		{"other 503", chaos.Answer{Status: 503, Code: "too_many_connections"}, chaos.Unknown, true, "503 too_many_connections"},
		{"server error", chaos.Answer{Status: 500, Code: "internal"}, chaos.Unknown, false, "500 internal"},
		{"no answer", chaos.Answer{Err: "connection refused"}, chaos.Unknown, true, "no answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Outcome(); got != tc.want {
				t.Errorf("Outcome() = %v, want %v", got, tc.want)
			}
			if got := tc.a.Retry(); got != tc.retry {
				t.Errorf("Retry() = %v, want %v", got, tc.retry)
			}
			if got := tc.a.Label(); got != tc.label {
				t.Errorf("Label() = %q, want %q", got, tc.label)
			}
		})
	}
}

func vote(voter int64, cat string, answers ...chaos.Answer) chaos.Vote {
	return chaos.Vote{VoterID: voter, Category: cat, ProjectID: "p", Answers: answers}
}

var (
	noAnswer    = chaos.Answer{Err: "EOF"}
	unavailable = chaos.Answer{Status: 503, Code: "unavailable"}
	unknown     = chaos.Answer{Status: 503, Code: "outcome_unknown"}
	duplicate   = chaos.Answer{Status: 409, Code: "duplicate_vote"}
)

func accepted(id string) chaos.Answer { return chaos.Answer{Status: 202, VoteID: id} }

func TestAccount(t *testing.T) {
	for _, tc := range []struct {
		name  string
		votes []chaos.Vote
		rows  []chaos.Row
		want  chaos.Tally
	}{{
		name: "every acknowledged vote once",
		votes: []chaos.Vote{
			vote(1, "C1", accepted("a")),
			vote(2, "C1", noAnswer, accepted("b")),
			vote(1, "C2", unavailable, chaos.Answer{Status: 200, VoteID: "C"}),
		},
		rows: []chaos.Row{{"a", 1, "C1"}, {"b", 2, "C1"}, {"c", 1, "C2"}},
		want: chaos.Tally{Sent: 3, Attempts: 5, Retried: 2, Acknowledged: 3, InLedger: 3,
			Finals: map[string]int64{"202": 2, "200": 1},
			Every:  map[string]int64{"202": 2, "200": 1, "no answer": 1, "503 unavailable": 1}},
	}, {
		name: "answer lost: the retry is refused as a duplicate and the original is in the ledger",
		votes: []chaos.Vote{
			vote(1, "C1", noAnswer, duplicate),
			vote(2, "C1", unknown),
			vote(3, "C1", unavailable),
		},
		rows: []chaos.Row{{"x", 1, "C1"}, {"y", 2, "C1"}},
		want: chaos.Tally{Sent: 3, Attempts: 4, Retried: 1, Refused: 2, Unknown: 1, InLedger: 2, Unacknowledged: 2,
			Finals: map[string]int64{"409 duplicate_vote": 1, "503 outcome_unknown": 1, "503 unavailable": 1},
			Every:  map[string]int64{"no answer": 1, "409 duplicate_vote": 1, "503 outcome_unknown": 1, "503 unavailable": 1}},
	}, {
		name: "missing, recorded under another id, and twice; rows of other ballots left out",
		votes: []chaos.Vote{
			vote(1, "C1", accepted("a")),
			vote(2, "C1", accepted("b")),
			vote(3, "C1", accepted("c")),
		},
		rows: []chaos.Row{{"other", 2, "C1"}, {"c", 3, "C1"}, {"c2", 3, "C1"}, {"z", 9, "C1"}, {"a", 1, "C2"}},
		want: chaos.Tally{Sent: 3, Attempts: 3, Acknowledged: 3, InLedger: 3, Missing: 2, Duplicated: 1, Unacknowledged: 2,
			MissingIDs: []string{"a", "b"},
			Finals:     map[string]int64{"202": 3},
			Every:      map[string]int64{"202": 3}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := chaos.Account(tc.votes, tc.rows)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Account() =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}
