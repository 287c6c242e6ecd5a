package redis

import (
	"context"
	"fmt"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

// node is one master's part of a pipeline sent with Options.AckReplicas:
// the script calls whose shards it holds, then the WAIT that follows them
// on the same connection. WAIT takes no key and counts the writes of its
// own connection, so it must go to the master the calls went to, in the
// same pipeline.
type node struct {
	client *goredis.Client
	calls  []int
	wait   *goredis.Cmd
	took   time.Duration
}

// checkAck refuses Options.AckReplicas on a client whose pipelines cannot
// be pinned to one connection per master, and an AckTimeout that the
// client's read timeout would cut short: the whole pipeline, WAIT included,
// is read under that timeout.
func checkAck(c goredis.UniversalClient, o Options) error {
	if o.AckReplicas < 0 {
		return fmt.Errorf("ack replicas %d: %w", o.AckReplicas, kind.ErrInvalid)
	}
	if o.AckReplicas == 0 {
		return nil
	}
	var read time.Duration
	switch c := c.(type) {
	case *goredis.Client:
		read = c.Options().ReadTimeout
	case *goredis.ClusterClient:
		read = c.Options().ReadTimeout
	default:
		return fmt.Errorf("ack replicas with a %T: only a single server or a cluster: %w", c, kind.ErrInvalid)
	}
	if read > 0 && o.AckTimeout >= read {
		return fmt.Errorf("ack timeout %s not shorter than the redis read timeout %s: %w", o.AckTimeout, read, kind.ErrInvalid)
	}
	return nil
}

// master returns the client of the master that holds shard's keys: the
// client itself for a single server, the node the cluster client's slot
// map names for a cluster.
func (s *Store) master(ctx context.Context, shard int) (*goredis.Client, error) {
	switch c := s.c.(type) {
	case *goredis.Client:
		return c, nil
	case *goredis.ClusterClient:
		return c.MasterForKey(ctx, s.keys[shard].log)
	}
	return nil, fmt.Errorf("unsupported redis client %T: %w", s.c, kind.ErrInvalid)
}

// execReplicated sends b.calls as one pipeline per master, each its script
// calls and one WAIT for Options.AckReplicas replicas, the masters at
// once. A master whose WAIT answers fewer replicas, or fails, marks its
// calls unreplicated, so that no vote they recorded is answered as a
// success. On a cluster, a call that failed (a MOVED after a failover, a
// dead node) makes the client reload its slot map for the next pipeline:
// going to a node directly skips the cluster client's own redirections.
func (b *sender) execReplicated(ctx context.Context, s *Store) {
	b.nodes = b.nodes[:0]
next:
	for i := range b.calls {
		c := &b.calls[i]
		c.unreplicated = nil
		m, err := s.master(ctx, c.shard)
		if err != nil {
			c.cmd = goredis.NewCmd(ctx)
			c.cmd.SetErr(err)
			continue
		}
		for j := range b.nodes {
			if b.nodes[j].client == m {
				b.nodes[j].calls = append(b.nodes[j].calls, i)
				continue next
			}
		}
		b.nodes = append(b.nodes, node{client: m, calls: []int{i}})
	}
	pipes := make([]goredis.Pipeliner, len(b.nodes))
	for j := range b.nodes {
		n := &b.nodes[j]
		pipes[j] = n.client.Pipeline()
		for _, i := range n.calls {
			b.calls[i].cmd = b.evalSha(ctx, pipes[j], s, &b.calls[i])
		}
		n.wait = pipes[j].Do(ctx, "WAIT", s.opts.AckReplicas, max(s.opts.AckTimeout.Milliseconds(), 1))
	}
	exec := func(j int) {
		start := time.Now()
		_, _ = pipes[j].Exec(ctx)
		b.nodes[j].took = time.Since(start)
	}
	if len(b.nodes) == 1 {
		exec(0)
	} else {
		var wg sync.WaitGroup
		for j := range b.nodes {
			wg.Go(func() { exec(j) })
		}
		wg.Wait()
	}
	for j := range b.nodes {
		n := &b.nodes[j]
		got, err := n.wait.Int64()
		ok := err == nil && got >= int64(s.opts.AckReplicas)
		if s.opts.Observer != nil {
			s.opts.Observer.Replicated(n.took, ok)
		}
		var unreplicated error
		switch {
		case err != nil:
			unreplicated = fmt.Errorf("wait for %d replicas: %w: %w", s.opts.AckReplicas, voting.ErrOutcomeUnknown, err)
		case !ok:
			unreplicated = fmt.Errorf("recorded, but %d of %d replicas acknowledged it within %s: %w",
				got, s.opts.AckReplicas, s.opts.AckTimeout, voting.ErrOutcomeUnknown)
		}
		for _, i := range n.calls {
			b.calls[i].unreplicated = unreplicated
		}
		n.client, n.wait = nil, nil
		n.calls = n.calls[:0]
	}
	cc, ok := s.c.(*goredis.ClusterClient)
	if !ok {
		return
	}
	for i := range b.calls {
		if b.calls[i].cmd.Err() != nil {
			cc.ReloadState(ctx)
			return
		}
	}
}
