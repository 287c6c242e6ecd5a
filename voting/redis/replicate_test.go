package redis_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/loadtest/stack"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/redis"
)

// observer counts the waits for replicas a store reports.
type observer struct {
	ok, failed atomic.Int64
}

func (o *observer) Replicated(_ time.Duration, ok bool) {
	if ok {
		o.ok.Add(1)
	} else {
		o.failed.Add(1)
	}
}

// redisServer returns the redis-server binary and a folder for the test's
// own servers, or skips the test outside the test stack.
func redisServer(tb testing.TB) (bin, dir string) {
	tb.Helper()
	tmp := testenv.Env(tb, "PRIZES_TEST_TMP")
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Fatalf("redis-server is not installed: run the tests with `make test`, which installs it: %v", err)
	}
	dir, err = os.MkdirTemp(tmp, "replica-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return bin, dir
}

// primaryAndReplica starts a Redis and a replica of it for one test.
func primaryAndReplica(tb testing.TB) (primary, replica *stack.Redis) {
	tb.Helper()
	bin, dir := redisServer(tb)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, d := range []string{"primary", "replica"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	primary, err := stack.StartRedis(ctx, bin, filepath.Join(dir, "primary"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(primary.Stop)
	replica, err = stack.StartRedisReplica(ctx, bin, filepath.Join(dir, "replica"), primary)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(replica.Stop)
	return primary, replica
}

// connect connects to url for the rest of the test and its cleanups.
func connect(tb testing.TB, url string) goredis.UniversalClient {
	tb.Helper()
	c, err := redis.Connect(url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// commandCalls returns how often each of names ran on the servers, summed.
func commandCalls(tb testing.TB, servers []*stack.Redis, names ...string) map[string]int64 {
	tb.Helper()
	out := map[string]int64{}
	for _, r := range servers {
		st, err := r.CommandStats(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		for _, n := range names {
			out[n] += st[n].Calls
		}
	}
	return out
}

// appendAll appends vs at once and returns each one's error.
func appendAll(s *redis.Store, vs []*voting.Vote) []error {
	errs := make([]error, len(vs))
	var wg sync.WaitGroup
	for i, v := range vs {
		wg.Go(func() { errs[i] = s.Append(context.Background(), v) })
	}
	wg.Wait()
	return errs
}

// TestStore_Append_ackReplicas: with AckReplicas 1 on a Redis with one
// replica, votes are recorded with one WAIT per pipeline, not per vote;
// with the replica down, a vote is recorded on the primary but answered
// ErrOutcomeUnknown, never success; once the replica is back, its retry is
// a duplicate and it is in the log and the tally once.
func TestStore_Append_ackReplicas(t *testing.T) {
	t.Parallel()
	primary, replica := primaryAndReplica(t)
	c := connect(t, primary.URL())
	obs := &observer{}
	o := redis.Options{Prefix: testenv.ID(t), Shards: 4, AckReplicas: 1, AckTimeout: 800 * time.Millisecond, Observer: obs}
	s := newStore(t, c, o)
	g := newVotes(t)
	ctx := context.Background()
	if err := primary.ResetCommandStats(ctx); err != nil {
		t.Fatal(err)
	}

	// Writes held back on the primary make the votes queue behind the
	// first pipeline; all of them are on shard 0, so each pipeline is one
	// script call and one WAIT.
	if err := primary.Client.Do(ctx, "CLIENT", "PAUSE", 300, "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	const n = 64
	vs := make([]*voting.Vote, n)
	for i := range vs {
		vs[i] = g.vote(int64(4*(i+1)), "C1", "p1")
	}
	for i, err := range appendAll(s, vs) {
		if err != nil {
			t.Fatalf("append %d with the replica up: %v", i, err)
		}
	}
	calls := commandCalls(t, []*stack.Redis{primary}, "wait", "evalsha")
	if calls["wait"] < 1 || calls["wait"] != calls["evalsha"] || calls["wait"] >= n {
		t.Errorf("%d WAIT and %d EVALSHA for %d votes of one shard; want one WAIT per pipeline, fewer than the votes", calls["wait"], calls["evalsha"], n)
	}
	if obs.ok.Load() != calls["wait"] || obs.failed.Load() != 0 {
		t.Errorf("observed %d replicated and %d not; want %d and 0", obs.ok.Load(), obs.failed.Load(), calls["wait"])
	}

	replica.Kill()
	lost := g.vote(1000, "C1", "p1")
	err := s.Append(ctx, lost)
	if !errors.Is(err, voting.ErrOutcomeUnknown) {
		t.Fatalf("append with the replica down: %v; want outcome unknown", err)
	}
	if obs.failed.Load() != 1 {
		t.Errorf("observed %d pipelines not replicated, want 1", obs.failed.Load())
	}
	// Refusals are answered as without replicas: a duplicate is a
	// duplicate whatever the replicas say.
	if err := s.Append(ctx, g.vote(4, "C1", "p2")); !errors.Is(err, voting.ErrDuplicate) {
		t.Errorf("duplicate with the replica down: %v; want ErrDuplicate", err)
	}
	if got := logVotes(t, c, o.Prefix, s.Shards()); got != n+1 {
		t.Errorf("log holds %d votes with the replica down; want %d, the unreplicated one included", got, n+1)
	}

	ctx2, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := replica.Restart(ctx2); err != nil {
		t.Fatal(err)
	}
	if err := replica.WaitReplicaOf(ctx2, primary, time.Minute); err != nil {
		t.Fatal(err)
	}
	retry := *lost
	retry.ID += "-retry"
	if err := s.Append(ctx, &retry); !errors.Is(err, voting.ErrDuplicate) {
		t.Fatalf("retry once the replica is back: %v; want ErrDuplicate", err)
	}
	if err := s.Append(ctx, g.vote(1004, "C1", "p1")); err != nil {
		t.Fatalf("new vote once the replica is back: %v", err)
	}
	if got := logVotes(t, c, o.Prefix, s.Shards()); got != n+2 {
		t.Errorf("log holds %d votes; want %d: the retried vote once", got, n+2)
	}
	if got := tallyTotal(t, s, g.edition); got != n+2 {
		t.Errorf("tally %d; want %d", got, n+2)
	}
}

// TestStore_Append_ackReplicasCluster: on a cluster of three masters with a
// replica each, AckReplicas 1 sends WAIT to each master a pipeline writes
// to, on the connection of its script calls; with one master's replica
// down, the votes of that master's shards are answered ErrOutcomeUnknown
// and the others' are recorded as usual.
func TestStore_Append_ackReplicasCluster(t *testing.T) {
	t.Parallel()
	bin, dir := redisServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl, err := stack.StartRedisClusterWith(ctx, bin, dir, stack.ClusterOptions{Masters: 3, Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Stop)
	c := connect(t, cl.URL())
	obs := &observer{}
	o := redis.Options{Prefix: testenv.ID(t), AckReplicas: 1, AckTimeout: 800 * time.Millisecond, Observer: obs}
	s := newStore(t, c, o)
	g := newVotes(t)
	for _, m := range cl.Masters {
		if err := m.ResetCommandStats(ctx); err != nil {
			t.Fatal(err)
		}
	}
	shards := int64(s.Shards())
	vs := make([]*voting.Vote, 3*shards)
	for i := range vs {
		vs[i] = g.vote(int64(i+1), "C1", "p1")
	}
	for i, err := range appendAll(s, vs) {
		if err != nil {
			t.Fatalf("append %d with every replica up: %v", i, err)
		}
	}
	calls := commandCalls(t, cl.Masters, "wait", "evalsha")
	if calls["wait"] < 3 || calls["wait"] > calls["evalsha"] {
		t.Errorf("%d WAIT and %d EVALSHA on the masters; want one WAIT per master a pipeline wrote to", calls["wait"], calls["evalsha"])
	}
	if obs.failed.Load() != 0 {
		t.Errorf("%d pipelines not replicated with every replica up", obs.failed.Load())
	}

	placement, err := s.Placement(ctx)
	if err != nil {
		t.Fatal(err)
	}
	down := map[int64]bool{}
	for _, shard := range placement[cl.Masters[0].Addr()] {
		down[int64(shard)] = true
	}
	if len(down) == 0 {
		t.Fatalf("placement %v: the first master holds no shard", placement)
	}
	cl.Replicas[0][0].Kill()
	vs = vs[:0]
	for voter := range shards {
		vs = append(vs, g.vote(1000*shards+voter, "C1", "p1"))
	}
	for i, err := range appendAll(s, vs) {
		shard := vs[i].VoterID % shards
		switch {
		case down[shard] && !errors.Is(err, voting.ErrOutcomeUnknown):
			t.Errorf("shard %d, its master's replica down: %v; want outcome unknown", shard, err)
		case !down[shard] && err != nil:
			t.Errorf("shard %d, its master's replica up: %v", shard, err)
		}
	}
	if got, want := logVotes(t, c, o.Prefix, s.Shards()), 4*shards; got != want {
		t.Errorf("log holds %d votes, want %d: the unreplicated ones are on their master", got, want)
	}
}

// TestNew_ackReplicas: settings of AckReplicas that cannot work are refused
// before Redis is asked anything.
func TestNew_ackReplicas(t *testing.T) {
	one := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1", ReadTimeout: time.Second})
	defer one.Close()
	ring := goredis.NewRing(&goredis.RingOptions{Addrs: map[string]string{"a": "127.0.0.1:1"}})
	defer ring.Close()
	for name, tc := range map[string]struct {
		c goredis.UniversalClient
		o redis.Options
	}{
		"negative":                  {one, redis.Options{AckReplicas: -1}},
		"timeout beyond the read's": {one, redis.Options{AckReplicas: 1, AckTimeout: time.Second}},
		"a ring":                    {ring, redis.Options{AckReplicas: 1}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := redis.New(context.Background(), tc.c, tc.o); !errors.Is(err, kind.ErrInvalid) {
				t.Errorf("new: %v; want kind.ErrInvalid", err)
			}
		})
	}
}
