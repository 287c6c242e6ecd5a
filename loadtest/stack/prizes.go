package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
)

// Check is the part of prizes check's output the harnesses read.
type Check struct {
	Converged   bool  `json:"converged"`
	Pending     int64 `json:"pending"`
	Unread      int64 `json:"unread"`
	LiveTotal   int64 `json:"live_total"`
	LedgerTotal int64 `json:"ledger_total"`
}

// Check runs prizes check on edition, waiting at most wait (a Go duration)
// for the counters to converge. prizes check exits non-zero while they
// have not, so only output that is not a report is an error.
func (p *Prizes) Check(ctx context.Context, edition, wait string) (Check, error) {
	stdout, _, err := p.Run(ctx, "check", "--edition", edition, "--wait", wait)
	var c Check
	if jerr := json.Unmarshal(stdout, &c); jerr != nil {
		return c, fmt.Errorf("check: %w (%v)", jerr, err)
	}
	return c, nil
}

// Recount is the output of prizes recount.
type Recount struct {
	// ByProject is the ledger's count of votes per project.
	ByProject map[string]int64
	Total     int64
}

// Recount runs prizes recount on edition.
func (p *Prizes) Recount(ctx context.Context, edition string) (Recount, error) {
	stdout, _, err := p.Run(ctx, "recount", "--edition", edition)
	if err != nil {
		return Recount{}, err
	}
	var rc struct {
		Projects []struct {
			ProjectID string `json:"project_id"`
			Votes     int64  `json:"votes"`
		} `json:"projects"`
		Total int64 `json:"total"`
	}
	if err := json.Unmarshal(stdout, &rc); err != nil {
		return Recount{}, fmt.Errorf("recount output: %w", err)
	}
	out := Recount{ByProject: map[string]int64{}, Total: rc.Total}
	for _, pr := range rc.Projects {
		out.ByProject[pr.ProjectID] += pr.Votes
	}
	return out, nil
}

// Teardown drops db, stops redis and removes dir, passing over whichever
// of them is nil or empty, and returns the error of the drop: the one a
// run reports, since a database left behind outlives it.
func Teardown(ctx context.Context, db *Database, redis *Redis, dir string) error {
	var err error
	if db != nil {
		err = db.Drop(ctx)
	}
	if redis != nil {
		redis.Stop()
	}
	if dir != "" {
		os.RemoveAll(dir)
	}
	return err
}
