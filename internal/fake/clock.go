// Package fake holds the test doubles that several packages' tests share.
package fake

import (
	"sync"
	"sync/atomic"
	"time"
)

// Clock is a clock a test sets and moves by hand, safe for concurrent use.
// Its readings are in UTC.
type Clock struct {
	ns atomic.Int64
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock {
	c := &Clock{}
	c.Set(t)
	return c
}

// Now returns the clock's reading.
func (c *Clock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Set makes the clock read t.
func (c *Clock) Set(t time.Time) { c.ns.Store(t.UnixNano()) }

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// StepClock is a clock that moves a microsecond on every reading, so that
// every time a test records is distinct and ordered.
type StepClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewStepClock returns a StepClock whose first reading is a microsecond
// after start.
func NewStepClock(start time.Time) *StepClock { return &StepClock{t: start} }

// Now returns the next instant.
func (c *StepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Microsecond)
	return c.t
}
