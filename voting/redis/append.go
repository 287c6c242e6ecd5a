package redis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/voting"
)

// appendScript is the one atomic step of an append. The voter's rate limit
// (GCRA on Redis's clock, when the store has one) comes first, so a flood of
// attempts, duplicates included, is refused before it costs anything else.
// Claiming the ballot slot comes next and a duplicate writes nothing more, so
// the log and the tally never hold a vote the bitmap refused. The shebang
// makes Redis refuse the script before it starts when memory is full, rather
// than after the bit is set.
//
// With a category cap (several votes per category, each project its own
// slot), the voter's count in the category is taken with the slot claim and
// both are undone when the cap is reached.
//
// KEYS: the dedup bitmap, the log stream, the tally hash, the voter's rate key,
// the category's count hash.
// ARGV: the bit offset, the encoded vote, "1" when the vote counts, the
// project id, the limit's interval in ms (0: no limit), its burst, the
// category cap (0: none), the voter id.
//
// It returns 1 for recorded, 0 for a duplicate, 2 when the category cap is
// reached, and -1-W when the rate limit refuses the vote for W more
// milliseconds.
const appendScript = `#!lua
local interval = tonumber(ARGV[5])
if interval > 0 then
	local t = redis.call('TIME')
	local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
	local tat = tonumber(redis.call('GET', KEYS[4])) or now
	if tat < now then
		tat = now
	end
	local wait = tat - now - interval * (tonumber(ARGV[6]) - 1)
	if wait > 0 then
		return -1 - wait
	end
	redis.call('SET', KEYS[4], tat + interval, 'PX', tat + interval - now)
end
if redis.call('SETBIT', KEYS[1], ARGV[1], 1) == 1 then
	return 0
end
local cap = tonumber(ARGV[7])
if cap > 0 and redis.call('HINCRBY', KEYS[5], ARGV[8], 1) > cap then
	redis.call('HINCRBY', KEYS[5], ARGV[8], -1)
	redis.call('SETBIT', KEYS[1], ARGV[1], 0)
	return 2
end
redis.call('XADD', KEYS[2], '*', 'v', ARGV[2])
if ARGV[3] == '1' then
	redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
end
return 1
`

// maxBitOffset is the largest offset SETBIT accepts (a 512 MB string).
const maxBitOffset = 1<<32 - 1

// scriptAttempts bounds how often a batch is sent again after NOSCRIPT, which
// a restarted or failed-over node answers until the script is loaded again.
const scriptAttempts = 3

// The states of a request: queued until a worker takes it for a pipeline,
// or abandoned by a caller whose context ended first.
const (
	stateQueued int32 = iota
	stateSent
	stateAbandoned
)

// request is one append on its way through the queue. Requests are pooled,
// with their encoding buffer, so the hot path allocates little.
type request struct {
	keys    [5]string
	offset  int64
	payload []byte
	counts  string
	project string
	limit   [2]int64
	cap     int64
	voter   int64
	state   atomic.Int32
	cmd     *goredis.Cmd
	done    chan error
}

// Append records v: in one atomic step it claims the voter's ballot slot,
// appends v to its shard's log and, when v counts, bumps the live tally. It
// returns an error wrapping voting.ErrDuplicate when the slot was already
// filled, voting.ErrUnavailable when Redis cannot be reached, and the
// context's error when ctx ends before the vote was sent; once sent, Append
// waits for the answer whatever ctx does, so the caller knows the outcome.
//
// A step that Redis ran but whose reply was lost is retried by the client
// and then reports ErrDuplicate: the vote is recorded once either way.
func (s *Store) Append(ctx context.Context, v *voting.Vote) error {
	if err := s.check(v); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("append vote %s: %w", v.ID, err)
	}
	shards := int64(s.opts.Shards)
	k := &s.keys[v.VoterID%shards]
	r := s.requests.Get().(*request)
	r.state.Store(stateQueued)
	// The rate and count keys are built only when the script will use them;
	// otherwise the bare shard prefix stands in, which keeps every key of the
	// call in the shard's cluster slot and costs no allocation.
	r.keys = [5]string{k.seen + v.Edition + ":" + v.Slot, k.log, k.tally + v.Edition, k.rate, k.count}
	r.cap, r.voter = int64(max(v.CategoryCap, 0)), v.VoterID
	r.limit = [2]int64{}
	if !v.Unmetered && s.opts.VoteLimit.Interval > 0 {
		r.keys[3] = k.rate + strconv.FormatInt(v.VoterID, 10)
		r.limit = [2]int64{max(s.opts.VoteLimit.Interval.Milliseconds(), 1), int64(max(s.opts.VoteLimit.Burst, 1))}
	}
	if r.cap > 0 {
		r.keys[4] = k.count + v.Edition + ":" + v.Category
	}
	r.offset = v.VoterID / shards
	r.payload = Encode(r.payload[:0], v)
	r.counts = "0"
	if v.Status.Counts() {
		r.counts = "1"
	}
	r.project = v.ProjectID

	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		s.release(r)
		return fmt.Errorf("append vote %s: store closed: %w", v.ID, voting.ErrUnavailable)
	}
	select {
	case s.queue <- r:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		s.release(r)
		return fmt.Errorf("append vote %s: %w", v.ID, ctx.Err())
	}

	var err error
	select {
	case err = <-r.done:
	case <-ctx.Done():
		if r.state.CompareAndSwap(stateQueued, stateAbandoned) {
			// The worker that dequeues it will release it.
			return fmt.Errorf("append vote %s: %w", v.ID, ctx.Err())
		}
		err = <-r.done
	}
	s.release(r)
	if err != nil {
		return fmt.Errorf("append vote %s: voter %d, slot %s: %w", v.ID, v.VoterID, v.Slot, err)
	}
	return nil
}

