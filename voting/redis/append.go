package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/batch"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/unavailable"
	"github.com/wsisvote/prizes/voting"
)

// appendScript is the atomic step of an append for the votes of one shard,
// taken in order, each as if alone. It reads Redis's clock once (the clock
// every node shares) and refuses the whole call outside its voting window.
// For each vote: the voter's rate limit (GCRA), then the ballot slot's bit,
// then, with a category cap, the voter's count in the category, undone with
// the slot at the cap. The accepted votes go into the log as one entry,
// fields v1, v2, ... and t, the clock in microseconds, which becomes each
// vote's cast time; the tally is bumped once the entry is in, and an entry
// the log refuses undoes every claim. The shebang makes a full Redis refuse
// the call before it runs.
//
// KEYS: the shard's log, then per vote its dedup bitmap, tally hash and, when
// the call uses them, its rate key and category count hash.
// ARGV: the limit's interval in ms and burst (0: no limit), the category cap
// (0: none), the window's bounds in µs since the epoch (0: open); then per
// vote its bit offset, encoded vote, "1" when it counts, project id and, with
// a cap, its voter id.
//
// It returns per vote 1 (recorded), 0 (duplicate), 2 (category full), 3 (log
// refused), 4 (outside the window) or -1-W (rate limited for W more ms), then
// the clock's reading in µs.
const appendScript = `#!lua
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local opens = tonumber(ARGV[4])
local closes = tonumber(ARGV[5])
local ks, as = 2, 4
local rk, ck = 0, 0
if interval > 0 then
	ks = ks + 1
	rk = ks
end
if cap > 0 then
	ks = ks + 1
	ck = ks
	as = 5
end
local votes = (#KEYS - 1) / ks
local t = redis.call('TIME')
local micros = tonumber(t[1]) * 1000000 + tonumber(t[2])
local now = math.floor(micros / 1000)
local out = {}
if (opens > 0 and micros < opens) or (closes > 0 and micros >= closes) then
	for i = 1, votes do
		out[i] = 4
	end
	out[votes + 1] = micros
	return out
end
local stored, updated = {}, {}
if interval > 0 then
	local rate = {}
	for i = 1, votes do
		rate[i] = KEYS[1 + (i - 1) * ks + rk]
	end
	stored = redis.call('MGET', unpack(rate))
end
local entry = {}
local taken = {}
for i = 1, votes do
	local k = 1 + (i - 1) * ks
	local a = 5 + (i - 1) * as
	local res = 1
	if interval > 0 then
		local key = KEYS[k + rk]
		local tat = updated[key] or tonumber(stored[i]) or now
		if tat < now then
			tat = now
		end
		local wait = tat - now - interval * (burst - 1)
		if wait > 0 then
			res = -1 - wait
		else
			redis.call('SET', key, string.format('%d', tat + interval), 'PX', string.format('%d', tat + interval - now))
			updated[key] = tat + interval
		end
	end
	if res == 1 and redis.call('SETBIT', KEYS[k + 1], ARGV[a + 1], '1') == 1 then
		res = 0
	end
	if res == 1 and cap > 0 and redis.call('HINCRBY', KEYS[k + ck], ARGV[a + 5], '1') > cap then
		redis.call('HINCRBY', KEYS[k + ck], ARGV[a + 5], '-1')
		redis.call('SETBIT', KEYS[k + 1], ARGV[a + 1], '0')
		res = 2
	end
	if res == 1 then
		local n = #taken + 1
		taken[n] = i
		entry[2 * n - 1] = string.format('v%d', n)
		entry[2 * n] = ARGV[a + 2]
	end
	out[i] = res
end
if #taken > 0 then
	entry[2 * #taken + 1] = 't'
	entry[2 * #taken + 2] = string.format('%d', micros)
	local added = redis.pcall('XADD', KEYS[1], '*', unpack(entry))
	local refused = type(added) == 'table' and added.err ~= nil
	for _, i in ipairs(taken) do
		local k = 1 + (i - 1) * ks
		local a = 5 + (i - 1) * as
		if refused then
			if cap > 0 then
				redis.call('HINCRBY', KEYS[k + ck], ARGV[a + 5], '-1')
			end
			redis.call('SETBIT', KEYS[k + 1], ARGV[a + 1], '0')
			out[i] = 3
		elseif ARGV[a + 3] == '1' then
			redis.call('HINCRBY', KEYS[k + 2], ARGV[a + 4], '1')
		end
	end
end
out[votes + 1] = micros
return out
`

