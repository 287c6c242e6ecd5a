package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	vredis "github.com/wsisvote/prizes/voting/redis"
)

// config is every setting of the prizes binary. It is parsed once, here, from
// flags whose defaults come from PRIZES_* environment variables; a secret may
// instead be read from the file named by the same variable with _FILE added.
type config struct {
	HTTPAddr       string
	RedisURL       string
	RedisPrefix    string
	PprofAddr      string
	DatabaseURL    string
	Shards         int
	Flush          bool
	Consumer       string
	TrustedProxies string
	BatchSize      int
	BatchWait      time.Duration
	ClaimIdle      time.Duration
	RedisDeadline  time.Duration
	// AckReplicas is how many replicas must hold a pipeline's votes before
	// any is answered 202 (0: the master alone); AckTimeout bounds the wait.
	AckReplicas int
	AckTimeout  time.Duration
	// FraudAnalyzeEvery is how often serve analyses the ledger of an
	// edition that is voting or counting (0: never).
	FraudAnalyzeEvery time.Duration
	PipelineSize      int
	Workers           int
	GCPercent         int
	FraudScorer       string
	// Log says whether the flusher appends votes to the transparency log.
	Log bool
	// CheckpointEvery is how often serve signs checkpoints of the vote logs
	// that grew (0: never).
	CheckpointEvery time.Duration
	Identity        identityConfig
	Site            siteConfig
	HTTP            httpConfig
	Notify          notifyConfig
	Files           filesConfig
}

type env func(string) string

// lookup returns PRIZES_<name>, or the trimmed content of the file named by
// PRIZES_<name>_FILE.
func (e env) lookup(name string) (string, error) {
	if v := e("PRIZES_" + name); v != "" {
		return v, nil
	}
	if path := e("PRIZES_" + name + "_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", fmt.Errorf("read PRIZES_%s_FILE: %w", name, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", nil
}

// binder registers flags whose defaults come from PRIZES_* variables, so a
// flag always wins over the environment and -h shows both names.
type binder struct {
	fs *flag.FlagSet
	e  env
}

func (b binder) str(p *string, flagName, envName, def, usage string) error {
	v, err := b.e.lookup(envName)
	if err != nil {
		return err
	}
	if v == "" {
		v = def
	}
	b.fs.StringVar(p, flagName, v, usage+" (env PRIZES_"+envName+")")
	return nil
}

func (b binder) num(p *int, flagName, envName string, def int, usage string) error {
	v, err := b.e.lookup(envName)
	if err != nil {
		return err
	}
	n := def
	if v != "" {
		if n, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("PRIZES_%s: %w", envName, err)
		}
	}
	b.fs.IntVar(p, flagName, n, usage+" (env PRIZES_"+envName+")")
	return nil
}

func (b binder) dur(p *time.Duration, flagName, envName string, def time.Duration, usage string) error {
	v, err := b.e.lookup(envName)
	if err != nil {
		return err
	}
	d := def
	if v != "" {
		if d, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("PRIZES_%s: %w", envName, err)
		}
	}
	b.fs.DurationVar(p, flagName, d, usage+" (env PRIZES_"+envName+")")
	return nil
}

