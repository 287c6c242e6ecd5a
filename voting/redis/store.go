// Package redis is the Redis adapter of the vote path: the hot Log every vote
// goes through (exact deduplication, the vote log, the live tally, in one
// atomic step) and the Stream the flushers drain into the ledger. It works
// with a single Redis and with Redis Cluster alike: every key of a shard
// carries the same hash tag, so one shard lives in one cluster slot.
//
// Key layout, for shard = voterID % Shards (each key after Options.Prefix,
// which is empty in production):
//
//	{v<shard>}:log                      the vote log, one stream per shard
//	{v<shard>}:seen:<edition>:<slot>    dedup bitmap, bit voterID / Shards
//	{v<shard>}:tally:<edition>:<b>      live tally, field projectID, for the
//	                                    projects of bucket b (see tallyBucket)
//	{v0}:tallyadj:<edition>:<key>       marker of a tally adjustment already
//	                                    applied (AdjustTally), kept 90 days
//	{v<shard>}:dead                     entries that did not decode
//
// Redis 7 or later is required (the append script declares itself with a
// shebang, and XAUTOCLAIM reports deleted entries).
package redis

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/batch"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

var (
	_ voting.Log    = (*Store)(nil)
	_ voting.Stream = (*Store)(nil)
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// Shards is the number of shards (default 16). It decides which keys a
	// voter's votes use, so it must not change while any edition is open.
	Shards int
	// Group is the consumer group of the flushers (default "flushers").
	Group string
	// Consumer names this process in the group (default hostname-pid). Two
	// live processes must not share a name, or they would read each other's
	// pending entries as their own.
	Consumer string
	// PipelineSize is the most appends sent in one pipeline (default 512).
	PipelineSize int
	// Workers is the number of goroutines sending pipelines (default 1).
	// One is usually best: the votes that arrive while its pipeline is in
	// flight make the next one, and the larger a shard's share of a
	// pipeline, the less Redis spends per vote. A cluster client still sends
	// one pipeline's commands to every node at once.
	Workers int
	// Prefix is put before every key, so that several stores can share one
	// Redis without seeing each other's keys (tests do). It is empty in
	// production, which gives exactly the layout documented above.
	Prefix string
	// Deadline, when set, bounds how long an append waits, queued and sent.
	// An append not sent by then fails with kind.ErrUnavailable, one sent
	// but unanswered with voting.ErrOutcomeUnknown; the pipeline itself is
	// bounded by the client's read timeout.
	Deadline time.Duration
	// VoteLimit, when set, limits how fast one voter may vote (duplicates
	// included), checked inside the same atomic step as the append, so the
	// limit costs no round trip of its own.
	VoteLimit Limit
	// AckReplicas, when above zero, makes an append wait until that many
	// replicas of its master hold it: each pipeline is sent to each master
	// it writes to as its script calls followed by one WAIT on the same
	// connection, and the votes the script recorded are answered only once
	// WAIT reports enough replicas. When it reports fewer within AckTimeout
	// they fail with voting.ErrOutcomeUnknown: recorded on the master, they
	// may not survive its failover, and a retry settles them. Zero (the
	// default) answers once the master alone ran the step.
	AckReplicas int
	// AckTimeout bounds WAIT (default 500ms). It must be shorter than the
	// client's read timeout, which bounds the whole pipeline.
	AckTimeout time.Duration
	// Observer, when set, is told how each wait for replicas went.
	Observer Observer
}

// Observer is told what an operator watches in the store's waits for
// replicas. Its methods must be safe for concurrent use and cheap.
type Observer interface {
	// Replicated reports one master's part of a pipeline sent with
	// AckReplicas: its round trip, script calls and WAIT together, and
	// whether enough replicas acknowledged its writes in time.
	Replicated(d time.Duration, ok bool)
}

// Limit is a GCRA rate limit: one event per Interval on average, with bursts
// of up to Burst events. The zero Limit limits nothing.
type Limit struct {
	Interval time.Duration
	Burst    int
}

func (o Options) withDefaults() Options {
	if o.Shards <= 0 {
		o.Shards = 16
	}
	if o.Group == "" {
		o.Group = "flushers"
	}
	if o.Consumer == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "prizes"
		}
		o.Consumer = host + "-" + strconv.Itoa(os.Getpid())
	}
	if o.PipelineSize <= 0 {
		o.PipelineSize = 512
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 500 * time.Millisecond
	}
	return o
}

// shardKeys are the keys of one shard. Seen and tally are prefixes that the
// edition (and the slot) complete.
type shardKeys struct {
	log, dead, seen, tally, rate, count string
}

// Store is the Redis vote log. Appends are batched: callers enqueue, and a
// few workers send whatever is queued as one pipeline, so the round trip is
// shared by every vote that arrived meanwhile.
type Store struct {
	c    goredis.UniversalClient
	opts Options
	keys []shardKeys
	sha  string

	requests sync.Pool
	queue    *batch.Queue[*request]
}

