package failover

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/chaos"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// edition is the edition the drill votes in.
const edition = "failover"

// shards is the number of vote log shards the drill's prizes use.
const shards = 16

// deployment is what one run starts and breaks: a Redis Cluster of three
// masters with a replica each, a database of its own, two prizes serve
// nodes without a flusher and one prizes flush.
type deployment struct {
	cfg     Config
	ack     int
	dir     string
	cluster *stack.Cluster
	db      *stack.Database
	prizes  *stack.Prizes
	serves  []*stack.Process
	flush   *stack.Process
	// victim is the index of the master the drill kills; the probe votes
	// on its shards only.
	victim int
	loads  []*chaos.Load
	probe  *probe
}

func (d *deployment) logf(format string, args ...any) {
	fmt.Fprintf(d.cfg.Log, "failover: "+format+"\n", args...)
}

// provision starts the cluster and the prizes processes, migrates, seeds
// the edition, creates the voters and prepares the load and the probe.
func (d *deployment) provision(ctx context.Context, rep *Report) error {
	cfg := d.cfg
	dir, err := os.MkdirTemp(cfg.TempDir, "prizes-failover-")
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	d.dir = dir
	d.cluster, err = stack.StartRedisClusterWith(ctx, cfg.RedisServer, filepath.Join(dir, "redis"), stack.ClusterOptions{
		Masters: 3, Replicas: 1, NodeTimeout: cfg.NodeTimeout, Durable: true})
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	rep.Machine.Redis = d.cluster.Masters[0].Version(ctx)
	if d.db, err = stack.CreateDatabase(ctx, cfg.DatabaseURL, "failover_"); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	rep.Machine.Postgres = d.db.Version(ctx)
	env := append([]string{"PRIZES_DATABASE_URL=" + d.db.URL, "PRIZES_REDIS_URL=" + d.cluster.URL(),
		"PRIZES_SHARDS=" + strconv.Itoa(shards), "PRIZES_ACK_REPLICAS=" + strconv.Itoa(d.ack)}, serveEnv...)
	if cfg.AckTimeout > 0 {
		env = append(env, "PRIZES_ACK_TIMEOUT="+cfg.AckTimeout.String())
	}
	d.prizes = &stack.Prizes{Bin: cfg.Prizes, Env: stack.ChildEnv(cfg.Env, env...)}
	if _, _, err := d.prizes.Run(ctx, "migrate"); err != nil {
		return err
	}
	if _, _, err := d.prizes.Run(ctx, "seed", "--demo", "--phases=false", "--edition", edition); err != nil {
		return err
	}
	var addrs []string
	for i := range 2 {
		addr, err := stack.FreePort()
		if err != nil {
			return fmt.Errorf("failover: %w", err)
		}
		nodeEnv := append(slices.Clone(d.prizes.Env), "PRIZES_HTTP_ADDR="+addr,
			fmt.Sprintf("PRIZES_CONSUMER=failover-serve-%d", i+1), "PRIZES_FLUSH=false")
		p, err := stack.Start(fmt.Sprintf("prizes serve %d", i+1), filepath.Join(dir, fmt.Sprintf("serve-%d.log", i+1)), nodeEnv, cfg.Prizes, "serve")
		if err != nil {
			return fmt.Errorf("failover: %w", err)
		}
		d.serves = append(d.serves, p)
		if err := p.WaitHTTP(ctx, "http://"+addr+"/readyz", time.Minute); err != nil {
			return fmt.Errorf("failover: %w", err)
		}
		addrs = append(addrs, addr)
	}
	flushAddr, err := stack.FreePort()
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	flushEnv := append(slices.Clone(d.prizes.Env), "PRIZES_CONSUMER=failover-flush")
	if d.flush, err = stack.Start("prizes flush", filepath.Join(dir, "flush.log"), flushEnv, cfg.Prizes, "flush", "--metrics-addr", flushAddr); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	if err := d.flush.WaitHTTP(ctx, "http://"+flushAddr+"/metrics", time.Minute); err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	return d.prepareLoad(ctx, rep, addrs)
}