// bind registers the shared flags on fs with defaults from the environment.
func (c *config) bind(fs *flag.FlagSet, e env) error {
	b := binder{fs: fs, e: e}
	str, num, dur := b.str, b.num, b.dur
	host, _ := os.Hostname()
	flush := true
	if v, _ := e.lookup("FLUSH"); v != "" {
		flush, _ = strconv.ParseBool(v)
	}
	fs.BoolVar(&c.Flush, "flush", flush, "run the flusher inside serve (env PRIZES_FLUSH)")
	logOn := true
	if v, _ := e.lookup("TRANSPARENCY_LOG"); v != "" {
		logOn, _ = strconv.ParseBool(v)
	}
	fs.BoolVar(&c.Log, "transparency-log", logOn,
		"append every vote to its edition's transparency log as the flusher commits it; off, editions publish no log (env PRIZES_TRANSPARENCY_LOG)")
	for _, err := range []error{
		str(&c.HTTPAddr, "http-addr", "HTTP_ADDR", "127.0.0.1:8080", "address the API listens on"),
		str(&c.RedisURL, "redis-url", "REDIS_URL", "redis://127.0.0.1:6379/0",
			"Redis URL; a comma-separated host:port list or redis-cluster://host:port,... means Redis Cluster"),
		str(&c.PprofAddr, "pprof-addr", "PPROF_ADDR", "", "address to serve Go profiles on (/debug/pprof/); none when empty, keep it on loopback"),
		str(&c.RedisPrefix, "redis-prefix", "REDIS_PREFIX", "",
			"namespace for every Redis key, so several deployments can share one Redis"),
		str(&c.DatabaseURL, "database-url", "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prizes?sslmode=disable", "PostgreSQL URL"),
		str(&c.Consumer, "consumer", "CONSUMER", fmt.Sprintf("%s-%d", host, os.Getpid()),
			"this flusher's consumer name in the vote log's consumer group; keep it stable across restarts"),
		str(&c.TrustedProxies, "trusted-proxies", "TRUSTED_PROXIES", "", "comma-separated proxy addresses or CIDRs whose X-Forwarded-For is believed"),
		str(&c.FraudScorer, "fraud-scorer", "FRAUD_SCORER", "on",
			"score every vote for fraud as it is cast and record it counted, flagged or rejected by the edition's thresholds (on), or count every vote (off)"),
		num(&c.Shards, "shards", "SHARDS", 16, "number of vote log shards (must be the same on every node)"),
		num(&c.BatchSize, "flush-batch", "FLUSH_BATCH", 2000, "most votes per ledger transaction"),
		num(&c.PipelineSize, "pipeline", "PIPELINE", 512, "most votes per Redis pipeline"),
		num(&c.AckReplicas, "ack-replicas", "ACK_REPLICAS", 0,
			"replicas of a master that must hold a vote before it is answered 202 (WAIT once per pipeline); a vote not replicated in time is answered 503 outcome_unknown (0: the master alone)"),
		num(&c.Workers, "redis-workers", "REDIS_WORKERS", 1, "goroutines sending vote pipelines to Redis"),
		num(&c.GCPercent, "gc-percent", "GC_PERCENT", 400,
			"garbage collection target of serve and flush, as GOGC (0 keeps GOGC or the runtime's default)"),
		dur(&c.BatchWait, "flush-wait", "FLUSH_WAIT", 50*time.Millisecond, "how long a partial flush batch waits for more votes"),
		dur(&c.ClaimIdle, "claim-idle", "CLAIM_IDLE", 15*time.Second, "how long a vote may stay pending with a dead flusher before another takes it"),
		dur(&c.FraudAnalyzeEvery, "fraud-analyze-every", "FRAUD_ANALYZE_EVERY", 15*time.Minute,
			"how often serve runs the fraud analyser on the ledger of an edition that is voting or counting, and stores its cases (0: never)"),
		dur(&c.CheckpointEvery, "checkpoint-every", "CHECKPOINT_EVERY", time.Minute,
			"how often serve signs a checkpoint of every vote log that grew (0: never)"),
		dur(&c.AckTimeout, "ack-timeout", "ACK_TIMEOUT", 500*time.Millisecond,
			"how long a vote pipeline waits for --ack-replicas replicas; keep it under --redis-deadline"),
		dur(&c.RedisDeadline, "redis-deadline", "REDIS_DEADLINE", 1500*time.Millisecond,
			"how long a request waits on Redis (and for a retried vote's original to reach the ledger) before it is answered 503"),
	} {
		if err != nil {
			return err
		}
	}
	if err := c.HTTP.bind(fs, e); err != nil {
		return err
	}
	if err := c.Identity.bind(fs, e); err != nil {
		return err
	}
	if err := c.Notify.bind(fs, e); err != nil {
		return err
	}
	if err := c.Files.bind(fs, e); err != nil {
		return err
	}
	return c.Site.bind(fs, e)
}

func (c *config) trustedProxies() []string {
	var out []string
	for _, p := range strings.Split(c.TrustedProxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// voteLimit is the per-account vote limit (PRIZES_LIMIT_VOTE_ACCOUNT), which
// the vote store applies inside its append step.
func (c *config) voteLimit() vredis.Limit {
	r := c.Identity.Limits.VotePerAccount
	if r.Off() {
		return vredis.Limit{}
	}
	return vredis.Limit{Interval: r.Interval(), Burst: r.Burst}
}
