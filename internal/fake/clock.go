// Package fake holds the test doubles that several packages' tests share.
package fake

import (
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
