package voting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Entry is one vote read from the vote log, with the log's own id for it.
type Entry struct {
	LogID string
	Vote  Vote
}

// Stream is the consumer side of the vote log: sharded streams read through a
// consumer group, so several flushers share the work and an entry stays
// pending until it is acknowledged.
type Stream interface {
	// Shards returns the number of shard streams.
	Shards() int
	// Read returns up to max new entries of one shard for this consumer,
	// waiting at most wait for the first. It returns ErrUnavailable when the
	// store cannot be reached.
	Read(ctx context.Context, shard, max int, wait time.Duration) ([]Entry, error)
	// Claim takes over up to max entries of one shard that another consumer
	// read but did not acknowledge within minIdle (it died, most likely).
	Claim(ctx context.Context, shard, max int, minIdle time.Duration) ([]Entry, error)
	// Ack acknowledges entries that are safely in the ledger and removes them
	// from the log.
	Ack(ctx context.Context, shard int, logIDs []string) error
}

// Ledger is the system of record.
type Ledger interface {
	// Insert writes votes idempotently: a vote whose id (or whose voter and
	// slot) is already in the ledger is skipped. It returns how many rows were
	// new, and commits before returning.
	Insert(ctx context.Context, votes []Vote) (int, error)
}

// FlushObserver is told what the flusher does, for metrics.
type FlushObserver interface {
	// Flushed reports one committed batch: its size, how many rows were new,
	// and each vote's lag from acceptance to commit.
	Flushed(shard, size, inserted int, lags []time.Duration)
	// FlushError reports a failed step ("read", "claim", "insert", "ack").
	FlushError(step string, err error)
}

// Flusher moves votes from the log into the ledger: read a batch, insert it
// (idempotently), commit, then acknowledge. A crash between commit and
// acknowledge leaves the entries pending; they are claimed and inserted again,
// and the ledger skips them, so every vote lands exactly once.
type Flusher struct {
	Stream   Stream
	Ledger   Ledger
	Observer FlushObserver
	Now      func() time.Time
	// BatchSize is the most votes per ledger transaction.
	BatchSize int
	// BatchWait is how long a partial batch may wait for more votes.
	BatchWait time.Duration
	// ClaimIdle is how long an entry may stay pending with a consumer before
	// another takes it over.
	ClaimIdle time.Duration
	// AfterCommit, when set, runs after a batch is committed and before it is
	// acknowledged; returning an error stops the flusher there, which is how a
	// crash at that point is rehearsed.
	AfterCommit func(shard int) error
}

// Run flushes every shard until ctx is done. It returns nil on cancellation
// and an error only when AfterCommit stops it.
func (f *Flusher) Run(ctx context.Context) error {
	f.defaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for shard := 0; shard < f.Stream.Shards(); shard++ {
		wg.Add(1)
		go func(shard int) {
			defer wg.Done()
			if err := f.runShard(ctx, shard); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}(shard)
	}
	wg.Wait()
	return first
}

// errStopped marks an AfterCommit stop, which Run returns.
var errStopped = errors.New("flusher stopped after commit")

func (f *Flusher) defaults() {
	if f.BatchSize <= 0 {
		f.BatchSize = 2000
	}
	if f.BatchWait <= 0 {
		f.BatchWait = 50 * time.Millisecond
	}
	if f.ClaimIdle <= 0 {
		f.ClaimIdle = 30 * time.Second
	}
	if f.Now == nil {
		f.Now = time.Now
	}
}

func (f *Flusher) runShard(ctx context.Context, shard int) error {
	nextClaim := time.Time{}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		var batch []Entry
		if now := f.Now(); !now.Before(nextClaim) {
			nextClaim = now.Add(f.ClaimIdle / 2)
			claimed, err := f.Stream.Claim(ctx, shard, f.BatchSize, f.ClaimIdle)
			if err != nil {
				f.fail(ctx, "claim", err, &backoff)
				continue
			}
			batch = claimed
		}
		deadline := time.Now().Add(f.BatchWait)
		for len(batch) < f.BatchSize {
			wait := time.Until(deadline)
			if len(batch) == 0 {
				wait = f.BatchWait
			} else if wait <= 0 {
				break
			}
			got, err := f.Stream.Read(ctx, shard, f.BatchSize-len(batch), wait)
			if err != nil {
				if ctx.Err() == nil {
					f.fail(ctx, "read", err, &backoff)
				}
				break
			}
			if len(got) == 0 {
				// Nothing new: go back to the outer loop, which also claims a
				// dead consumer's entries when their time comes.
				break
			}
			batch = append(batch, got...)
		}
		if len(batch) == 0 {
			continue
		}
		if err := f.flush(ctx, shard, batch); err != nil {
			if errors.Is(err, errStopped) {
				return err
			}
			f.fail(ctx, "flush", err, &backoff)
			continue
		}
		backoff = 100 * time.Millisecond
	}
	return nil
}

// flush writes one batch and acknowledges it. On a failed insert nothing is
// acknowledged; the entries stay pending and are claimed again later.
func (f *Flusher) flush(ctx context.Context, shard int, batch []Entry) error {
	votes := make([]Vote, len(batch))
	ids := make([]string, len(batch))
	for i, e := range batch {
		votes[i], ids[i] = e.Vote, e.LogID
	}
	// A flush that has started runs to its end even when ctx is cancelled, so
	// a clean shutdown does not leave committed batches unacknowledged.
	wctx := context.WithoutCancel(ctx)
	inserted, err := f.Ledger.Insert(wctx, votes)
	if err != nil {
		return fmt.Errorf("flush shard %d: insert: %w", shard, err)
	}
	now := f.Now()
	if f.AfterCommit != nil {
		if err := f.AfterCommit(shard); err != nil {
			return fmt.Errorf("flush shard %d: %w: %w", shard, errStopped, err)
		}
	}
	if err := f.Stream.Ack(wctx, shard, ids); err != nil {
		return fmt.Errorf("flush shard %d: ack: %w", shard, err)
	}
	if f.Observer != nil {
		lags := make([]time.Duration, len(votes))
		for i, v := range votes {
			lags[i] = now.Sub(v.CastAt)
		}
		f.Observer.Flushed(shard, len(batch), inserted, lags)
	}
	return nil
}

func (f *Flusher) fail(ctx context.Context, step string, err error, backoff *time.Duration) {
	if f.Observer != nil {
		f.Observer.FlushError(step, err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(*backoff):
	}
	if *backoff < 5*time.Second {
		*backoff *= 2
	}
}
