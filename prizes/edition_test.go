package prizes_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
)

func TestSchedule_Check_years(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"year 1", time.Date(1, 5, 1, 0, 0, 0, 0, time.UTC), false},
		{"year 1999", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{"year 2000", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"year 2999", time.Date(2999, 12, 31, 0, 0, 0, 0, time.UTC), true},
		{"year 3000", time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), false},
		{"year 20260", time.Date(20260, 5, 1, 0, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := prizes.Schedule{voting.PhaseVoting: {End: &tt.at}}.Check()
			var f prizes.FieldErrors
			switch {
			case tt.ok && err != nil:
				t.Fatalf("Check = %v", err)
			case !tt.ok && (!errors.As(err, &f) || f["schedule.voting.end"] == ""):
				t.Fatalf("Check = %v; want a field error under schedule.voting.end", err)
			}
		})
	}
}

func TestSchedule_CheckChange(t *testing.T) {
	at := func(h int) *time.Time { v := t0.Add(time.Duration(h) * time.Hour); return &v }
	now := *at(0)
	old := prizes.Schedule{voting.PhaseVoting: {Start: at(-48), End: at(-1)}}
	tests := []struct {
		name     string
		phase    voting.Phase
		sched    prizes.Schedule
		closeNow bool
		fields   []string
	}{
		{"end in the future", voting.PhaseVoting, prizes.Schedule{voting.PhaseVoting: {End: at(1)}}, false, nil},
		{"end moved to the past", voting.PhaseVoting, prizes.Schedule{voting.PhaseVoting: {End: at(-2)}}, false, []string{"schedule.voting.end"}},
		{"end moved to now", voting.PhaseVoting, prizes.Schedule{voting.PhaseVoting: {End: at(0)}}, false, []string{"schedule.voting.end"}},
		{"end moved to the past, confirmed", voting.PhaseVoting, prizes.Schedule{voting.PhaseVoting: {End: at(-2)}}, true, nil},
		{"past end kept as it was", voting.PhaseVoting, prizes.Schedule{voting.PhaseVoting: {End: at(-1)}}, false, nil},
		{"next start moved to the past", voting.PhaseVoting, prizes.Schedule{voting.PhaseCounting: {Start: at(-1)}}, false, []string{"schedule.counting.start"}},
		{"another phase's past end", voting.PhaseCounting, prizes.Schedule{voting.PhaseVoting: {End: at(-2)}}, false, nil},
		{"a running phase's start in the past", voting.PhaseVoting, prizes.Schedule{voting.PhaseVoting: {Start: at(-3)}}, false, nil},
		{"confirmation does not excuse year 1", voting.PhaseVoting,
			prizes.Schedule{voting.PhaseVoting: {End: func() *time.Time { v := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC); return &v }()}},
			true, []string{"schedule.voting.end"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.sched.CheckChange(old, tt.phase, now, tt.closeNow)
			var f prizes.FieldErrors
			errors.As(err, &f)
			var got []string
			for k := range f {
				got = append(got, k)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.fields) || (err != nil) != (len(tt.fields) > 0) {
				t.Fatalf("CheckChange = %v; want field errors %v", err, tt.fields)
			}
		})
	}
}
