package bench

import (
	"time"

	"github.com/wsisvote/prizes/loadtest"
	"github.com/wsisvote/prizes/loadtest/stack"
)

// Targets are the figures a run is held to.
const (
	// TargetRatio is the least vote path throughput, as a fraction of the
	// plain Gin handler's, that the benchmark accepts.
	TargetRatio = 0.6
	// TargetBytesPerVote is the most Redis memory an accepted vote may leave
	// behind once it is flushed.
	TargetBytesPerVote = 16.0
	// TargetScorerCost is the most CPU per vote the fraud scorer may add to
	// prizes serve, as a fraction of the same path without it.
	TargetScorerCost = 0.10
	// TargetFlushLagP99 is the longest, in seconds, that 99% of the votes of
	// the full vote path runs may wait between acceptance and commit.
	TargetFlushLagP99 = 1.0
)

// Report is everything one benchmark run measured. It is written as JSON
// and rendered as Markdown.
type Report struct {
	Date     time.Time     `json:"date"`
	Command  string        `json:"command"`
	Machine  stack.Machine `json:"machine"`
	Settings Settings      `json:"settings"`
	Setup    Setup         `json:"setup"`
	// Runs are every measured run in the order they ran.
	Runs []RunReport `json:"runs"`
	// Pairs are the closed-loop runs, baseline then vote path, side by side.
	Pairs          []Pair  `json:"pairs"`
	MedianBaseline float64 `json:"median_baseline_votes_per_s"`
	MedianVotePath float64 `json:"median_vote_path_votes_per_s"`
	MedianRatio    float64 `json:"median_ratio"`
	// The ingest-only medians are set when the pairs include runs without
	// flusher.
	MedianIngestOnly  float64 `json:"median_ingest_only_votes_per_s,omitempty"`
	MedianIngestRatio float64 `json:"median_ingest_ratio,omitempty"`
	MedianDrain       float64 `json:"median_drain_votes_per_s,omitempty"`
	// The scorer medians are set when the pairs include a run with the
	// fraud scorer off: prizes serve's CPU per vote (µs) with the scorer
	// and without, and the cost of the scorer as a fraction of the latter.
	MedianServeCPUOn  float64 `json:"median_serve_cpu_us_per_vote_scorer_on,omitempty"`
	MedianServeCPUOff float64 `json:"median_serve_cpu_us_per_vote_scorer_off,omitempty"`
	MedianScorerCost  float64 `json:"median_scorer_cost,omitempty"`
	// MedianAckedRatio is the median of the pairs' AckedRatio, set when
	// the pairs include a run with --ack-replicas.
	MedianAckedRatio float64    `json:"median_acked_ratio,omitempty"`
	Open             *RunReport `json:"open_loop"`
	Memory           Memory     `json:"memory"`
	// FlushLag is prizes_flush_lag_seconds over every full vote path (b)
	// run together.
	FlushLag *Lag `json:"flush_lag,omitempty"`
	// ServeMemory is the resident memory of prizes serve during the b runs.
	ServeMemory *ServeMemory `json:"serve_memory,omitempty"`
	Correctness Correctness  `json:"correctness"`
	// Elapsed is the whole benchmark, set-up and tear-down included.
	Elapsed time.Duration `json:"elapsed_ns"`
	// Problems lists what went wrong without stopping the run.
	Problems []string `json:"problems,omitempty"`
}

// Settings are the knobs of the run.
type Settings struct {
	Voters       int           `json:"voters"`
	Categories   int           `json:"categories"`
	Projects     int           `json:"projects"`
	Workers      int           `json:"workers"`
	Duration     time.Duration `json:"run_duration_ns"`
	Warmup       time.Duration `json:"warmup_ns"`
	Pairs        int           `json:"pairs"`
	OpenDuration time.Duration `json:"open_duration_ns"`
	OpenWorkers  int           `json:"open_workers"`
	Shards       int           `json:"shards,omitempty"`
	Skew         float64       `json:"skew"`
	Window       int           `json:"window"`
	IngestOnly   bool          `json:"ingest_only"`
	// CompareScorer is set when each pair has a run with the scorer off.
	CompareScorer bool `json:"compare_scorer,omitempty"`
	// AckReplicas is set when each pair has a run with prizes'
	// --ack-replicas at this value, against a Redis with a replica.
	AckReplicas int      `json:"ack_replicas,omitempty"`
	PrizesEnv   []string `json:"prizes_env,omitempty"`
	GOMAXPROCS  int      `json:"gomaxprocs"`
}

