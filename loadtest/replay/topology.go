package replay

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/wsisvote/prizes/loadtest/stack"
)

// Topology is how the deployment a replay starts is laid out. The zero
// value is the single node: one prizes serve with the flusher inside it and
// one standalone Redis. Any other is the design scaled out on one machine:
// a Redis Cluster, several stateless API nodes with the generator spreading
// its connections over them as a load balancer would, and the flushers as
// processes of their own sharing the log as one consumer group.
type Topology struct {
	// RedisMasters, when positive, makes Redis a cluster of that many
	// masters instead of one server.
	RedisMasters int `json:"redis_masters,omitempty"`
	// APINodes is the number of prizes serve processes; zero means one.
	APINodes int `json:"api_nodes,omitempty"`
	// Flushers, when positive, runs that many prizes flush processes and
	// the API nodes without a flusher of their own.
	Flushers int `json:"flushers,omitempty"`
}

func (t Topology) nodes() int { return max(t.APINodes, 1) }

// Single reports whether t is the single node.
func (t Topology) Single() bool {
	return t.RedisMasters == 0 && t.nodes() == 1 && t.Flushers == 0
}

// Validate says what is wrong with t, if anything.
func (t Topology) Validate() error {
	if t.RedisMasters < 0 || t.APINodes < 0 || t.Flushers < 0 {
		return fmt.Errorf("topology: %d redis masters, %d api nodes, %d flushers: none may be negative",
			t.RedisMasters, t.APINodes, t.Flushers)
	}
	return nil
}

