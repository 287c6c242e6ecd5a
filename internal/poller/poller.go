// Package poller runs a function at a fixed interval until its context
// ends: the one shape of the background work a prizes process does (key
// reloads, backlog gauges, schedules, pending adjustments).
package poller

import (
	"context"
	"time"
)

// Poller calls Fn every Every until the context given to Run ends.
type Poller struct {
	// Every is the interval between calls. It must be positive unless
	// Ticks is set.
	Every time.Duration
	// AtStart makes Run call Fn once as it starts, before the first tick.
	AtStart bool
	// Fn does one round of work. now is the tick's time, or the time Run
	// started for the call at start.
	Fn func(ctx context.Context, now time.Time) error
	// OnError, when set, is given every error Fn returns while the context
	// is live; errors returned once it has ended are dropped, since they
	// only say that the work was cut short.
	OnError func(error)
	// Ticks, when set, replaces the ticker of Every: Fn is called once for
	// each value received. Tests use it to drive the poller by hand.
	Ticks <-chan time.Time
	// Wake, when set, calls Fn at once for each value received, between
	// ticks: a change notification that should not wait for the next one.
	Wake <-chan struct{}
}

// Run calls Fn on every tick until ctx ends, and returns then. Calls never
// overlap.
func (p *Poller) Run(ctx context.Context) {
	ticks := p.Ticks
	if ticks == nil {
		t := time.NewTicker(p.Every)
		defer t.Stop()
		ticks = t.C
	}
	if p.AtStart {
		p.call(ctx, time.Now())
	}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-ticks:
			if ctx.Err() != nil {
				return
			}
			p.call(ctx, now)
		case <-p.Wake:
			if ctx.Err() != nil {
				return
			}
			p.call(ctx, time.Now())
		}
	}
}

func (p *Poller) call(ctx context.Context, now time.Time) {
	if err := p.Fn(ctx, now); err != nil && ctx.Err() == nil && p.OnError != nil {
		p.OnError(err)
	}
}