// New loads the append script on every master, makes sure every shard stream
// and its consumer group exist, and starts the batch workers. It returns an
// error wrapping kind.ErrUnavailable when Redis cannot be reached.
func New(ctx context.Context, c goredis.UniversalClient, o Options) (*Store, error) {
	if c == nil {
		return nil, fmt.Errorf("new redis vote store: nil client: %w", kind.ErrInvalid)
	}
	o = o.withDefaults()
	if err := checkAck(c, o); err != nil {
		return nil, fmt.Errorf("new redis vote store: %w", err)
	}
	s := &Store{
		c:    c,
		opts: o,
		keys: make([]shardKeys, o.Shards),
	}
	s.requests.New = func() any { return &request{} }
	for i := range s.keys {
		tag := o.Prefix + "{v" + strconv.Itoa(i) + "}:"
		s.keys[i] = shardKeys{log: tag + "log", dead: tag + "dead", seen: tag + "seen:", tally: tag + "tally:", rate: tag + "rate:", count: tag + "count:"}
	}
	sha, err := s.loadScript(ctx)
	if err != nil {
		return nil, fmt.Errorf("new redis vote store: %w", err)
	}
	s.sha = sha
	if err := s.createGroups(ctx); err != nil {
		return nil, fmt.Errorf("new redis vote store: %w", err)
	}
	s.queue = batch.New(batch.Config{Workers: o.Workers, Size: o.PipelineSize, Timeout: o.Deadline}, func() func([]*request) {
		var b sender
		return func(live []*request) { b.send(s, live) }
	}, s.release)
	return s, nil
}

// loadScript loads the append script and returns its digest. On a cluster
// client ScriptLoad goes to every node, so the script is there whichever
// master a shard lives on.
func (s *Store) loadScript(ctx context.Context) (string, error) {
	sha, err := s.c.ScriptLoad(ctx, appendScript).Result()
	if err != nil {
		return "", wrap("load append script", err)
	}
	return sha, nil
}

func (s *Store) createGroups(ctx context.Context) error {
	pipe := s.c.Pipeline()
	cmds := make([]*goredis.StatusCmd, len(s.keys))
	for i, k := range s.keys {
		cmds[i] = pipe.XGroupCreateMkStream(ctx, k.log, s.opts.Group, "0")
	}
	_, _ = pipe.Exec(ctx)
	for i, cmd := range cmds {
		if err := cmd.Err(); err != nil && !goredis.HasErrorPrefix(err, "BUSYGROUP") {
			return wrap(fmt.Sprintf("create consumer group on shard %d", i), err)
		}
	}
	return nil
}

// Close stops the batch workers once every queued append has been sent and
// answered. Appends after Close fail with kind.ErrUnavailable. Close does
// not close the client, which the caller owns.
func (s *Store) Close() { s.queue.Close() }

// Shards returns the number of shard streams.
func (s *Store) Shards() int { return s.opts.Shards }

// Placement returns, by master address, the shards whose keys that master
// holds, each list in shard order. A shard's keys share one hash tag and so
// one slot; on a cluster a master takes the votes of its shards, so one
// holding more shards than the others is the first to fill. A standalone
// Redis holds every shard. It returns an error wrapping
// kind.ErrUnavailable when the cluster cannot be reached.
func (s *Store) Placement(ctx context.Context) (map[string][]int, error) {
	out := map[string][]int{}
	cc, ok := s.c.(*goredis.ClusterClient)
	if !ok {
		addr := "redis"
		if c, ok := s.c.(*goredis.Client); ok {
			addr = c.Options().Addr
		}
		for i := range s.keys {
			out[addr] = append(out[addr], i)
		}
		return out, nil
	}
	for i, k := range s.keys {
		m, err := cc.MasterForKey(ctx, k.log)
		if err != nil {
			return nil, wrap("shard placement", err)
		}
		addr := m.Options().Addr
		out[addr] = append(out[addr], i)
	}
	return out, nil
}

// Tally returns the live count of every project of an edition, summed over
// the shards and their buckets. It is a view for dashboards: published
// numbers come from the ledger.
func (s *Store) Tally(ctx context.Context, edition string) (map[string]int64, error) {
	pipe := s.c.Pipeline()
	cmds := make([]*goredis.MapStringStringCmd, 0, len(s.keys)*tallyBuckets)
	for _, k := range s.keys {
		for b := range tallyBuckets {
			cmds = append(cmds, pipe.HGetAll(ctx, tallyKey(k.tally, edition, b)))
		}
	}
	_, _ = pipe.Exec(ctx)
	out := make(map[string]int64)
	for _, cmd := range cmds {
		m, err := cmd.Result()
		if err != nil {
			return nil, wrap("read tally of "+edition, err)
		}
		for project, n := range m {
			count, err := strconv.ParseInt(n, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("read tally of %s: project %s: %w", edition, project, err)
			}
			out[project] += count
		}
	}
	return out, nil
}

