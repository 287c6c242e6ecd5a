package voting_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

type recordingLog struct {
	votes []voting.Vote
	err   error
}

func (l *recordingLog) Append(_ context.Context, v *voting.Vote) error {
	if l.err != nil {
		return l.err
	}
	l.votes = append(l.votes, *v)
	return nil
}

type fixedScorer voting.Verdict

func (s fixedScorer) Score(context.Context, *voting.Vote) voting.Verdict { return voting.Verdict(s) }

func newService(log voting.Log, rules voting.Rules, scorer voting.Scorer) *voting.Service {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	snap := voting.NewSnapshot(
		[]voting.Edition{
			{ID: "open", Phase: voting.PhaseVoting, Rules: rules},
			{ID: "closed", Phase: voting.PhaseCounting, Rules: rules},
		},
		map[string][]voting.Category{"open": {{Code: "C1"}}, "closed": {{Code: "C1"}}},
		[]voting.Project{
			{ID: "p1", Edition: "open", Category: "C1", Nominated: true},
			{ID: "p2", Edition: "open", Category: "C1"},
			{ID: "q1", Edition: "closed", Category: "C1", Nominated: true},
		},
	)
	return &voting.Service{
		Catalogue: voting.NewCatalogue(snap), Log: log, Scorer: scorer,
		Now: func() time.Time { return now }, NewID: func() string { return "vote-1" },
	}
}

func TestService_Cast(t *testing.T) {
	since := time.Date(2026, 4, 30, 12, 0, 0, 0, time.UTC)
	signedIn := time.Date(2026, 5, 1, 11, 58, 30, 0, time.UTC)
	cases := []struct {
		name   string
		ballot voting.Ballot
		err    error
	}{
		{"accepted", voting.Ballot{Edition: "open", VoterID: 7, ProjectID: "p1", AccountSince: since, SignedInAt: signedIn}, nil},
		{"unknown edition", voting.Ballot{Edition: "nope", VoterID: 7, ProjectID: "p1"}, voting.ErrUnknownEdition},
		{"unknown project", voting.Ballot{Edition: "open", VoterID: 7, ProjectID: "zz"}, voting.ErrUnknownProject},
		{"not nominated", voting.Ballot{Edition: "open", VoterID: 7, ProjectID: "p2"}, voting.ErrNotNominated},
		{"closed", voting.Ballot{Edition: "closed", VoterID: 7, ProjectID: "q1"}, voting.ErrClosed},
		{"no project", voting.Ballot{Edition: "open", VoterID: 7}, kind.ErrInvalid},
		{"no voter", voting.Ballot{Edition: "open", ProjectID: "p1"}, kind.ErrUnauthenticated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := &recordingLog{}
			r, err := newService(log, voting.DefaultRules(), voting.CountAll{}).Cast(context.Background(), tc.ballot)
			if !errors.Is(err, tc.err) {
				t.Fatalf("Cast error = %v; want %v", err, tc.err)
			}
			if tc.err != nil {
				if len(log.votes) != 0 {
					t.Fatalf("a refused ballot reached the log: %+v", log.votes)
				}
				return
			}
			if r.VoteID != "vote-1" || r.Category != "C1" || len(log.votes) != 1 {
				t.Fatalf("receipt %+v, log %+v", r, log.votes)
			}
			v := log.votes[0]
			if v.Slot != "C1" || v.Status != voting.StatusCounted || v.Client.AccountAge != 24*time.Hour ||
				v.Client.SignedInFor != 90*time.Second {
				t.Fatalf("recorded vote %+v", v)
			}
		})
	}
}

