package stack_test

import (
	"testing"

	"github.com/wsisvote/prizes/loadtest/stack"
)

func TestSumMetric(t *testing.T) {
	text := []byte(`# HELP prizes_votes_total Votes by result.
# TYPE prizes_votes_total counter
prizes_votes_total{result="accepted"} 1200
prizes_votes_total{result="duplicate",note="a } in a label"} 30
prizes_votes_total_other 5
prizes_flush_inserted_total 1.5e+06
prizes_flush_lag_seconds_bucket{le="0.1"} 7
prizes_flush_lag_seconds_sum 3.5
prizes_flush_lag_seconds_count 9
`)
	tests := []struct {
		name  string
		want  float64
		found bool
	}{
		{"prizes_votes_total", 1230, true},
		{"prizes_flush_inserted_total", 1.5e6, true},
		{"prizes_flush_lag_seconds", 0, false},
		{"prizes_flush_lag_seconds_count", 9, true},
		{"prizes_missing", 0, false},
	}
	for _, tt := range tests {
		got, found := stack.SumMetric(text, tt.name)
		if got != tt.want || found != tt.found {
			t.Errorf("SumMetric(%s) = %v, %v; want %v, %v", tt.name, got, found, tt.want, tt.found)
		}
	}
}