// maxBitOffset is the largest offset SETBIT accepts (a 512 MB string).
const maxBitOffset = 1<<32 - 1

// scriptAttempts bounds how often a batch is sent again after NOSCRIPT, which
// a restarted or failed-over node answers until the script is loaded again.
const scriptAttempts = 3

// request is one append on its way through the queue. Requests are pooled,
// with their encoding buffer, so the hot path allocates little.
type request struct {
	// keys are the vote's dedup bitmap, tally, rate key and count key.
	keys    [4]string
	shard   int
	params  callParams
	offset  int64
	payload []byte
	counts  string
	project string
	voter   int64
	// err is the outcome, and at the store's clock when the step ran
	// (microseconds), which the worker writes before it calls Done.
	err error
	at  int64
	batch.Request
}

// callParams are the script arguments shared by the votes of one call: the
// rate limit's interval (ms, 0 for none) and burst, the category cap, and
// the voting window's bounds (µs since the epoch, 0 for open).
type callParams struct {
	interval, burst, cap int64
	opens, closes        int64
}

// Append records v: in one atomic step, on Redis's clock, it checks that the
// clock is inside v.Window, claims the voter's ballot slot, appends v to its
// shard's log and, when v counts, bumps the live tally. It sets v.CastAt to
// that clock's reading, which is also the cast time the ledger gets. It
// returns an error wrapping voting.ErrClosed outside the window,
// voting.ErrDuplicate when the slot was already filled; kind.ErrUnavailable when v was certainly not recorded (Redis
// could not be reached, refused the call before running it, or the store's
// deadline passed before v was sent); voting.ErrOutcomeUnknown when v was
// sent and no reply came, by the deadline or at all (Redis may have run the
// step), or, with Options.AckReplicas, when the step recorded v but too few
// replicas acknowledged it in time; and the context's error when ctx ended
// before v was sent. The step
// is never sent twice: a retry by the voter meets v as a duplicate when it
// was recorded.
func (s *Store) Append(ctx context.Context, v *voting.Vote) error {
	if err := s.check(v); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("append vote %s: %w", v.ID, err)
	}
	shards := int64(s.opts.Shards)
	shard := v.VoterID % shards
	k := &s.keys[shard]
	r := s.requests.Get().(*request)
	// The rate and count keys are built, and sent, only when the script will
	// use them.
	r.keys = [4]string{k.seen + v.Edition + ":" + v.Slot, tallyKey(k.tally, v.Edition, tallyBucket(v.ProjectID))}
	r.shard = int(shard)
	r.params = callParams{cap: int64(max(v.CategoryCap, 0)), opens: micros(v.Window.Opens), closes: micros(v.Window.Closes)}
	r.voter = v.VoterID
	if !v.Unmetered && s.opts.VoteLimit.Interval > 0 {
		r.keys[2] = k.rate + strconv.FormatInt(v.VoterID, 10)
		r.params.interval = max(s.opts.VoteLimit.Interval.Milliseconds(), 1)
		r.params.burst = int64(max(s.opts.VoteLimit.Burst, 1))
	}
	if r.params.cap > 0 {
		r.keys[3] = k.count + v.Edition + ":" + v.Category
	}
	r.offset = v.VoterID / shards
	r.payload = Encode(r.payload[:0], v)
	r.counts = "0"
	if v.Status.Counts() {
		r.counts = "1"
	}
	r.project = v.ProjectID

	switch err := s.queue.Do(ctx, r); {
	case errors.Is(err, batch.ErrClosed):
		return fmt.Errorf("append vote %s: store closed: %w", v.ID, kind.ErrUnavailable)
	case errors.Is(err, batch.ErrNoAnswer):
		return fmt.Errorf("append vote %s: %w: %w", v.ID, voting.ErrOutcomeUnknown, err)
	case errors.Is(err, batch.ErrTimeout):
		return fmt.Errorf("append vote %s: not sent within %s: %w", v.ID, s.opts.Deadline, kind.ErrUnavailable)
	case err != nil:
		return fmt.Errorf("append vote %s: %w", v.ID, err)
	}
	err, at := r.err, r.at
	s.release(r)
	if err != nil {
		return fmt.Errorf("append vote %s: voter %d, slot %s: %w", v.ID, v.VoterID, v.Slot, err)
	}
	v.CastAt = time.UnixMicro(at).UTC()
	return nil
}

