package batch_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/batch"
)

type req struct {
	batch.Request
	n        int
	answered int
}

// counts tracks what happened to every request: answered by a worker or
// released after its caller gave up, and never both or twice.
type counts struct {
	mu       sync.Mutex
	answered map[*req]int
	released map[*req]int
	batches  []int
}

func newCounts() *counts {
	return &counts{answered: map[*req]int{}, released: map[*req]int{}}
}

func (c *counts) worker(delay time.Duration) func() func([]*req) {
	return func() func([]*req) {
		return func(b []*req) {
			time.Sleep(delay)
			c.mu.Lock()
			c.batches = append(c.batches, len(b))
			for _, r := range b {
				c.answered[r]++
				r.answered = r.n * 2
			}
			c.mu.Unlock()
			for _, r := range b {
				if !r.Done() {
					c.release(r)
				}
			}
		}
	}
}

func (c *counts) release(r *req) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.released[r]++
}

// TestQueue_Do: every request is answered once, concurrent ones share
// batches, and none is bigger than the size.
func TestQueue_Do(t *testing.T) {
	c := newCounts()
	q := batch.New(batch.Config{Workers: 2, Size: 16}, c.worker(time.Millisecond), c.release)
	const n = 500
	reqs := make([]*req, n)
	var wg sync.WaitGroup
	for i := range reqs {
		reqs[i] = &req{n: i}
		wg.Go(func() {
			if err := q.Do(context.Background(), reqs[i]); err != nil {
				t.Errorf("do %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	q.Close()
	for i, r := range reqs {
		if c.answered[r] != 1 || r.answered != 2*i {
			t.Errorf("request %d answered %d times with %d", i, c.answered[r], r.answered)
		}
	}
	if len(c.released) != 0 {
		t.Errorf("%d requests released; want none", len(c.released))
	}
	shared := false
	for _, b := range c.batches {
		if b > 16 {
			t.Errorf("a batch of %d; want at most 16", b)
		}
		shared = shared || b > 1
	}
	if !shared {
		t.Error("every batch held one request; want concurrent requests to share")
	}
}

// TestQueue_Do_cancelled: a caller whose context ends gets its error, and
// its request is released exactly once: by Do or the worker that finds it
// when it was not sent (the context's error), by the worker once answered
// when it was (ErrNoAnswer); a caller that got its answer has it answered
// once and never released. After Close, Do refuses and releases.
func TestQueue_Do_cancelled(t *testing.T) {
	c := newCounts()
	q := batch.New(batch.Config{Workers: 1, Size: 4}, c.worker(2*time.Millisecond), c.release)
	const n = 400
	reqs := make([]*req, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	var cancelled atomic.Int32
	for i := range reqs {
		reqs[i] = &req{n: i}
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(i%7)*time.Millisecond)
		wg.Go(func() {
			defer cancel()
			errs[i] = q.Do(ctx, reqs[i])
			if errs[i] != nil {
				cancelled.Add(1)
			}
		})
	}
	wg.Wait()
	q.Close()
	for i, r := range reqs {
		a, rel := c.answered[r], c.released[r]
		switch {
		case errs[i] == nil && (a != 1 || rel != 0):
			t.Errorf("request %d succeeded but was answered %d and released %d times", i, a, rel)
		case errs[i] != nil && !errors.Is(errs[i], context.DeadlineExceeded):
			t.Errorf("request %d: %v", i, errs[i])
		case errors.Is(errs[i], batch.ErrNoAnswer) && (a != 1 || rel != 1):
			t.Errorf("request %d gave up once sent but was answered %d and released %d times", i, a, rel)
		case errs[i] != nil && !errors.Is(errs[i], batch.ErrNoAnswer) && (a != 0 || rel != 1):
			t.Errorf("request %d gave up unsent but was answered %d and released %d times", i, a, rel)
		}
	}
	if cancelled.Load() == 0 {
		t.Error("no caller gave up; the test did not exercise abandonment")
	}
	late := &req{}
	if err := q.Do(context.Background(), late); !errors.Is(err, batch.ErrClosed) || c.released[late] != 1 {
		t.Errorf("do after close: %v, released %d times; want ErrClosed and released once", err, c.released[late])
	}
}

// TestQueue_Do_timeout: with a timeout, no caller waits on a stalled worker
// for much longer than it. The request the worker holds is reported as sent
// without an answer, those still queued as never sent; each is released
// exactly once, after the worker wakes for the one it held.
func TestQueue_Do_timeout(t *testing.T) {
	c := newCounts()
	wake := make(chan struct{})
	stalled := func() func([]*req) {
		inner := c.worker(0)()
		return func(b []*req) {
			<-wake
			inner(b)
		}
	}
	q := batch.New(batch.Config{Workers: 1, Size: 1, Timeout: 20 * time.Millisecond}, stalled, c.release)
	const n = 8
	reqs := make([]*req, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range reqs {
		reqs[i] = &req{n: i}
		wg.Go(func() { errs[i] = q.Do(context.Background(), reqs[i]) })
	}
	wg.Wait()
	close(wake)
	q.Close()
	var noAnswer, unsent int
	for i, r := range reqs {
		c.mu.Lock()
		a, rel := c.answered[r], c.released[r]
		c.mu.Unlock()
		switch {
		case errors.Is(errs[i], batch.ErrNoAnswer) && errors.Is(errs[i], batch.ErrTimeout):
			noAnswer++
			if a != 1 || rel != 1 {
				t.Errorf("request %d sent: answered %d, released %d times; want once each", i, a, rel)
			}
		case errors.Is(errs[i], batch.ErrTimeout):
			unsent++
			if a != 0 || rel != 1 {
				t.Errorf("request %d unsent: answered %d, released %d times; want released once", i, a, rel)
			}
		default:
			t.Errorf("request %d: %v; want a timeout", i, errs[i])
		}
	}
	if noAnswer != 1 || unsent != n-1 {
		t.Errorf("%d sent without answer and %d unsent; want 1 and %d", noAnswer, unsent, n-1)
	}
}