// Setup times the preparation steps.
type Setup struct {
	Migrate         time.Duration `json:"migrate_ns"`
	Seed            time.Duration `json:"seed_ns"`
	Voters          time.Duration `json:"voters_ns"`
	VotersPerSecond float64       `json:"voters_per_s"`
	// VotersReported is what prizes voters said about itself.
	VotersReported string `json:"voters_reported,omitempty"`
}

// RunReport is one measured run.
type RunReport struct {
	Name   string `json:"name"`
	Target string `json:"target"`
	Mode   string `json:"mode"`
	// Rate is the scheduled rate of an open loop.
	Rate            float64           `json:"rate,omitempty"`
	Workers         int               `json:"workers"`
	Duration        time.Duration     `json:"duration_ns"`
	Elapsed         time.Duration     `json:"elapsed_ns"`
	Requests        int64             `json:"requests"`
	Accepted        int64             `json:"accepted"`
	RequestsPerS    float64           `json:"requests_per_s"`
	AcceptedPerS    float64           `json:"accepted_per_s"`
	Statuses        map[int]int64     `json:"statuses"`
	Codes           map[string]int64  `json:"error_codes,omitempty"`
	TransportErrors int64             `json:"transport_errors"`
	LastError       string            `json:"last_error,omitempty"`
	Latency         loadtest.Summary  `json:"latency"`
	Service         *loadtest.Summary `json:"service_time,omitempty"`
	Late            int64             `json:"late,omitempty"`
	Exhausted       bool              `json:"exhausted,omitempty"`
	// Backlog is how many vote log entries (each the votes of one append
	// script call) were not in the ledger yet when a vote path run ended:
	// what its flusher had not kept up with.
	Backlog int64              `json:"backlog"`
	CPU     map[string]float64 `json:"cpu_cores"`
	// FlushLag is what prizes serve observed of the run's votes, from
	// acceptance to commit, scraped from /metrics before the run and once
	// its votes were all flushed; set for vote path runs with the flusher.
	FlushLag *Lag `json:"flush_lag,omitempty"`
	// ServeRSSPeak and ServeRSSEnd are the largest resident memory of
	// prizes serve sampled during the run and the last, in bytes.
	ServeRSSPeak int64 `json:"serve_rss_peak_bytes,omitempty"`
	ServeRSSEnd  int64 `json:"serve_rss_end_bytes,omitempty"`
	// RedisCommands is what Redis spent per command from the start of the
	// run until its votes were flushed, for vote path runs with the flusher.
	RedisCommands map[string]stack.CommandStat `json:"redis_commands,omitempty"`
}

// ServeMemory is the resident memory of prizes serve under load.
type ServeMemory struct {
	// Peak is the largest VmRSS sampled during any b run, End the one at
	// the end of the last, both in bytes.
	Peak int64 `json:"peak_rss_bytes"`
	End  int64 `json:"end_rss_bytes"`
	// Interval is how often VmRSS was sampled.
	Interval time.Duration `json:"interval_ns"`
}

// Pair is one baseline run and the vote path runs after it.
type Pair struct {
	Baseline float64 `json:"baseline_votes_per_s"`
	VotePath float64 `json:"vote_path_votes_per_s"`
	Ratio    float64 `json:"ratio"`
	// IngestOnly is the vote path with its flusher stopped.
	IngestOnly  float64 `json:"ingest_only_votes_per_s,omitempty"`
	IngestRatio float64 `json:"ingest_ratio,omitempty"`
	// Drain is the flusher emptying what the ingest-only run left.
	Drain Drain `json:"drain"`
	// ScorerOff is the vote path with the fraud scorer off. ServeCPUOn and
	// ServeCPUOff are prizes serve's CPU per accepted vote (µs) in the b run
	// and in that run; ScorerCost is ServeCPUOn/ServeCPUOff - 1.
	ScorerOff   float64 `json:"scorer_off_votes_per_s,omitempty"`
	ServeCPUOn  float64 `json:"serve_cpu_us_per_vote_scorer_on,omitempty"`
	ServeCPUOff float64 `json:"serve_cpu_us_per_vote_scorer_off,omitempty"`
	ScorerCost  float64 `json:"scorer_cost,omitempty"`
	// Acked is the vote path with --ack-replicas (run r), AckedRatio its
	// votes/s over the b run's; ServeCPUAck0 and ServeCPUAcked are prizes
	// serve's CPU per vote (µs) in b and r, RedisCPUAck0 and RedisCPUAcked
	// Redis's (the primary's); AckedP50 and Ack0P50 the runs' median
	// latencies.
	Acked         float64       `json:"acked_votes_per_s,omitempty"`
	AckedRatio    float64       `json:"acked_ratio,omitempty"`
	ServeCPUAck0  float64       `json:"serve_cpu_us_per_vote_ack0,omitempty"`
	ServeCPUAcked float64       `json:"serve_cpu_us_per_vote_acked,omitempty"`
	RedisCPUAck0  float64       `json:"redis_cpu_us_per_vote_ack0,omitempty"`
	RedisCPUAcked float64       `json:"redis_cpu_us_per_vote_acked,omitempty"`
	Ack0P50       time.Duration `json:"ack0_p50_ns,omitempty"`
	AckedP50      time.Duration `json:"acked_p50_ns,omitempty"`
}

