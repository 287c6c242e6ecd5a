// Package batch lets many goroutines share round trips to a server: each
// caller queues its request and waits, and a few workers take whatever is
// queued at that moment as one batch. A lone request goes out at once, and
// the requests that arrive during a round trip share the next one. The vote
// store and the identity meter send their Redis pipelines through it.
package batch

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrClosed is what Do returns once the queue is closed.
var ErrClosed = errors.New("batch queue closed")

// Request is embedded in the type a queue carries. It records whether a
// worker took the request or its caller gave up first, and signals the
// answer.
type Request struct {
	state atomic.Int32
	done  chan struct{}
}

// The states of a request: queued until a worker takes it, or abandoned by
// a caller whose context ended first.
const (
	queued int32 = iota
	sent
	abandoned
)

// Item is a pointer to a type that embeds Request.
type Item interface{ request() *Request }

func (r *Request) request() *Request { return r }

// Done tells the request's caller that its answer is ready. A worker calls
// it once for every request it was given, after writing the answer into the
// request.
func (r *Request) Done() { r.done <- struct{}{} }

// Queue carries requests of type T from callers to workers.
type Queue[T Item] struct {
	items   chan T
	size    int
	release func(T)
	// mu guards closed and the sends on items, so that Close can close
	// items once no Do is sending on it.
	mu     sync.RWMutex
	closed bool
	once   sync.Once
	wg     sync.WaitGroup
}

// New starts workers that each take up to size queued requests at a time.
// newWorker is called once per worker and returns its send function, which
// may keep buffers of its own between batches; send must call Done on every
// request it is given. release takes back a request whose caller gave up
// before a worker took it (to a pool, say).
func New[T Item](workers, size int, newWorker func() (send func(batch []T)), release func(T)) *Queue[T] {
	workers, size = max(workers, 1), max(size, 1)
	q := &Queue[T]{items: make(chan T, workers*size), size: size, release: release}
	q.wg.Add(workers)
	for range workers {
		go q.work(newWorker())
	}
	return q
}

// Do queues r and waits for its answer: it returns nil once a worker
// answered r. It returns ErrClosed after Close, and ctx's error when ctx
// ended before a worker took r; r is then released, by Do or by the worker
// that finds it, and the caller must not use it again. Once a worker has
// taken r, Do waits for the answer whatever ctx does, so that the caller
// learns the outcome of a request that was sent.
func (q *Queue[T]) Do(ctx context.Context, r T) error {
	req := r.request()
	if req.done == nil {
		req.done = make(chan struct{}, 1)
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
		q.release(r)
		return ctx.Err()
	}
	select {
	case <-req.done:
		return nil
	case <-ctx.Done():
		if req.state.CompareAndSwap(queued, abandoned) {
			// The worker that takes it releases it.
			return ctx.Err()
		}
		<-req.done
		return nil
	}
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
