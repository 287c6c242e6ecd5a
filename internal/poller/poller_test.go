package poller_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/poller"
)

// run starts p in the background and returns the function that stops it
// and waits for Run to return.
func run(t testing.TB, p *poller.Poller) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	return func() {
		cancel()
		<-done
	}
}

func TestPoller_Run(t *testing.T) {
	ticks := make(chan time.Time)
	calls := make(chan time.Time)
	p := &poller.Poller{
		Ticks: ticks,
		Fn: func(_ context.Context, now time.Time) error {
			calls <- now
			return nil
		},
	}
	stop := run(t, p)
	defer stop()
	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		tick := base.Add(time.Duration(i) * time.Minute)
		ticks <- tick
		if got := <-calls; !got.Equal(tick) {
			t.Fatalf("call %d got time %v, want the tick's %v", i, got, tick)
		}
	}
}

func TestPoller_Run_atStart(t *testing.T) {
	ticks := make(chan time.Time)
	calls := make(chan time.Time, 1)
	p := &poller.Poller{
		Ticks: ticks, AtStart: true,
		Fn: func(_ context.Context, now time.Time) error {
			calls <- now
			return nil
		},
	}
	before := time.Now()
	stop := run(t, p)
	defer stop()
	if got := <-calls; got.Before(before) {
		t.Fatalf("the call at start got %v, before Run started at %v", got, before)
	}
	select {
	case got := <-calls:
		t.Fatalf("a second call (%v) without a tick", got)
	default:
	}
}

func TestPoller_Run_errors(t *testing.T) {
	ticks := make(chan time.Time)
	errs := make(chan error, 10)
	ctx, cancel := context.WithCancel(context.Background())
	var n int
	p := &poller.Poller{
		Ticks: ticks,
		Fn: func(context.Context, time.Time) error {
			n++
			if n == 3 {
				// The context ends while this call runs: its error is
				// dropped.
				cancel()
			}
			if n == 2 {
				return nil
			}
			return fmt.Errorf("call %d", n)
		},
		OnError: func(err error) { errs <- err },
	}
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	for range 3 {
		ticks <- time.Now()
	}
	<-done
	close(errs)
	var got []string
	for err := range errs {
		got = append(got, err.Error())
	}
	if want := []string{"call 1"}; !slices.Equal(got, want) {
		t.Fatalf("reported errors %q, want %q", got, want)
	}
}

func TestPoller_Run_noOnError(t *testing.T) {
	ticks := make(chan time.Time)
	called := make(chan struct{})
	p := &poller.Poller{
		Ticks: ticks,
		Fn: func(context.Context, time.Time) error {
			called <- struct{}{}
			return errors.New("refused")
		},
	}
	stop := run(t, p)
	defer stop()
	ticks <- time.Now()
	<-called
	ticks <- time.Now()
	<-called
}

func TestPoller_Run_every(t *testing.T) {
	calls := make(chan struct{}, 100)
	p := &poller.Poller{
		Every: time.Millisecond,
		Fn: func(context.Context, time.Time) error {
			calls <- struct{}{}
			return nil
		},
	}
	stop := run(t, p)
	// Three calls come from the ticker alone, and Run returns once its
	// context ends.
	for range 3 {
		<-calls
	}
	stop()
}

func TestPoller_Run_wake(t *testing.T) {
	ticks := make(chan time.Time)
	wake := make(chan struct{})
	calls := make(chan time.Time)
	p := &poller.Poller{
		Ticks: ticks, Wake: wake,
		Fn: func(_ context.Context, now time.Time) error {
			calls <- now
			return nil
		},
	}
	stop := run(t, p)
	defer stop()
	before := time.Now()
	for i := range 2 {
		wake <- struct{}{}
		if got := <-calls; got.Before(before) {
			t.Fatalf("wake %d: call at %v, before the wake", i, got)
		}
	}
	tick := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	ticks <- tick
	if got := <-calls; !got.Equal(tick) {
		t.Fatalf("the tick after wakes got %v, want %v", got, tick)
	}
}
