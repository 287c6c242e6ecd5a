package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a run.
type Options struct {
	// Addr is the host:port requests are sent to.
	Addr string
	// Addrs, when set, spreads the connections over several servers, as a
	// load balancer in front of several API nodes would: connection i goes
	// to Addrs[i%len(Addrs)], and Addr is not used.
	Addrs []string
	// Workers is the number of connections, each with one request in flight
	// at a time (default 64). In an open loop it bounds how many requests can
	// be outstanding; a schedule that needs more is served late, and the
	// lateness counts in the latency.
	Workers int
	// Rate, when positive, makes the run an open loop: request i is
	// scheduled at start + i/Rate whatever happened to earlier ones. Zero
	// makes it a closed loop: each worker sends its next request as soon as
	// the previous one is answered.
	Rate float64
	// Duration ends the run: no request starts (or, in an open loop, is
	// scheduled) after it. Zero means no limit.
	Duration time.Duration
	// Requests, when positive, is the most requests the run sends.
	Requests int64
	// Timeout bounds each request (default 10 s).
	Timeout time.Duration
	// KeepReceipts keeps the vote_id of every 2xx answer in the result.
	KeepReceipts bool
	// Dial opens connections; a TCP dialer when nil.
	Dial DialFunc
	// Live, when set, is updated after every request.
	Live *Live
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Run sends the requests of w to o.Addr until o.Duration passes, o.Requests
// were sent, w is exhausted or ctx ends, whichever comes first, and returns
// what it observed. Connections are opened before the clock starts. An error
// is returned only when the run could not start; failed requests are counted
// in the result instead.
func Run(ctx context.Context, o Options, w Workload) (*Result, error) {
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.Duration <= 0 && o.Requests <= 0 {
		return nil, errors.New("run: a duration or a number of requests is required")
	}
	if o.Rate < 0 {
		return nil, fmt.Errorf("run: rate %v must not be negative", o.Rate)
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	live := o.Live
	if live == nil {
		live = &Live{}
	}
	conns := make([]*Conn, o.Workers)
	for i := range conns {
		addr := o.Addr
		if len(o.Addrs) > 0 {
			addr = o.Addrs[i%len(o.Addrs)]
		}
		conns[i] = NewConn(addr, o.Dial, o.Timeout)
		if err := conns[i].Connect(ctx); err != nil {
			for _, c := range conns[:i] {
				c.Close()
			}
			return nil, fmt.Errorf("run: %w", err)
		}
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	r := &runner{o: o, w: w, now: now, live: live}
	r.start = now()
	if o.Duration > 0 {
		r.end = r.start.Add(o.Duration)
	}
	if o.Rate > 0 {
		r.interval = float64(time.Second) / o.Rate
	}
	stats := make([]*Stats, o.Workers)
	var wg sync.WaitGroup
	for i := range conns {
		stats[i] = NewStats()
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx, conns[i], stats[i])
		}()
	}
	wg.Wait()
	res := &Result{Stats: *NewStats(), Elapsed: now().Sub(r.start), Exhausted: r.exhausted.Load()}
	for _, s := range stats {
		res.Merge(s)
	}
	return res, nil
}

// runner is the state the workers of one run share.
type runner struct {
	o     Options
	w     Workload
	now   func() time.Time
	live  *Live
	start time.Time
	end   time.Time
	// interval is the open-loop spacing of requests, in nanoseconds.
	interval float64
	// seq numbers the requests: each worker claims the next one.
	seq       atomic.Int64
	exhausted atomic.Bool
}

// lateAfter is how far behind its schedule an open-loop request may be sent
// before it counts as late.
const lateAfter = time.Millisecond

func (r *runner) work(ctx context.Context, c *Conn, s *Stats) {
	buf := make([]byte, 0, 1024)
	for ctx.Err() == nil {
		i := r.seq.Add(1) - 1
		if r.o.Requests > 0 && i >= r.o.Requests {
			return
		}
		var due time.Time
		if r.interval > 0 {
			due = r.start.Add(time.Duration(float64(i) * r.interval))
			if !r.end.IsZero() && !due.Before(r.end) {
				return
			}
			if wait := due.Sub(r.now()); wait > 0 {
				if !sleep(ctx, wait) {
					return
				}
			}
		} else if !r.end.IsZero() && !r.now().Before(r.end) {
			return
		}
		req, label, ok := r.w.Next(buf[:0])
		if !ok {
			r.exhausted.Store(true)
			return
		}
		buf = req
		sent := r.now()
		resp, err := c.Do(ctx, req)
		done := r.now()
		if r.interval > 0 {
			s.Latency.Record(done.Sub(due))
			s.Service.Record(done.Sub(sent))
			if sent.Sub(due) > lateAfter {
				s.Late++
			}
		} else {
			s.Latency.Record(done.Sub(sent))
		}
		r.live.Done.Add(1)
		if err != nil {
			s.TransportErrors++
			s.LastError = err.Error()
			r.live.Failed.Add(1)
			continue
		}
		if resp.Status/100 != 2 {
			r.live.Failed.Add(1)
		}
		s.record(resp, label, r.o.KeepReceipts)
	}
}

// sleep waits for d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
