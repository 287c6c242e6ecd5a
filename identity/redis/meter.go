// Package redis is the Redis adapter of identity's abuse controls: GCRA rate
// limits, one-time challenge spends and windowed counters. Requests from
// concurrent callers share pipelines, so a vote pays for at most one round
// trip however many limits apply, and the limits of a whole pipeline are
// applied by one script call per limit shard, which keeps Redis's work per
// vote small. It works with a single Redis and with Redis Cluster alike: the
// keys of a shard share a hash tag, so one script call touches one slot.
//
// Key layout (after Options.Prefix, empty in production), with shard =
// FNV-1a(limit:subject) % Options.Shards:
//
//	{rl<shard>}:<limit>:<subject>  GCRA theoretical arrival time, in µs
//	{pow:<challenge>}              a spent challenge, until it expires
//	{cnt:<counter>:<subject>}:<n>  events in window n
package redis

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/internal/batch"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/unavailable"
)

var _ identity.Meter = (*Meter)(nil)

// gcraScript applies one request to each of its keys in turn, on Redis's
// clock so that every node agrees, and returns for each 0 when the request
// is allowed (and counted) or the microseconds until it would be. One MGET
// reads every key, so a key costs Redis one write when allowed and none when
// refused. A key that appears twice is applied twice, in order, as two
// requests would be. Times are whole microseconds, below 2^53, which Redis
// converts to and from strings exactly.
//
// KEYS: the limits' keys, all of one shard. ARGV: for each key its emission
// interval in microseconds and its burst.
const gcraScript = `#!lua
local call, tonumber, floor = redis.call, tonumber, math.floor
local t = call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local stored = call('MGET', unpack(KEYS))
local updated = {}
local out = {}
for i = 1, #KEYS do
	local key = KEYS[i]
	local interval = tonumber(ARGV[2 * i - 1])
	local tat = updated[key] or tonumber(stored[i]) or 0
	if tat < now then tat = now end
	local new = tat + interval
	local allow_at = new - tonumber(ARGV[2 * i]) * interval
	if now < allow_at then
		out[i] = allow_at - now
	else
		call('SET', key, new, 'PX', floor((new - now) / 1000) + 1)
		updated[key] = new
		out[i] = 0
	end
end
return out
`

// scriptAttempts bounds how often a command is sent again after NOSCRIPT,
// which a restarted or failed-over node answers until the script is loaded.
const scriptAttempts = 3

// Options tune a Meter. The zero value is ready to use.
type Options struct {
	// Prefix is put before every key, so several meters can share one Redis
	// (tests do). It is empty in production.
	Prefix string
	// PipelineSize is the most requests sent in one pipeline (default 256).
	PipelineSize int
	// Workers is the number of goroutines sending pipelines (default 2).
	Workers int
	// Shards is the number of hash tags the limit keys are spread over
	// (default 16): enough to spread a cluster's load over its masters, few
	// enough that a pipeline's limits need few script calls.
	Shards int
	// Deadline, when set, bounds how long a Take waits, queued and sent;
	// past it the Take fails with kind.ErrUnavailable.
	Deadline time.Duration
}

// Meter is the Redis identity.Meter. Take requests are queued and sent by a
// few workers, each sending whatever is queued as one pipeline.
type Meter struct {
	c      goredis.UniversalClient
	opts   Options
	sha    atomic.Pointer[string]
	denied denyCache
	queue  *batch.Queue[*take]
	takes  sync.Pool
}

// take is one queued Take.
type take struct {
	keys    []string
	shards  []int
	args    [][2]int64
	waits   []int64
	spend   string
	until   time.Time
	limits  []identity.Limit
	set     *goredis.BoolCmd
	verdict identity.Verdict
	err     error
	batch.Request
}

// shardCall is one script call: the limits of one shard in a batch.
type shardCall struct {
	keys []string
	args []any
	refs []limitRef
	cmd  *goredis.Cmd
}

// limitRef points from a script call's key back to its request.
type limitRef struct {
	t *take
	i int
}