// String describes t in words, for the report.
func (t Topology) String() string {
	redis := "one Redis"
	if t.RedisMasters > 0 {
		redis = fmt.Sprintf("a %d-master Redis Cluster", t.RedisMasters)
	}
	flush := "the flusher inside prizes serve"
	if t.Flushers > 0 {
		flush = fmt.Sprintf("%d prizes flush %s and none inside prizes serve", t.Flushers, plural(t.Flushers, "process", "processes"))
	}
	return fmt.Sprintf("%d prizes serve %s, %s, %s", t.nodes(), plural(t.nodes(), "node", "nodes"), flush, redis)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Spread is how the work fell on the parts of a scaled-out deployment, read
// once the flush has drained: the figures that say whether adding a part
// adds capacity, since a part that takes little of the work would not.
type Spread struct {
	Masters  []MasterShare `json:"masters,omitempty"`
	APINodes []NodeShare   `json:"api_nodes,omitempty"`
	Flushers []NodeShare   `json:"flushers,omitempty"`
}

// MasterShare is one Redis Cluster master's part, from DBSIZE and INFO.
type MasterShare struct {
	Addr string `json:"addr"`
	// Keys is the number of keys the master holds once the log is flushed:
	// dedup bitmaps, tallies, rate limits and the shards' empty logs.
	Keys int64 `json:"keys"`
	// ScriptCalls counts append script calls, each the votes of one shard
	// in one pipeline.
	ScriptCalls int64 `json:"script_calls"`
	// SlotClaims counts SETBIT calls: about one per vote attempt that
	// passed the rate limit, duplicates included.
	SlotClaims int64 `json:"slot_claims"`
	// CPUSeconds is what the master used since it started.
	CPUSeconds float64 `json:"cpu_s"`
}

// NodeShare is one process's part: votes answered by an API node, votes
// inserted into the ledger by a flusher.
type NodeShare struct {
	Name  string  `json:"name"`
	Votes float64 `json:"votes"`
}

// startRedis starts the standalone Redis or the cluster the topology asks
// for, and notes its URL.
func (r *run) startRedis(ctx context.Context) error {
	if n := r.cfg.Topology.RedisMasters; n > 0 {
		c, err := stack.StartRedisCluster(ctx, r.cfg.RedisServer, r.dir, n)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		r.cluster, r.redisURL = c, c.URL()
		r.rep.Machine.Redis = c.Masters[0].Version(ctx)
		return nil
	}
	redis, err := stack.StartRedis(ctx, r.cfg.RedisServer, r.dir)
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	r.redis, r.redisURL = redis, redis.URL()
	r.rep.Machine.Redis = redis.Version(ctx)
	return nil
}

// startNodes starts the API nodes and the flushers with env, each with its
// own address and consumer name, and waits until every one is ready.
func (r *run) startNodes(ctx context.Context, env []string) error {
	t := r.cfg.Topology
	for i := range t.nodes() {
		addr, err := stack.FreePort()
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		nodeEnv := append(slices.Clone(env), "PRIZES_HTTP_ADDR="+addr, fmt.Sprintf("PRIZES_CONSUMER=replay-serve-%d", i+1))
		if t.Flushers > 0 {
			nodeEnv = append(nodeEnv, "PRIZES_FLUSH=false")
		}
		name := nodeName("prizes serve", i, t.nodes())
		p, err := stack.Start(name, filepath.Join(r.dir, fmt.Sprintf("serve-%d.log", i+1)), nodeEnv, r.cfg.Prizes, "serve")
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		r.serves = append(r.serves, p)
		r.addrs = append(r.addrs, addr)
	}
	for i := range t.Flushers {
		addr, err := stack.FreePort()
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		name := nodeName("prizes flush", i, t.Flushers)
		p, err := stack.Start(name, filepath.Join(r.dir, fmt.Sprintf("flush-%d.log", i+1)),
			append(slices.Clone(env), fmt.Sprintf("PRIZES_CONSUMER=replay-flush-%d", i+1)),
			r.cfg.Prizes, "flush", "--metrics-addr", addr)
		if err != nil {
			return fmt.Errorf("replay: %w", err)
		}
		r.flushers = append(r.flushers, p)
		r.flushMetrics = append(r.flushMetrics, "http://"+addr+"/metrics")
	}
	for i, p := range r.serves {
		if err := p.WaitHTTP(ctx, "http://"+r.addrs[i]+"/readyz", time.Minute); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	for i, p := range r.flushers {
		if err := p.WaitHTTP(ctx, r.flushMetrics[i], time.Minute); err != nil {
			return fmt.Errorf("replay: %w", err)
		}
	}
	return nil
}

// nodeName names the i-th of n processes of a kind: by the kind alone when
// it is the only one, as the single node's reports always have.
func nodeName(kind string, i, n int) string {
	if n == 1 {
		return kind
	}
	return fmt.Sprintf("%s %d", kind, i+1)
}

// sampler reads the CPU of the replay's processes, each kind summed over
// its processes, and PostgreSQL by its port.
func (r *run) sampler() *stack.CPUSampler {
	pids := func(ps []*stack.Process) []int {
		out := make([]int, len(ps))
		for i, p := range ps {
			out[i] = p.PID()
		}
		return out
	}
	groups := map[string][]int{"prizes serve": pids(r.serves)}
	if len(r.flushers) > 0 {
		groups["prizes flush"] = pids(r.flushers)
	}
	if r.cluster != nil {
		for _, m := range r.cluster.Masters {
			groups["redis"] = append(groups["redis"], m.PID())
		}
	} else {
		groups["redis"] = []int{r.redis.PID()}
	}
	return &stack.CPUSampler{PIDs: map[string]int{"loadgen": os.Getpid()}, Groups: groups, PostgresPort: stack.PortOf(r.cfg.DatabaseURL)}
}

// spread reads each part's share of the work into the report. It is only
// read for a scaled-out topology, and a part that cannot be read is a
// problem of the report, not a failure of the replay.
func (r *run) spread(ctx context.Context) {
	if r.cfg.Topology.Single() {
		return
	}
	sp := &Spread{}
	var errs []error
	if r.cluster != nil {
		for _, m := range r.cluster.Masters {
			share, err := masterShare(ctx, m)
			errs = append(errs, err)
			sp.Masters = append(sp.Masters, share)
		}
	}
	if len(r.serves) > 1 {
		for i, addr := range r.addrs {
			v, err := stack.ScrapeSum(ctx, "http://"+addr+"/metrics", "prizes_votes_total")
			errs = append(errs, err)
			sp.APINodes = append(sp.APINodes, NodeShare{Name: nodeName("prizes serve", i, len(r.addrs)), Votes: v})
		}
	}
	for i, url := range r.flushMetrics {
		v, err := stack.ScrapeSum(ctx, url, "prizes_flush_inserted_total")
		errs = append(errs, err)
		sp.Flushers = append(sp.Flushers, NodeShare{Name: nodeName("prizes flush", i, len(r.flushMetrics)), Votes: v})
	}
	if err := errors.Join(errs...); err != nil {
		r.rep.Problems = append(r.rep.Problems, "spread: "+err.Error())
	}
	r.rep.Spread = sp
}

// masterShare reads one master's keys, append work and CPU.
func masterShare(ctx context.Context, m *stack.Redis) (MasterShare, error) {
	share := MasterShare{Addr: m.Addr()}
	keys, err := m.Client.DBSize(ctx).Result()
	if err != nil {
		return share, fmt.Errorf("master %s: dbsize: %w", m.Addr(), err)
	}
	share.Keys = keys
	cmds, err := m.CommandStats(ctx)
	if err != nil {
		return share, fmt.Errorf("master %s: %w", m.Addr(), err)
	}
	share.ScriptCalls = cmds["evalsha"].Calls + cmds["eval"].Calls
	share.SlotClaims = cmds["setbit"].Calls
	cpu, err := m.Info(ctx, "cpu")
	if err != nil {
		return share, fmt.Errorf("master %s: %w", m.Addr(), err)
	}
	for _, k := range []string{"used_cpu_sys", "used_cpu_user"} {
		var v float64
		if _, err := fmt.Sscan(strings.TrimSpace(cpu[k]), &v); err != nil {
			return share, fmt.Errorf("master %s: %s %q: %w", m.Addr(), k, cpu[k], err)
		}
		share.CPUSeconds += v
	}
	return share, nil
}

// stopNodes stops the flushers and the API nodes, the flushers first, and
// notes any that did not stop cleanly.
func (r *run) stopNodes() {
	for _, p := range append(slices.Clone(r.flushers), r.serves...) {
		if err := p.Stop(20 * time.Second); err != nil {
			r.rep.Problems = append(r.rep.Problems, fmt.Sprintf("stop %s: %v: %s", p.Name(), err, p.LogTail()))
		}
	}
}
