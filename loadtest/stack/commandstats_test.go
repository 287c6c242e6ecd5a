package stack_test

import (
	"maps"
	"testing"

	"github.com/wsisvote/prizes/loadtest/stack"
)

func TestParseCommandStats(t *testing.T) {
	got, err := stack.ParseCommandStats(map[string]string{
		"cmdstat_evalsha":       "calls=24423,usec=597009,usec_per_call=24.44,rejected_calls=0,failed_calls=0",
		"cmdstat_xgroup|create": "calls=32,usec=32,usec_per_call=1.00,rejected_calls=0,failed_calls=0",
		"errorstat_NOSCRIPT":    "count=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]stack.CommandStat{"evalsha": {Calls: 24423, Usec: 597009}, "xgroup|create": {Calls: 32, Usec: 32}}
	if !maps.Equal(got, want) {
		t.Fatalf("got %v; want %v", got, want)
	}
	if _, err := stack.ParseCommandStats(map[string]string{"cmdstat_get": "calls=x,usec=1"}); err == nil {
		t.Fatal("a count that is not a number was taken")
	}
}
