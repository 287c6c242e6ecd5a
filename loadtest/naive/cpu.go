package naive

import (
	"net/url"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// cpu returns a sampler for the dedicated Redis and the PostgreSQL server of
// the run; the caller adds the processes it starts. The server is found by
// the port its postmaster was started with, so that its backends and those
// that ended count as "postgres"; one started without -p on its command
// line is not found, and its figures stay zero.
func (c *comparison) cpu() *stack.CPUSampler {
	s := &stack.CPUSampler{PIDs: map[string]int{}}
	if pid := c.redis.PID(); pid > 0 {
		s.PIDs["redis"] = pid
	}
	if u, err := url.Parse(c.db.URL); err == nil {
		s.PostgresPort = u.Port()
	}
	return s
}

// perItem returns the microseconds of CPU that name used per item between
// two samples, or zero when either sample lacks it.
func perItem(before, after map[string]float64, name string, items int64) float64 {
	b, okB := before[name]
	a, okA := after[name]
	if !okA || !okB || items <= 0 {
		return 0
	}
	return max(a-b, 0) * 1e6 / float64(items)
}
