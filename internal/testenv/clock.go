package testenv

import (
	"sync"
	"time"
)

// StepClock is a clock that moves a microsecond on every reading, so that
// times stored by a test are distinct and ordered.
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