// prepareLoad creates the voters and splits them: those on the victim's
// shards give the probe its ballots, the others and the rest of those the
// load's, so that no ballot is cast twice.
func (d *deployment) prepareLoad(ctx context.Context, rep *Report, addrs []string) error {
	cfg := d.cfg
	base := "http://" + addrs[0]
	projects, err := loadtest.FetchProjects(ctx, &http.Client{Timeout: 10 * time.Second}, base, edition)
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	categories := map[string]bool{}
	for _, p := range projects {
		categories[p.Category] = true
	}
	victimShards, err := d.shardsOf(ctx, d.cluster.Masters[d.victim].Addr())
	if err != nil {
		return err
	}
	rep.Settings.VictimShards = len(victimShards)
	// The load runs for Before, the failover (a minute at most) and After;
	// the voters give twice the ballots that needs, and the probe's share
	// of them, on the victim's shards, twice what it can cast.
	span := cfg.Before + cfg.After + time.Minute
	maxVotes := int64(cfg.Rate * span.Seconds())
	wantProbe := int(2*int64(span/cfg.ProbeEvery))/len(categories) + 1
	voters := int(2*maxVotes)/len(categories) + 1 + wantProbe*shards/len(victimShards)
	rep.Settings.Voters, rep.Settings.Categories = voters, len(categories)
	d.logf("creating %d voters", voters)
	votersFile := filepath.Join(d.dir, "voters.tsv")
	if _, _, err := d.prizes.Run(ctx, "voters", "--edition", edition, "--count", strconv.Itoa(voters), "--out", votersFile); err != nil {
		return err
	}
	vs, err := loadtest.LoadVoters(votersFile)
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	var main, probed []loadtest.Voter
	for _, v := range vs {
		if len(probed) < wantProbe && victimShards[v.ID%shards] {
			probed = append(probed, v)
		} else {
			main = append(main, v)
		}
	}
	mainBallots, err := loadtest.NewBallots(main, projects, loadtest.BallotOptions{Seed: 1})
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	probeBallots, err := loadtest.NewBallots(probed, projects, loadtest.BallotOptions{Seed: 2})
	if err != nil {
		return fmt.Errorf("failover: %w", err)
	}
	for i, addr := range addrs {
		target, err := loadtest.ParseTarget("http://"+addr, edition)
		if err != nil {
			return fmt.Errorf("failover: %w", err)
		}
		d.loads = append(d.loads, &chaos.Load{
			Addr: target.Addr, Votes: loadtest.NewVotes(target, mainBallots), Ballots: mainBallots,
			Rate: cfg.Rate / float64(len(addrs)), Workers: max(cfg.Workers/len(addrs), 1),
			Timeout: 5 * time.Second, RetryFor: cfg.RetryFor, MaxVotes: maxVotes / int64(len(addrs)),
		})
		if i == 0 {
			d.probe = &probe{addr: target.Addr, votes: loadtest.NewVotes(target, probeBallots), ballots: probeBallots, every: cfg.ProbeEvery}
		}
	}
	return nil
}

// shardsOf returns the vote log shards whose keys the master at addr holds.
func (d *deployment) shardsOf(ctx context.Context, addr string) (map[int64]bool, error) {
	c := d.cluster.Masters[0].Client
	cs, err := c.ClusterShards(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("failover: cluster shards: %w", err)
	}
	var held []goredis.SlotRange
	for _, sh := range cs {
		for _, n := range sh.Nodes {
			if n.Role == "master" && net.JoinHostPort(n.IP, strconv.FormatInt(n.Port, 10)) == addr {
				held = append(held, sh.Slots...)
			}
		}
	}
	out := map[int64]bool{}
	for shard := range int64(shards) {
		slot, err := c.ClusterKeySlot(ctx, "{v"+strconv.FormatInt(shard, 10)+"}").Result()
		if err != nil {
			return nil, fmt.Errorf("failover: key slot: %w", err)
		}
		for _, r := range held {
			if r.Start <= slot && slot <= r.End {
				out[shard] = true
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("failover: master %s holds no shard", addr)
	}
	return out, nil
}

// teardown stops everything the run started, flush and serve first, drops
// its database and removes its files; it returns what did not stop
// cleanly.
func (d *deployment) teardown() []string {
	var problems []string
	for _, p := range append([]*stack.Process{d.flush}, d.serves...) {
		if p == nil {
			continue
		}
		if err := p.Stop(20 * time.Second); err != nil {
			problems = append(problems, fmt.Sprintf("stop %s: %v: %s", p.Name(), err, p.LogTail()))
		}
	}
	d.cluster.Stop()
	if d.db != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := d.db.Drop(ctx); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
	return problems
}