// New loads the limit script on every master and starts the workers. It
// returns an error wrapping kind.ErrUnavailable when Redis cannot be
// reached.
func New(ctx context.Context, c goredis.UniversalClient, o Options) (*Meter, error) {
	if c == nil {
		return nil, fmt.Errorf("new redis meter: nil client: %w", kind.ErrInvalid)
	}
	if o.PipelineSize <= 0 {
		o.PipelineSize = 256
	}
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Shards <= 0 {
		o.Shards = 16
	}
	m := &Meter{c: c, opts: o}
	m.denied.init(o.Shards)
	m.takes.New = func() any { return &take{} }
	if err := m.load(ctx); err != nil {
		return nil, fmt.Errorf("new redis meter: %w", err)
	}
	m.queue = batch.New(batch.Config{Workers: o.Workers, Size: o.PipelineSize, Timeout: o.Deadline}, func() func([]*take) {
		calls := make([]shardCall, m.opts.Shards)
		return func(live []*take) { m.send(live, calls) }
	}, m.release)
	return m, nil
}

// load loads the script; on a cluster client ScriptLoad reaches every node.
func (m *Meter) load(ctx context.Context) error {
	sha, err := m.c.ScriptLoad(ctx, gcraScript).Result()
	if err != nil {
		return wrap("load limit script", err)
	}
	m.sha.Store(&sha)
	return nil
}

// Close stops the workers once every queued request was answered. Requests
// after Close fail with kind.ErrUnavailable. The client stays open.
func (m *Meter) Close() { m.queue.Close() }

// limitKey returns a limit's key and shard.
func (m *Meter) limitKey(l identity.Limit) (string, int) {
	h := fnv.New32a()
	h.Write([]byte(l.Name))
	h.Write([]byte{':'})
	h.Write([]byte(l.Key))
	shard := int(h.Sum32() % uint32(m.opts.Shards))
	return m.opts.Prefix + "{rl" + strconv.Itoa(shard) + "}:" + l.Name + ":" + l.Key, shard
}

// Take implements identity.Meter. Once its request is sent it waits for the
// answer whatever ctx does; before that, ctx ending abandons it. A request
// refused from the deny cache spends nothing, so its challenge solution may
// be sent again once the wait is over.
func (m *Meter) Take(ctx context.Context, limits []identity.Limit, spend identity.Spend) (identity.Verdict, error) {
	const op = "take rate limits"
	if len(limits) == 0 && spend.Key == "" {
		return identity.Verdict{}, nil
	}
	for _, l := range limits {
		if l.Rate.Off() {
			return identity.Verdict{}, fmt.Errorf("%s: limit %s has no rate: %w", op, l.Name, kind.ErrInvalid)
		}
	}
	t := m.takes.Get().(*take)
	t.limits = limits
	t.keys, t.shards, t.args, t.waits = t.keys[:0], t.shards[:0], t.args[:0], t.waits[:0]
	for _, l := range limits {
		key, shard := m.limitKey(l)
		t.keys = append(t.keys, key)
		t.shards = append(t.shards, shard)
		t.waits = append(t.waits, 0)
		t.args = append(t.args, [2]int64{l.Rate.Interval().Microseconds(), int64(max(l.Rate.Burst, 1))})
	}
	if v, ok := m.denied.check(t, time.Now()); ok {
		m.release(t)
		return v, nil
	}
	t.spend, t.until = "", spend.Until
	if spend.Key != "" {
		key := spend.Key
		if len(key) > 64 {
			key = key[:64]
		}
		t.spend = m.opts.Prefix + "{pow:" + key + "}"
	}

	switch err := m.queue.Do(ctx, t); {
	case errors.Is(err, batch.ErrClosed):
		return identity.Verdict{}, fmt.Errorf("%s: meter closed: %w", op, kind.ErrUnavailable)
	case errors.Is(err, batch.ErrTimeout), errors.Is(err, batch.ErrNoAnswer):
		// Whether or not Redis took the limits, what they guard was not
		// done: refusing it is the true answer.
		return identity.Verdict{}, fmt.Errorf("%s: %w: %w", op, kind.ErrUnavailable, err)
	case err != nil:
		return identity.Verdict{}, fmt.Errorf("%s: %w", op, err)
	}
	v, err := t.verdict, t.err
	m.release(t)
	if err != nil {
		return identity.Verdict{}, fmt.Errorf("%s: %w", op, err)
	}
	return v, nil
}

func (m *Meter) release(t *take) {
	t.limits = nil
	t.set = nil
	t.verdict, t.err = identity.Verdict{}, nil
	m.takes.Put(t)
}