// micros is t in microseconds since the epoch, or 0 for the zero time (an
// open bound). A bound before the epoch is as good as open.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return max(t.UnixMicro(), 0)
}

// check refuses a vote whose keys would be ambiguous or out of range before
// it costs a round trip.
func (s *Store) check(v *voting.Vote) error {
	switch {
	case v == nil:
		return fmt.Errorf("append vote: nil vote: %w", kind.ErrInvalid)
	case v.VoterID <= 0:
		return fmt.Errorf("append vote %s: voter id %d: %w", v.ID, v.VoterID, kind.ErrInvalid)
	case v.VoterID/int64(s.opts.Shards) > maxBitOffset:
		return fmt.Errorf("append vote %s: voter id %d out of range: %w", v.ID, v.VoterID, kind.ErrInvalid)
	case v.Edition == "" || strings.IndexByte(v.Edition, ':') >= 0:
		// A colon in the edition would let two (edition, slot) pairs share
		// one bitmap key.
		return fmt.Errorf("append vote %s: edition %q: %w", v.ID, v.Edition, kind.ErrInvalid)
	case v.Slot == "":
		return fmt.Errorf("append vote %s: empty slot: %w", v.ID, kind.ErrInvalid)
	}
	return nil
}

func (s *Store) release(r *request) {
	r.keys = [4]string{}
	r.project = ""
	r.err, r.at = nil, 0
	if cap(r.payload) > 64<<10 {
		r.payload = nil
	}
	s.requests.Put(r)
}

// call is one script call: the votes of a batch that share a shard and the
// call's parameters.
type call struct {
	shard  int
	params callParams
	reqs   []*request
	cmd    *goredis.Cmd
	// unreplicated, when set, is what the votes the call recorded are
	// answered instead of success: its master's replicas did not
	// acknowledge them (see Options.AckReplicas).
	unreplicated error
}

// sender is a worker's reusable state for building pipelines.
type sender struct {
	calls []call
	keys  []string
	args  []any
	nodes []node
}

// send runs one batch as a pipeline with one script call per shard and
// answers each request. The pipeline does not use any caller's context:
// once sent, a vote is waited for, and the client's own timeouts bound the
// wait.
func (b *sender) send(s *Store, live []*request) {
	b.group(live)
	ctx := context.Background()
	for attempt := 1; len(b.calls) > 0; attempt++ {
		if s.opts.AckReplicas > 0 {
			b.execReplicated(ctx, s)
		} else {
			pipe := s.c.Pipeline()
			for i := range b.calls {
				b.calls[i].cmd = b.evalSha(ctx, pipe, s, &b.calls[i])
			}
			_, _ = pipe.Exec(ctx)
		}
		// NOSCRIPT means the script did not run, so exactly those calls may
		// be sent again once it is loaded; the others are answered now.
		retry := b.calls[:0]
		for _, c := range b.calls {
			err := c.cmd.Err()
			if err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT") && attempt < scriptAttempts {
				retry = append(retry, c)
				continue
			}
			s.answer(c.reqs, c.cmd, c.unreplicated)
		}
		b.calls = retry
		if len(b.calls) == 0 {
			break
		}
		if _, err := s.loadScript(ctx); err != nil {
			for _, c := range b.calls {
				for _, r := range c.reqs {
					r.err = err
					s.done(r)
				}
			}
			break
		}
	}
	clear(b.calls[:cap(b.calls)])
	b.calls = b.calls[:0]
}

// maxCallVotes bounds the votes of one script call: the script hands its
// log entry, two values per vote, to XADD through Lua's unpack, which takes
// at most a few thousand.
const maxCallVotes = 1000