func TestService_Cast_slotAndVerdict(t *testing.T) {
	log := &recordingLog{}
	rules := voting.Rules{OnePer: voting.OnePerProject}
	svc := newService(log, rules, fixedScorer{Status: voting.StatusRejected, Reasons: []string{"burst"}})
	if _, err := svc.Cast(context.Background(), voting.Ballot{Edition: "open", VoterID: 1, ProjectID: "p1"}); err != nil {
		t.Fatal(err)
	}
	v := log.votes[0]
	if v.Slot != "p1" || v.Status != voting.StatusRejected || !reflect.DeepEqual(v.Reasons, []string{"burst"}) {
		t.Fatalf("recorded vote %+v", v)
	}
}

func TestService_Cast_logError(t *testing.T) {
	svc := newService(&recordingLog{err: kind.ErrUnavailable}, voting.DefaultRules(), voting.CountAll{})
	_, err := svc.Cast(context.Background(), voting.Ballot{Edition: "open", VoterID: 1, ProjectID: "p1"})
	if !errors.Is(err, kind.ErrUnavailable) {
		t.Fatalf("error = %v; want kind.ErrUnavailable", err)
	}
}

func TestRules_FraudStatus(t *testing.T) {
	tests := []struct {
		name         string
		flag, reject float64
		score        float64
		want         voting.Status
	}{
		{"defaults, low", voting.DefaultFraudFlagAt, voting.DefaultFraudRejectAt, 0.59, voting.StatusCounted},
		{"defaults, at flag", voting.DefaultFraudFlagAt, voting.DefaultFraudRejectAt, 0.6, voting.StatusFlagged},
		{"defaults never reject", voting.DefaultFraudFlagAt, voting.DefaultFraudRejectAt, 1, voting.StatusFlagged},
		{"unset means defaults", 0, 0, 0.7, voting.StatusFlagged},
		{"unset means defaults, low", 0, 0, 0.3, voting.StatusCounted},
		{"reject at 0.9", 0.6, 0.9, 0.9, voting.StatusRejected},
		{"between", 0.6, 0.9, 0.89, voting.StatusFlagged},
		{"equal thresholds reject", 0.5, 0.5, 0.5, voting.StatusRejected},
		{"never flag", 1.5, 2, 1, voting.StatusCounted},
		{"zero score", 0.01, 0.02, 0, voting.StatusCounted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := voting.Rules{FraudFlagAt: tc.flag, FraudRejectAt: tc.reject}
			if got := r.FraudStatus(tc.score); got != tc.want {
				t.Fatalf("FraudStatus(%v) with flag %v, reject %v = %s; want %s", tc.score, tc.flag, tc.reject, got, tc.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	ledger := []voting.ProjectCount{{ProjectID: "a", Votes: 3}, {ProjectID: "b", Votes: 0}, {ProjectID: "c", Votes: 2}}
	live := map[string]int64{"a": 3, "c": 1, "x": 4}
	got := voting.Compare(live, ledger)
	want := []voting.Difference{{ProjectID: "c", Live: 1, Ledger: 2}, {ProjectID: "x", Live: 4}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Compare = %+v; want %+v", got, want)
	}
	if d := voting.Compare(map[string]int64{"a": 3, "c": 2}, ledger); len(d) != 0 {
		t.Fatalf("converged counts reported differences: %+v", d)
	}
}

func TestStatus_Counts(t *testing.T) {
	for s, want := range map[voting.Status]bool{
		voting.StatusCounted: true, voting.StatusFlagged: true,
		voting.StatusRejected: false, voting.StatusInvalidated: false,
	} {
		if s.Counts() != want {
			t.Errorf("%s.Counts() = %v", s, !want)
		}
	}
}

func TestService_Cast_votesPerCategory(t *testing.T) {
	log := &recordingLog{}
	rules := voting.DefaultRules()
	rules.VotesPerCategory = 3
	svc := newService(log, rules, voting.CountAll{})
	if _, err := svc.Cast(context.Background(), voting.Ballot{Edition: "open", VoterID: 1, ProjectID: "p1"}); err != nil {
		t.Fatal(err)
	}
	if v := log.votes[0]; v.Slot != "p1" || v.CategoryCap != 3 {
		t.Fatalf("recorded vote %+v; want the project as slot and a cap of 3", v)
	}
}

// slotLog refuses a second vote in a filled slot, as the Redis log does.
type slotLog struct{ filled map[string]bool }

func (l *slotLog) Append(_ context.Context, v *voting.Vote) error {
	k := v.Edition + "/" + v.Slot
	if l.filled[k] {
		return voting.ErrDuplicate
	}
	l.filled[k] = true
	return nil
}

// lateLedger holds one vote, which it shows only from the after-th
// question on, as a ledger does while the flusher is behind.
type lateLedger struct {
	vote  voting.Vote
	after int
	asked int
	err   error
}

func (l *lateLedger) RecordedVote(_ context.Context, edition string, voter int64, slot string) (voting.Vote, bool, error) {
	l.asked++
	if l.err != nil {
		return voting.Vote{}, false, l.err
	}
	v := l.vote
	if l.asked < l.after || v.Edition != edition || v.VoterID != voter || v.Slot != slot {
		return voting.Vote{}, false, nil
	}
	return v, true, nil
}

// TestService_Cast_retry: a vote sent again for the project that fills its
// slot gets the original receipt back, marked replayed, once the ledger has
// it; another project in a filled slot is a duplicate; a slot whose vote is
// not in the ledger by the settle wait is an unknown outcome; a ledger that
// cannot be reached says so.
func TestService_Cast_retry(t *testing.T) {
	original := voting.Vote{ID: "vote-0", Edition: "open", VoterID: 7, ProjectID: "p1", Category: "C1", Slot: "C1"}
	other := original
	other.ProjectID = "p1b"
	cases := []struct {
		name     string
		ledger   *lateLedger
		wait     time.Duration
		err      error
		replayed bool
	}{
		{"same project in the ledger", &lateLedger{vote: original}, 0, nil, true},
		{"same project reaches the ledger", &lateLedger{vote: original, after: 3}, time.Second, nil, true},
		{"another project", &lateLedger{vote: other}, time.Second, voting.ErrDuplicate, false},
		{"not in the ledger in time", &lateLedger{vote: original, after: 1000}, 120 * time.Millisecond, voting.ErrOutcomeUnknown, false},
		{"ledger unreachable", &lateLedger{err: kind.ErrUnavailable}, time.Second, kind.ErrUnavailable, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := &slotLog{filled: map[string]bool{"open/C1": true}}
			svc := newService(log, voting.DefaultRules(), voting.CountAll{})
			svc.Now = time.Now
			svc.Recorded, svc.SettleWait = tc.ledger, tc.wait
			r, err := svc.Cast(context.Background(), voting.Ballot{Edition: "open", VoterID: 7, ProjectID: "p1"})
			if !errors.Is(err, tc.err) {
				t.Fatalf("Cast error = %v; want %v", err, tc.err)
			}
			if tc.replayed && (r != voting.Receipt{VoteID: "vote-0", Category: "C1", Replayed: true}) {
				t.Fatalf("receipt %+v; want the original's, replayed", r)
			}
			if tc.ledger.after > 1 && tc.ledger.err == nil && tc.replayed && tc.ledger.asked != tc.ledger.after {
				t.Fatalf("ledger asked %d times; want %d", tc.ledger.asked, tc.ledger.after)
			}
		})
	}
	t.Run("first vote", func(t *testing.T) {
		ledger := &lateLedger{}
		svc := newService(&slotLog{filled: map[string]bool{}}, voting.DefaultRules(), voting.CountAll{})
		svc.Recorded = ledger
		r, err := svc.Cast(context.Background(), voting.Ballot{Edition: "open", VoterID: 7, ProjectID: "p1"})
		if err != nil || r.Replayed || r.VoteID != "vote-1" || ledger.asked != 0 {
			t.Fatalf("receipt %+v, error %v, ledger asked %d times; want a new vote and no question", r, err, ledger.asked)
		}
	})
}
