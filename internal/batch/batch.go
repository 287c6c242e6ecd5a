// Package batch lets many goroutines share round trips to a server: each
// caller queues its request and waits, and a few workers take whatever is
// queued at that moment as one batch. A lone request goes out at once, and
// the requests that arrive during a round trip share the next one. A
// caller's wait can be bounded (Config.Timeout), and Do tells a request that
// was never sent (ErrTimeout, ErrClosed) from one sent and left unanswered
// (ErrNoAnswer), whose outcome only the server knows. The vote store and the
// identity meter send their Redis pipelines through it.
package batch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ErrClosed is what Do returns once the queue is closed.
var ErrClosed = errors.New("batch queue closed")

// ErrTimeout is what Do returns when the queue's timeout passed before a
// worker took the request: it was never sent.
var ErrTimeout = errors.New("batch queue: no worker took the request in time")

// ErrNoAnswer is what Do wraps when its caller stopped waiting (its context
// ended or the queue's timeout passed) after a worker had sent the request:
// the server may or may not have acted on it.
var ErrNoAnswer = errors.New("batch queue: request sent, no answer in time")

// Request is embedded in the type a queue carries. It records whether a
// worker took the request or its caller gave up first, and signals the
// answer.
type Request struct {
	state atomic.Int32
	done  chan struct{}
	// timer bounds the caller's wait when the queue has a timeout; it is
	// kept with the request, which callers pool, so a wait allocates none.
	timer *time.Timer
}

// The states of a request: queued until a worker takes it (sent), or
// abandoned by a caller who gave up first; once sent, answered when the
// worker calls Done, or orphaned by a caller who stopped waiting first.
const (
	queued int32 = iota
	sent
	abandoned
	answered
	orphaned
)

// Item is a pointer to a type that embeds Request.
type Item interface{ request() *Request }

func (r *Request) request() *Request { return r }

// Done tells the request's caller that its answer is ready. A worker calls
// it once for every request it was given, after writing the answer into the
// request. It returns false when the caller had already stopped waiting:
// nobody will read the answer, and the worker must release the request
// itself.
func (r *Request) Done() bool {
	if r.state.CompareAndSwap(sent, answered) {
		r.done <- struct{}{}
		return true
	}
	return false
}

// Config sizes a queue.
type Config struct {
	// Workers is the number of goroutines sending batches (at least 1).
	Workers int
	// Size is the most requests in one batch (at least 1).
	Size int
	// Timeout, when set, bounds how long Do waits, queued and sent: a
	// caller is never held longer, whatever the server does.
	Timeout time.Duration
}

// Queue carries requests of type T from callers to workers.
type Queue[T Item] struct {
	items   chan T
	size    int
	timeout time.Duration
	release func(T)
	// mu guards closed and the sends on items, so that Close can close
	// items once no Do is sending on it.
	mu     sync.RWMutex
	closed bool
	once   sync.Once
	wg     sync.WaitGroup
}

// New starts c.Workers workers that each take up to c.Size queued requests
// at a time. newWorker is called once per worker and returns its send
// function, which may keep buffers of its own between batches; send must
// call Done on every request it is given, and release those for which Done
// returns false. release takes back a request whose caller gave up before a
// worker took it (to a pool, say).
func New[T Item](c Config, newWorker func() (send func(batch []T)), release func(T)) *Queue[T] {
	workers, size := max(c.Workers, 1), max(c.Size, 1)
	q := &Queue[T]{items: make(chan T, workers*size), size: size, timeout: max(c.Timeout, 0), release: release}
	q.wg.Add(workers)
	for range workers {
		go q.work(newWorker())
	}
	return q
}

// Do queues r and waits for its answer: it returns nil once a worker
// answered r. Otherwise the caller must not use r again, and Do returns
// ErrClosed after Close; ctx's error or ErrTimeout when ctx ended or the
// queue's timeout passed before a worker took r (r was never sent); and an
// error wrapping ErrNoAnswer and the cause when they did so after r was
// sent, when only the server knows whether it acted on r.
func (q *Queue[T]) Do(ctx context.Context, r T) error {
	req := r.request()
	if req.done == nil {
		req.done = make(chan struct{}, 1)
	}
	var expired <-chan time.Time
	if q.timeout > 0 {
		if req.timer == nil {
			req.timer = time.NewTimer(q.timeout)
		} else {
			req.timer.Reset(q.timeout)
		}
		expired = req.timer.C
	}
	req.state.Store(queued)
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		q.release(r)
		return ErrClosed
	}
	select {
	case q.items <- r:
		q.mu.RUnlock()
	case <-ctx.Done():
		q.mu.RUnlock()
		req.stopTimer()
		q.release(r)
		return ctx.Err()
	case <-expired:
		q.mu.RUnlock()
		q.release(r)
		return ErrTimeout
	}
	select {
	case <-req.done:
		req.stopTimer()
		return nil
	case <-ctx.Done():
		return giveUp(req, ctx.Err())
	case <-expired:
		return giveUp(req, ErrTimeout)
	}
}

func (r *Request) stopTimer() {
	if r.timer != nil {
		r.timer.Stop()
	}
}

// giveUp ends the wait of a caller whose request is in a worker's hands or
// about to be: it returns cause when no worker had taken it (the worker that
// finds it releases it), an ErrNoAnswer error when it was sent (the worker
// releases it once answered), and nil when the answer came meanwhile. The
// timer is stopped first: once the state says so, the request may be
// released and reused by another caller at any moment.
func giveUp(req *Request, cause error) error {
	req.stopTimer()
	if req.state.CompareAndSwap(queued, abandoned) {
		return cause
	}
	if req.state.CompareAndSwap(sent, orphaned) {
		return fmt.Errorf("%w: %w", ErrNoAnswer, cause)
	}
	<-req.done
	return nil
}

// Close stops the workers once every queued request has been answered.
// Do after Close returns ErrClosed.
func (q *Queue[T]) Close() {
	q.once.Do(func() {
		q.mu.Lock()
		q.closed = true
		close(q.items)
		q.mu.Unlock()
		q.wg.Wait()
	})
}

// work hands batches to send until the queue is closed and drained. A batch
// is whatever is queued when the worker comes for it, less the requests
// their callers gave up on, which are released.
func (q *Queue[T]) work(send func([]T)) {
	defer q.wg.Done()
	batch := make([]T, 0, q.size)
	for r := range q.items {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-q.items:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		live := batch[:0]
		for _, r := range batch {
			if r.request().state.CompareAndSwap(queued, sent) {
				live = append(live, r)
			} else {
				q.release(r)
			}
		}
		if len(live) > 0 {
			send(live)
		}
		clear(batch)
	}
}