// send runs a batch as one pipeline, with one script call per shard that
// has limits in it, and answers each request. NOSCRIPT means a call was not
// run, so exactly those calls are sent again once the script is loaded.
func (m *Meter) send(live []*take, calls []shardCall) {
	for i := range calls {
		c := &calls[i]
		c.keys, c.args, c.refs, c.cmd = c.keys[:0], c.args[:0], c.refs[:0], nil
	}
	for _, t := range live {
		for i, k := range t.keys {
			c := &calls[t.shards[i]]
			c.keys = append(c.keys, k)
			c.args = append(c.args, t.args[i][0], t.args[i][1])
			c.refs = append(c.refs, limitRef{t: t, i: i})
		}
	}
	ctx := context.Background()
	pipe := m.c.Pipeline()
	sha := *m.sha.Load()
	for i := range calls {
		if c := &calls[i]; len(c.keys) > 0 {
			c.cmd = pipe.EvalSha(ctx, sha, c.keys, c.args...)
		}
	}
	for _, t := range live {
		if t.spend != "" {
			t.set = pipe.SetNX(ctx, t.spend, "1", max(time.Until(t.until), time.Second))
		}
	}
	_, _ = pipe.Exec(ctx)
	for attempt := 1; attempt < scriptAttempts; attempt++ {
		var again []*shardCall
		for i := range calls {
			if c := &calls[i]; c.cmd != nil && goredis.HasErrorPrefix(c.cmd.Err(), "NOSCRIPT") {
				again = append(again, c)
			}
		}
		if len(again) == 0 || m.load(ctx) != nil {
			break
		}
		sha = *m.sha.Load()
		pipe := m.c.Pipeline()
		for _, c := range again {
			c.cmd = pipe.EvalSha(ctx, sha, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx)
	}
	for i := range calls {
		c := &calls[i]
		if c.cmd == nil {
			continue
		}
		waits, err := c.cmd.Int64Slice()
		if err == nil && len(waits) != len(c.refs) {
			err = fmt.Errorf("limit script answered %d results for %d keys", len(waits), len(c.refs))
		}
		for j, r := range c.refs {
			if err != nil {
				if r.t.err == nil {
					r.t.err = wrap("apply limit "+r.t.limits[r.i].Name, err)
				}
				continue
			}
			r.t.waits[r.i] = waits[j]
		}
		clear(c.refs)
		c.cmd = nil
	}
	for _, t := range live {
		if t.err == nil {
			t.verdict, t.err = m.verdict(t)
		}
		if !t.Done() {
			m.release(t)
		}
	}
}

func (m *Meter) verdict(t *take) (identity.Verdict, error) {
	var v identity.Verdict
	now := time.Now()
	for i, wait := range t.waits {
		if wait <= 0 {
			continue
		}
		d := time.Duration(wait) * time.Microsecond
		m.denied.remember(t.keys[i], t.shards[i], now.Add(d))
		if v.Refused == "" {
			v.Refused, v.RetryAfter = t.limits[i].Name, d
		}
	}
	if t.set != nil {
		fresh, err := t.set.Result()
		if err != nil {
			return identity.Verdict{}, wrap("spend challenge", err)
		}
		v.Replayed = !fresh
	}
	return v, nil
}

// Count implements identity.Meter with fixed windows: each counter's key
// names its window, and expires two windows later.
func (m *Meter) Count(ctx context.Context, counters []identity.Counter) ([]int64, error) {
	if len(counters) == 0 {
		return nil, nil
	}
	now := time.Now()
	pipe := m.c.Pipeline()
	cmds := make([]*goredis.IntCmd, len(counters))
	for i, c := range counters {
		if c.Window <= 0 {
			return nil, fmt.Errorf("count %s: no window: %w", c.Name, kind.ErrInvalid)
		}
		n := now.UnixNano() / int64(c.Window)
		key := m.opts.Prefix + "{cnt:" + c.Name + ":" + c.Key + "}:" + strconv.FormatInt(n, 10)
		cmds[i] = pipe.Incr(ctx, key)
		pipe.PExpire(ctx, key, 2*c.Window)
	}
	_, _ = pipe.Exec(ctx)
	out := make([]int64, len(counters))
	for i, cmd := range cmds {
		v, err := cmd.Result()
		if err != nil {
			return nil, wrap("count "+counters[i].Name, err)
		}
		out[i] = v
	}
	return out, nil
}

// wrap names the operation and turns a connection failure into
// kind.ErrUnavailable, keeping the driver's error in the chain.
func wrap(op string, err error) error {
	if unavailable.Redis(err) {
		return fmt.Errorf("%s: %w: %w", op, kind.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