// group sorts live into calls, one per shard and parameters (more when one
// would pass maxCallVotes), keeping the order of the votes within each call.
func (b *sender) group(live []*request) {
	b.calls = b.calls[:0]
next:
	for _, r := range live {
		for i := range b.calls {
			if c := &b.calls[i]; c.shard == r.shard && c.params == r.params && len(c.reqs) < maxCallVotes {
				c.reqs = append(c.reqs, r)
				continue next
			}
		}
		b.calls = append(b.calls, call{shard: r.shard, params: r.params, reqs: []*request{r}})
	}
}

// evalSha adds c's script call to pipe.
func (b *sender) evalSha(ctx context.Context, pipe goredis.Pipeliner, s *Store, c *call) *goredis.Cmd {
	keys := append(b.keys[:0], s.keys[c.shard].log)
	args := append(b.args[:0], c.params.interval, c.params.burst, c.params.cap, c.params.opens, c.params.closes)
	for _, r := range c.reqs {
		keys = append(keys, r.keys[0], r.keys[1])
		if c.params.interval > 0 {
			keys = append(keys, r.keys[2])
		}
		args = append(args, r.offset, r.payload, r.counts, r.project)
		if c.params.cap > 0 {
			keys = append(keys, r.keys[3])
			args = append(args, r.voter)
		}
	}
	cmd := pipe.EvalSha(ctx, s.sha, keys, args...)
	// The command holds its own copy of keys and args, so the buffers can
	// be used for the next call.
	b.keys, b.args = keys, args
	clear(b.args)
	return cmd
}

// answer tells each request of a call its outcome; a vote the script
// recorded gets unreplicated instead of success when that is set.
func (s *Store) answer(reqs []*request, cmd *goredis.Cmd, unreplicated error) {
	res, err := cmd.Int64Slice()
	if err == nil && len(res) != len(reqs)+1 {
		err = fmt.Errorf("append script answered %d results for %d votes: %w", len(res), len(reqs), voting.ErrOutcomeUnknown)
	}
	if err != nil {
		err = failed("run append script", err)
	}
	for i, r := range reqs {
		if err != nil {
			r.err = err
		} else {
			r.err, r.at = result(res[i]), res[len(reqs)]
			if r.err == nil && unreplicated != nil {
				r.err = unreplicated
			}
		}
		s.done(r)
	}
}

// done hands r's outcome to its caller, or releases r when the caller has
// stopped waiting.
func (s *Store) done(r *request) {
	if !r.Done() {
		s.release(r)
	}
}

// failed translates the error of a script call that got no result. The
// vote was certainly not recorded when the call never reached Redis (no
// connection could be had: refused, unreachable, the pool exhausted, the
// client closed) or when Redis refused it before running it (a failover, a
// restart, a full memory, an unloaded script): kind.ErrUnavailable.
// Otherwise the call may have run, its reply lost to a timeout or a broken
// connection, or the script failed part way: voting.ErrOutcomeUnknown.
func failed(op string, err error) error {
	var reply goredis.Error
	var netErr *net.OpError
	switch {
	case errors.As(err, &reply) && unavailable.Redis(err):
		return fmt.Errorf("%s: %w: %w", op, kind.ErrUnavailable, err)
	case errors.As(err, &reply):
		return fmt.Errorf("%s: %w: %w", op, voting.ErrOutcomeUnknown, err)
	case errors.As(err, &netErr) && netErr.Op == "dial",
		errors.Is(err, goredis.ErrPoolTimeout), errors.Is(err, goredis.ErrClosed), errors.Is(err, goredis.ErrPoolExhausted):
		return fmt.Errorf("%s: not sent: %w: %w", op, kind.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w: %w", op, voting.ErrOutcomeUnknown, err)
}

// result translates the script's answer for one vote: 1 for recorded, 0 for
// a duplicate, 2 for a full category, 3 for an entry the log refused, 4 for
// a vote outside its voting window, -1-W for a rate-limit refusal with W
// milliseconds to wait.
func result(n int64) error {
	switch {
	case n == 0:
		return voting.ErrDuplicate
	case n == 2:
		return voting.ErrCategoryFull
	case n == 3:
		return fmt.Errorf("vote log refused the entry: %w", kind.ErrUnavailable)
	case n == 4:
		return fmt.Errorf("outside the voting window: %w", voting.ErrClosed)
	case n < 0:
		return &kind.RateLimitError{RetryAfter: time.Duration(-1-n) * time.Millisecond}
	}
	return nil
}