// check refuses a vote whose keys would be ambiguous or out of range before
// it costs a round trip.
func (s *Store) check(v *voting.Vote) error {
	switch {
	case v == nil:
		return fmt.Errorf("append vote: nil vote: %w", voting.ErrInvalid)
	case v.VoterID <= 0:
		return fmt.Errorf("append vote %s: voter id %d: %w", v.ID, v.VoterID, voting.ErrInvalid)
	case v.VoterID/int64(s.opts.Shards) > maxBitOffset:
		return fmt.Errorf("append vote %s: voter id %d out of range: %w", v.ID, v.VoterID, voting.ErrInvalid)
	case v.Edition == "" || strings.IndexByte(v.Edition, ':') >= 0:
		// A colon in the edition would let two (edition, slot) pairs share
		// one bitmap key.
		return fmt.Errorf("append vote %s: edition %q: %w", v.ID, v.Edition, voting.ErrInvalid)
	case v.Slot == "":
		return fmt.Errorf("append vote %s: empty slot: %w", v.ID, voting.ErrInvalid)
	}
	return nil
}

func (s *Store) release(r *request) {
	r.keys = [5]string{}
	r.project = ""
	r.cmd = nil
	if cap(r.payload) > 64<<10 {
		r.payload = nil
	}
	s.requests.Put(r)
}

// work sends batches until the queue is closed and drained. A batch is
// whatever is queued when the worker comes for it, so a lone vote goes out at
// once and a burst shares its round trips.
func (s *Store) work() {
	defer s.workers.Done()
	batch := make([]*request, 0, s.opts.PipelineSize)
	for r := range s.queue {
		batch = append(batch[:0], r)
	fill:
		for len(batch) < cap(batch) {
			select {
			case r, ok := <-s.queue:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.send(batch)
		clear(batch)
	}
}

// send runs one batch as a pipeline of EVALSHA calls and answers each
// request. The pipeline does not use any caller's context: once sent, a vote
// is waited for, and the client's own timeouts bound the wait.
func (s *Store) send(batch []*request) {
	live := batch[:0]
	for _, r := range batch {
		if r.state.CompareAndSwap(stateQueued, stateSent) {
			live = append(live, r)
		} else {
			s.release(r)
		}
	}
	ctx := context.Background()
	for attempt := 1; len(live) > 0; attempt++ {
		pipe := s.c.Pipeline()
		for _, r := range live {
			r.cmd = pipe.EvalSha(ctx, s.sha, r.keys[:], r.offset, r.payload, r.counts, r.project, r.limit[0], r.limit[1], r.cap, r.voter)
		}
		_, _ = pipe.Exec(ctx)
		// NOSCRIPT means the script did not run, so exactly those requests
		// may be sent again once it is loaded; the others are answered now.
		retry := live[:0]
		for _, r := range live {
			err := r.cmd.Err()
			if err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT") && attempt < scriptAttempts {
				retry = append(retry, r)
				continue
			}
			err = result(r.cmd)
			r.cmd = nil
			r.done <- err
		}
		live = retry
		if len(live) == 0 {
			return
		}
		if _, err := s.loadScript(ctx); err != nil {
			for _, r := range live {
				r.cmd = nil
				r.done <- err
			}
			return
		}
	}
}

// result translates the script's answer: 1 for recorded, 0 for a duplicate,
// 2 for a full category, -1-W for a rate-limit refusal with W milliseconds to wait.
func result(cmd *goredis.Cmd) error {
	n, err := cmd.Int64()
	switch {
	case err != nil:
		return wrap("run append script", err)
	case n == 0:
		return voting.ErrDuplicate
	case n == 2:
		return voting.ErrCategoryFull
	case n < 0:
		return &voting.RateLimitError{RetryAfter: time.Duration(-1-n) * time.Millisecond}
	}
	return nil
}
