package fraudlive_test

import (
	"strings"
	"testing"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/loadtest/fraudlive"
)

func TestMatcher_Match(t *testing.T) {
	gen := []antifraud.Vote{
		{VoteID: "g0", VoterID: 10, ProjectID: "p1", Category: "C1"},
		{VoteID: "g1", VoterID: 10, ProjectID: "p7", Category: "C2"},
		{VoteID: "g2", VoterID: 11, ProjectID: "p1", Category: "C1"},
		{VoteID: "g3", VoterID: 12, ProjectID: "p8", Category: "C2"},
	}
	// Ledger voters 501..503 were created for generated voters 10..12.
	m, err := fraudlive.NewMatcher(gen, map[int64]int64{501: 10, 502: 11, 503: 12})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		l    fraudlive.LedgerVote
		want int
		err  string
	}{
		{fraudlive.LedgerVote{ID: "l1", VoterID: 502, ProjectID: "p1", Category: "C1"}, 2, ""},
		{fraudlive.LedgerVote{ID: "l2", VoterID: 501, ProjectID: "p7", Category: "C2"}, 1, ""},
		{fraudlive.LedgerVote{ID: "l3", VoterID: 501, ProjectID: "p7", Category: "C2"}, -1, "twice"},
		{fraudlive.LedgerVote{ID: "l4", VoterID: 999, ProjectID: "p1", Category: "C1"}, -1, "did not create"},
		{fraudlive.LedgerVote{ID: "l5", VoterID: 503, ProjectID: "p1", Category: "C1"}, -1, "cast no vote in C1"},
		{fraudlive.LedgerVote{ID: "l6", VoterID: 503, ProjectID: "p9", Category: "C2"}, -1, "is for p9"},
	} {
		got, err := m.Match(tt.l)
		if tt.err == "" && (err != nil || got != tt.want) {
			t.Errorf("Match(%s) = %d, %v; want %d", tt.l.ID, got, err, tt.want)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("Match(%s) = %d, %v; want an error containing %q", tt.l.ID, got, err, tt.err)
		}
	}
	if u := m.Unmatched(); len(u) != 2 || u[0] != 0 || u[1] != 3 {
		t.Errorf("unmatched %v, want [0 3]", u)
	}
}

func TestNewMatcher_twoVotesInACategory(t *testing.T) {
	gen := []antifraud.Vote{
		{VoteID: "g0", VoterID: 10, ProjectID: "p1", Category: "C1"},
		{VoteID: "g1", VoterID: 10, ProjectID: "p2", Category: "C1"},
	}
	if _, err := fraudlive.NewMatcher(gen, map[int64]int64{501: 10}); err == nil {
		t.Fatal("two votes of one voter in one category were accepted")
	}
}