// tallyBuckets is how many hashes a shard spreads an edition's tally over.
// Redis keeps a small hash as one flat list, which HINCRBY scans field by
// field; sixteen buckets keep each list to a couple of dozen projects for
// an edition of WSIS size. The number is part of the key layout: every node
// must use the same.
const tallyBuckets = 16

// tallyBucket places a project in a bucket by the 32-bit FNV-1a hash of its
// id, so that every node puts it in the same one. It is the hash of
// hash/fnv's New32a, computed over the string in place: the vote path runs it
// for every vote, and the hash.Hash interface would take a byte slice.
func tallyBucket(project string) int {
	h := uint32(2166136261)
	for i := 0; i < len(project); i++ {
		h ^= uint32(project[i])
		h *= 16777619
	}
	return int(h % tallyBuckets)
}

// tallyKey is the key of one bucket of an edition's tally in a shard, given
// the shard's tally prefix.
func tallyKey(prefix, edition string, bucket int) string {
	return prefix + edition + ":" + strconv.Itoa(bucket)
}

// SetAside returns how many entries the dead-letter streams hold, across
// every shard: votes that did not decode or that the ledger refused, kept
// there for an operator, whichever process put them there.
func (s *Store) SetAside(ctx context.Context) (int64, error) {
	pipe := s.c.Pipeline()
	lens := make([]*goredis.IntCmd, len(s.keys))
	for i, k := range s.keys {
		lens[i] = pipe.XLen(ctx, k.dead)
	}
	_, _ = pipe.Exec(ctx)
	var n int64
	for _, l := range lens {
		v, err := l.Result()
		if err != nil {
			return 0, wrap("count dead letters", err)
		}
		n += v
	}
	return n, nil
}

// Backlog returns, across every shard stream, how many entries were
// delivered to a flusher but not acknowledged (pending) and how many were
// not delivered yet (unread). Both are zero once the flushers caught up.
func (s *Store) Backlog(ctx context.Context) (pending, unread int64, err error) {
	pipe := s.c.Pipeline()
	groups := make([]*goredis.XInfoGroupsCmd, len(s.keys))
	lens := make([]*goredis.IntCmd, len(s.keys))
	for i, k := range s.keys {
		groups[i] = pipe.XInfoGroups(ctx, k.log)
		lens[i] = pipe.XLen(ctx, k.log)
	}
	_, _ = pipe.Exec(ctx)
	for i := range s.keys {
		n, err := lens[i].Result()
		if err != nil {
			return 0, 0, wrap(fmt.Sprintf("read backlog of shard %d", i), err)
		}
		gs, err := groups[i].Result()
		if err != nil {
			if goredis.HasErrorPrefix(err, "no such key") {
				continue
			}
			return 0, 0, wrap(fmt.Sprintf("read backlog of shard %d", i), err)
		}
		for _, g := range gs {
			if g.Name != s.opts.Group {
				continue
			}
			// XINFO GROUPS reports the same pending count as the XPENDING
			// summary, in the same round trip as the lag.
			pending += g.Pending
			// The lag is unknown (-1) when Redis cannot tell it after
			// deletions; every acknowledged entry is deleted, so the
			// stream's length less the pending entries is the unread ones.
			lag := g.Lag
			if lag < 0 {
				lag = max(n-g.Pending, 0)
			}
			unread += lag
		}
	}
	return pending, unread, nil
}

// MemoryUsed returns the memory Redis uses, summed over every master, as
// INFO memory reports it in used_memory.
func (s *Store) MemoryUsed(ctx context.Context) (int64, error) {
	var total atomic.Int64
	err := s.forEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		info, err := c.Info(ctx, "memory").Result()
		if err != nil {
			return err
		}
		n, err := usedMemory(info)
		if err != nil {
			return err
		}
		total.Add(n)
		return nil
	})
	if err != nil {
		return 0, wrap("read redis memory", err)
	}
	return total.Load(), nil
}

func usedMemory(info string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "used_memory:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, errors.New("no used_memory in INFO memory")
}

// Ping checks that every master answers, for readiness.
func (s *Store) Ping(ctx context.Context) error {
	err := s.forEachMaster(ctx, func(ctx context.Context, c *goredis.Client) error {
		return c.Ping(ctx).Err()
	})
	if err != nil {
		return wrap("ping redis", err)
	}
	return nil
}

// forEachMaster runs fn on every master: each node of a cluster, or the one
// server behind a plain client.
func (s *Store) forEachMaster(ctx context.Context, fn func(context.Context, *goredis.Client) error) error {
	switch c := s.c.(type) {
	case *goredis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *goredis.Client:
		return fn(ctx, c)
	default:
		return fmt.Errorf("unsupported redis client %T: %w", s.c, kind.ErrInvalid)
	}
}
