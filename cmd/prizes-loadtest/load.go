package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/wsisvote/prizes/loadtest"
)

func runLoad(ctx context.Context, a *app, args []string) error {
	fs := a.flags("run")
	baseURL := fs.String("url", "http://127.0.0.1:8080", "base URL of the API")
	edition := fs.String("edition", "demo", "edition to vote in")
	votersFile := fs.String("voters", "", "voter_id<TAB>token file written by prizes voters (required)")
	workers := fs.Int("workers", 64, "connections, each with one request in flight")
	rate := fs.Float64("rate", 0, "requests per second for an open loop; 0 runs a closed loop as fast as possible")
	duration := fs.Duration("duration", 10*time.Second, "how long to send (0: until the ballots or --requests run out)")
	requests := fs.Int64("requests", 0, "most requests to send (0: no limit)")
	skew := fs.Float64("skew", 1, "Zipf exponent of project popularity within a category")
	seed := fs.Uint64("seed", 1, "seed of the favourites and the voters' choices")
	window := fs.Int("window", 1000, "voters voting at the same time; each casts all its votes before the next start")
	jsonOut := fs.Bool("json", false, "print the result as JSON on stdout")
	pow := fs.Bool("pow", false, "fetch and solve a proof-of-work challenge before each vote, for an edition whose rules set vote_challenge")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *votersFile == "" {
		return fmt.Errorf("run: --voters is required")
	}
	if *duration <= 0 && *requests <= 0 {
		*requests = 1 << 62
	}
	target, err := loadtest.ParseTarget(*baseURL, *edition)
	if err != nil {
		return err
	}
	voters, err := loadtest.LoadVoters(*votersFile)
	if err != nil {
		return err
	}
	projects, err := loadtest.FetchProjects(ctx, &http.Client{Timeout: 10 * time.Second}, *baseURL, *edition)
	if err != nil {
		return err
	}
	ballots, err := loadtest.NewBallots(voters, projects, loadtest.BallotOptions{Skew: *skew, Seed: *seed, Window: *window})
	if err != nil {
		return err
	}
	live := &loadtest.Live{}
	pctx, stop := context.WithCancel(ctx)
	go loadtest.Progress(pctx, a.stderr, "votes", live, time.Second)
	var work loadtest.Workload = loadtest.NewVotes(target, ballots)
	var solver *loadtest.ProofOfWork
	if *pow {
		solver = loadtest.NewProofOfWork(work, &loadtest.Challenger{BaseURL: *baseURL})
		work = solver
	}
	res, err := loadtest.Run(ctx, loadtest.Options{
		Addr: target.Addr, Workers: *workers, Rate: *rate, Duration: *duration, Requests: *requests, Live: live,
	}, work)
	stop()
	if err != nil {
		return err
	}
	if solver != nil {
		fmt.Fprintf(a.stderr, "challenges: %d solved, %d failed\n", solver.Solved.Load(), solver.Failed.Load())
		if e := solver.LastError(); e != nil {
			fmt.Fprintf(a.stderr, "last challenge error: %v\n", e)
		}
	}
	if *jsonOut {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Elapsed         time.Duration     `json:"elapsed_ns"`
			RequestsPerS    float64           `json:"requests_per_s"`
			AcceptedPerS    float64           `json:"accepted_per_s"`
			Statuses        map[int]int64     `json:"statuses"`
			Codes           map[string]int64  `json:"error_codes"`
			TransportErrors int64             `json:"transport_errors"`
			Latency         loadtest.Summary  `json:"latency"`
			Service         *loadtest.Summary `json:"service_time,omitempty"`
			Exhausted       bool              `json:"exhausted"`
		}{res.Elapsed, res.Rate(), res.AcceptedRate(), res.Statuses, res.Codes, res.TransportErrors,
			res.Latency.Summary(), service(res, *rate), res.Exhausted})
	}
	fmt.Fprintf(a.stdout, "%d answers in %s: %.0f req/s, %.0f accepted/s, %d transport errors\n",
		res.Answers(), res.Elapsed.Round(time.Millisecond), res.Rate(), res.AcceptedRate(), res.TransportErrors)
	for _, s := range res.SortedStatuses() {
		fmt.Fprintf(a.stdout, "  %d: %d\n", s, res.Statuses[s])
	}
	for code, n := range res.Codes {
		fmt.Fprintf(a.stdout, "  code %q: %d\n", code, n)
	}
	fmt.Fprintf(a.stdout, "latency      %s\n", res.Latency.Summary())
	if *rate > 0 {
		fmt.Fprintf(a.stdout, "service time %s\n%d sent more than 1 ms late\n", res.Service.Summary(), res.Late)
	}
	if res.LastError != "" {
		fmt.Fprintf(a.stdout, "last transport error: %s\n", res.LastError)
	}
	if res.Exhausted {
		fmt.Fprintln(a.stdout, "every ballot was cast")
	}
	return nil
}

func service(res *loadtest.Result, rate float64) *loadtest.Summary {
	if rate <= 0 {
		return nil
	}
	s := res.Service.Summary()
	return &s
}