// Drain is the flusher moving a backlog of votes into the ledger with the
// machine to itself.
type Drain struct {
	Votes   int64         `json:"votes"`
	Elapsed time.Duration `json:"elapsed_ns"`
	Rate    float64       `json:"votes_per_s"`
}

// Memory is the Redis memory the accepted votes left behind after the flush.
type Memory struct {
	Before        int64      `json:"used_memory_before"`
	After         int64      `json:"used_memory_after"`
	Delta         int64      `json:"used_memory_delta"`
	DatasetBefore int64      `json:"dataset_before"`
	DatasetAfter  int64      `json:"dataset_after"`
	Votes         int64      `json:"votes"`
	BytesPerVote  float64    `json:"bytes_per_vote"`
	Keys          []KeyClass `json:"keys"`
	// AtFlush is used_memory as soon as the log was empty, before the keys
	// with a time to live (rate limit counters) expired.
	AtFlush        int64      `json:"used_memory_at_flush"`
	AtFlushPerVote float64    `json:"bytes_per_vote_at_flush"`
	AtFlushKeys    []KeyClass `json:"keys_at_flush"`
	// Dedicated is false when the Redis was shared with other users, which
	// makes the figures approximate.
	Dedicated bool `json:"dedicated"`
}

// Correctness compares what the API acknowledged with the ledger.
type Correctness struct {
	Accepted         int64             `json:"accepted"`
	LedgerTotal      int64             `json:"ledger_total"`
	ProjectsCompared int               `json:"projects_compared"`
	Mismatches       []ProjectMismatch `json:"mismatches"`
	Converged        bool              `json:"live_counters_converged"`
	LiveTotal        int64             `json:"live_total"`
	FlushWait        time.Duration     `json:"flush_wait_ns"`
	Receipts         int64             `json:"receipts"`
	UniqueReceipts   int64             `json:"unique_receipts"`
	ReceiptsInLedger int64             `json:"receipts_in_ledger"`
	TransportErrors  int64             `json:"transport_errors"`
	OK               bool              `json:"ok"`
}

// ProjectMismatch is a project whose 202 count differs from its recount.
type ProjectMismatch struct {
	ProjectID string `json:"project_id"`
	Accepted  int64  `json:"accepted"`
	Recounted int64  `json:"recounted"`
}

func runReport(name, target string, o loadtest.Options, res *loadtest.Result, cpu map[string]float64) RunReport {
	r := RunReport{
		Name: name, Target: target, Mode: "closed", Workers: o.Workers, Duration: o.Duration,
		Elapsed: res.Elapsed, Requests: res.Answers() + res.TransportErrors, Accepted: res.AcceptedTotal(),
		AcceptedPerS: res.AcceptedRate(), Statuses: res.Statuses, Codes: res.Codes,
		TransportErrors: res.TransportErrors, LastError: res.LastError,
		Latency: res.Latency.Summary(), Exhausted: res.Exhausted, CPU: cpu,
	}
	if res.Elapsed > 0 {
		r.RequestsPerS = float64(r.Requests) / res.Elapsed.Seconds()
	}
	if o.Rate > 0 {
		r.Mode, r.Rate, r.Late = "open", o.Rate, res.Late
		s := res.Service.Summary()
		r.Service = &s
	}
	return r
}
