package redis_test

import (
	"context"
	"errors"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/redis"
)

// redisNow reads the clock of Redis (of one of its masters, in a cluster,
// whose clocks are this machine's).
func redisNow(tb testing.TB, c goredis.UniversalClient) time.Time {
	tb.Helper()
	now, err := c.Time(context.Background()).Result()
	if err != nil {
		tb.Fatalf("redis time: %v", err)
	}
	return now
}

func TestStore_Append_window(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		s := newStore(t, c, redis.Options{VoteLimit: redis.Limit{Interval: time.Millisecond, Burst: 10}})
		g := newVotes(t)
		ctx := context.Background()
		now := redisNow(t, c)
		hour := time.Hour
		tests := []struct {
			name   string
			window voting.Window
			want   error
		}{
			{"closed an hour ago", voting.Window{Closes: now.Add(-hour)}, voting.ErrClosed},
			{"opens in an hour", voting.Window{Opens: now.Add(hour)}, voting.ErrClosed},
			{"ended, with a start", voting.Window{Opens: now.Add(-2 * hour), Closes: now.Add(-hour)}, voting.ErrClosed},
			{"inside", voting.Window{Opens: now.Add(-hour), Closes: now.Add(hour)}, nil},
			{"open at both ends", voting.Window{}, nil},
		}
		for i, tt := range tests {
			voter := int64(100 + i)
			v := g.vote(voter, "C1", "p1")
			v.Window = tt.window
			before := v.CastAt
			err := s.Append(ctx, v)
			if !errors.Is(err, tt.want) && !(tt.want == nil && err == nil) {
				t.Errorf("%s: append: %v, want %v", tt.name, err, tt.want)
				continue
			}
			if tt.want != nil {
				// A refused vote claimed nothing: the same voter votes again
				// once the window is open.
				v2 := g.vote(voter, "C1", "p1")
				if err := s.Append(ctx, v2); err != nil {
					t.Errorf("%s: the refused voter's vote with the window open: %v", tt.name, err)
				}
				continue
			}
			if v.CastAt.Equal(before) || v.CastAt.Sub(now).Abs() > time.Minute {
				t.Errorf("%s: CastAt %v; want Redis's clock, near %v", tt.name, v.CastAt, now)
			}
		}
		// Each voter's one counted vote is in the tally and the log, stamped
		// with the time Append reported.
		if got := tallyTotal(t, s, g.edition); got != int64(len(tests)) {
			t.Errorf("tally %d, want %d", got, len(tests))
		}
		var read int
		for _, es := range readAll(t, s) {
			for _, e := range es {
				read++
				if e.Vote.CastAt.Location() != time.UTC || e.Vote.CastAt.Sub(now).Abs() > time.Minute {
					t.Errorf("vote %s read back with CastAt %v; want Redis's clock in UTC", e.Vote.ID, e.Vote.CastAt)
				}
			}
		}
		if read != len(tests) {
			t.Errorf("log holds %d votes, want %d", read, len(tests))
		}
	})
}

// TestStore_Append_windowEdge casts votes of many voters across a window's
// end: every vote the store accepts is stamped before the end, every vote it
// refuses came at or after it, and Redis's clock is the only judge.
func TestStore_Append_windowEdge(t *testing.T) {
	t.Parallel()
	eachRedis(t, func(t *testing.T, c goredis.UniversalClient) {
		s := newStore(t, c, redis.Options{})
		g := newVotes(t)
		ctx := context.Background()
		end := redisNow(t, c).Add(150 * time.Millisecond)
		window := voting.Window{Closes: end}
		var accepted, refused int
		stamped := map[string]time.Time{}
		for voter := int64(1); ; voter++ {
			v := g.vote(voter, "C1", "p1")
			v.Window = window
			err := s.Append(ctx, v)
			switch {
			case err == nil:
				accepted++
				stamped[v.ID] = v.CastAt
				if !v.CastAt.Before(end) {
					t.Fatalf("vote %s accepted at %v, at or after the end %v", v.ID, v.CastAt, end)
				}
			case errors.Is(err, voting.ErrClosed):
				refused++
			default:
				t.Fatalf("append: %v", err)
			}
			if refused >= 20 {
				break
			}
		}
		if accepted == 0 {
			t.Fatal("no vote accepted before the end")
		}
		for _, es := range readAll(t, s) {
			for _, e := range es {
				if at, ok := stamped[e.Vote.ID]; !ok || !e.Vote.CastAt.Equal(at) {
					t.Errorf("vote %s read back at %v; Append stamped it %v (accepted: %t)", e.Vote.ID, e.Vote.CastAt, at, ok)
				}
			}
		}
		if got := tallyTotal(t, s, g.edition); got != int64(accepted) {
			t.Errorf("tally %d, want the %d accepted votes", got, accepted)
		}
	})
}
