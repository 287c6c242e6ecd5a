package kind_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
)

func TestOf(t *testing.T) {
	dup := kind.New(kind.Conflict, "duplicate_vote", "duplicate")
	tests := []struct {
		name string
		err  error
		want kind.Kind
		code string
	}{
		{"a domain error", dup, kind.Conflict, "duplicate_vote"},
		{"wrapped", fmt.Errorf("cast vote: %w", dup), kind.Conflict, "duplicate_vote"},
		{"the outermost of two", fmt.Errorf("op: %w: %w", kind.ErrUnavailable, dup), kind.Unavailable, "unavailable"},
		{"a rate limit", fmt.Errorf("meter: %w", &kind.RateLimitError{Limit: "vote", RetryAfter: time.Second}), kind.RateLimited, "rate_limited"},
		{"anything else", errors.New("disk on fire"), kind.Internal, ""},
		{"nil", nil, kind.Internal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := kind.Of(tt.err); got != tt.want {
				t.Errorf("Of = %v, want %v", got, tt.want)
			}
			e, ok := kind.Find(tt.err)
			if ok != (tt.code != "") || (ok && e.Code != tt.code) {
				t.Errorf("Find = %v, %v; want code %q", e, ok, tt.code)
			}
		})
	}
}

func TestRateLimitError_RetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]string{0: "1", time.Millisecond: "1", time.Second: "1", 1001 * time.Millisecond: "2", time.Minute: "60"} {
		e := &kind.RateLimitError{RetryAfter: d}
		if got := e.RetryAfterSeconds(); got != want {
			t.Errorf("RetryAfter %v: %q, want %q", d, got, want)
		}
		if !errors.Is(e, kind.ErrRateLimited) {
			t.Errorf("RetryAfter %v: does not match ErrRateLimited", d)
		}
	}
}
