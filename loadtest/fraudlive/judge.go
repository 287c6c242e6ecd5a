package fraudlive

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/loadtest/fraudreport"
)

// judge reads the ledger, maps it back to the generated votes, and judges
// the ingest statuses, then the batch analyser's verdicts on the ledger.
func (r *run) judge(ctx context.Context, voters map[int64]Voter) error {
	accounts := make(map[int64]int64, len(voters))
	for gen, v := range voters {
		accounts[v.ID] = gen
	}
	m, err := NewMatcher(r.votes, accounts)
	if err != nil {
		return fmt.Errorf("fraud-live: %w", err)
	}
	ledger, err := readLedger(ctx, r.db.URL, r.cfg.Traffic.Edition)
	if err != nil {
		return err
	}
	r.rep.Ledger = len(ledger)
	// genOf maps a ledger vote id to the index of its generated vote.
	genOf := make(map[string]int, len(ledger))
	ingest := make([]string, len(r.votes))
	reasons := make([][]string, len(r.votes))
	for _, l := range ledger {
		i, err := m.Match(l)
		if err != nil {
			return fmt.Errorf("fraud-live: %w", err)
		}
		genOf[l.ID] = i
		ingest[i] = antifraud.StatusCounted
		if l.Status != antifraud.StatusCounted {
			// Flagged and rejected are both set aside at ingest.
			ingest[i] = antifraud.StatusFlagged
		}
		reasons[i] = l.Reasons
	}
	for _, i := range m.Unmatched() {
		r.rep.Missing = append(r.rep.Missing, r.votes[i].VoteID)
	}
	r.rep.Reasons = reasonTable(r.labels, reasons, ingest)
	r.reached = ingest
	if r.rep.Ingest, err = r.report(ingest); err != nil {
		return err
	}
	r.logf("ingest: recall %.3f, %.2f%% of honest votes flagged, Champions right in %d of %d categories",
		r.rep.Ingest.Attack.Share(), 100*r.rep.Ingest.Honest.Share(), r.rep.Ingest.ChampionsCorrect(), len(r.rep.Ingest.Categories))

	path := filepath.Join(r.dir, "verdicts.jsonl")
	if _, _, err := r.prizes.Run(ctx, "fraud", "analyze", "--edition", r.cfg.Traffic.Edition, "--out", path); err != nil {
		return err
	}
	batch, err := r.verdicts(path, genOf)
	if err != nil {
		return err
	}
	if r.rep.Batch, err = r.report(batch); err != nil {
		return err
	}
	r.logf("batch: recall %.3f, %.2f%% of honest votes flagged, Champions right in %d of %d categories",
		r.rep.Batch.Attack.Share(), 100*r.rep.Batch.Honest.Share(), r.rep.Batch.ChampionsCorrect(), len(r.rep.Batch.Categories))

	offline, err := r.offline(ctx)
	if err != nil {
		return err
	}
	if r.rep.Offline, err = r.report(offline); err != nil {
		return err
	}
	restored, err := r.restored(ctx, genOf)
	if err != nil {
		return err
	}
	if r.rep.Restored, err = r.report(restored); err != nil {
		return err
	}
	for i := range restored {
		if restored[i] != "" && restored[i] == offline[i] {
			r.rep.Agree++
		}
	}
	r.logf("batch on the month's clock: recall %.3f, %.2f%% of honest votes flagged, Champions right in %d of %d categories",
		r.rep.Restored.Attack.Share(), 100*r.rep.Restored.Honest.Share(), r.rep.Restored.ChampionsCorrect(), len(r.rep.Restored.Categories))
	return nil
}

// restored runs the batch analyser on the live ledger's export (prizes
// fraud export) with its times mapped back onto the month, and returns its
// verdicts by generated vote: what the analyser makes of the ledger the
// vote path wrote, without the compression of time.
func (r *run) restored(ctx context.Context, genOf map[string]int) ([]string, error) {
	export := filepath.Join(r.dir, "export.jsonl")
	if _, _, err := r.prizes.Run(ctx, "fraud", "export", "--edition", r.cfg.Traffic.Edition, "--out", export); err != nil {
		return nil, err
	}
	f, err := os.Open(export)
	if err != nil {
		return nil, fmt.Errorf("fraud-live: %w", err)
	}
	var votes []antifraud.Vote
	err = fraudreport.Lines(f, func(line []byte) error {
		var v antifraud.Vote
		if err := json.Unmarshal(line, &v); err != nil {
			return err
		}
		votes = append(votes, v)
		return nil
	})
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("fraud-live: %s: %w", export, err)
	}
	month := filepath.Join(r.dir, "month.jsonl")
	if err := writeJSONLines(month, r.rep.Clock.Restore(votes)); err != nil {
		return nil, err
	}
	path := filepath.Join(r.dir, "month-verdicts.jsonl")
	if _, _, err := r.prizes.Run(ctx, "fraud", "analyze", "--from", month, "--out", path); err != nil {
		return nil, err
	}
	return r.verdicts(path, genOf)
}

// offline runs the batch analyser on the generated month itself, as make
// fraud does at WSIS scale: the reference the live judgements are read
// against, at the same volume. Votes that did not reach the ledger are
// left out of its judgement too.
func (r *run) offline(ctx context.Context) ([]string, error) {
	month := filepath.Join(r.dir, "generated.jsonl")
	if err := writeJSONLines(month, r.votes); err != nil {
		return nil, err
	}
	path := filepath.Join(r.dir, "generated-verdicts.jsonl")
	if _, _, err := r.prizes.Run(ctx, "fraud", "analyze", "--from", month, "--out", path); err != nil {
		return nil, err
	}
	index := make(map[string]int, len(r.votes))
	for i, v := range r.votes {
		index[v.VoteID] = i
	}
	out, err := r.verdicts(path, index)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if r.reached[i] == "" {
			out[i] = ""
		}
	}
	return out, nil
}

// verdicts reads the verdicts at path by generated vote, through genOf
// from the ids they name.
func (r *run) verdicts(path string, genOf map[string]int) ([]string, error) {
	out := make([]string, len(r.votes))
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("fraud-live: %w", err)
	}
	defer f.Close()
	err = fraudreport.Lines(f, func(line []byte) error {
		var v antifraud.Verdict
		if err := json.Unmarshal(line, &v); err != nil {
			return err
		}
		i, ok := genOf[v.VoteID]
		if !ok {
			return fmt.Errorf("verdict on vote %s, which is not in the ledger read", v.VoteID)
		}
		out[i] = v.Status
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fraud-live: %s: %w", path, err)
	}
	return out, nil
}

// report judges status, one per generated vote ("" for a vote that did not
// reach the ledger, which is left out), with the labels.
func (r *run) report(status []string) (*fraudreport.Report, error) {
	j := fraudreport.NewJudge(r.cfg.Targets)
	for i, v := range r.votes {
		if status[i] == "" {
			continue
		}
		if err := j.Vote(v); err != nil {
			return nil, fmt.Errorf("fraud-live: %w", err)
		}
		if err := j.Label(r.labels[i]); err != nil {
			return nil, fmt.Errorf("fraud-live: %w", err)
		}
		if err := j.Verdict(antifraud.Verdict{VoteID: v.VoteID, Status: status[i]}); err != nil {
			return nil, fmt.Errorf("fraud-live: %w", err)
		}
	}
	rep, err := j.Report()
	if err != nil {
		return nil, fmt.Errorf("fraud-live: %w", err)
	}
	return rep, nil
}

// readLedger reads every vote of edition with the status and reasons the
// ingest scorer recorded: those a review left, or kept aside when it
// changed them.
func readLedger(ctx context.Context, dbURL, edition string) ([]LedgerVote, error) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, fmt.Errorf("fraud-live: read the ledger: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id::text, voter_id, project_id::text, category_code,
		coalesce(ingest_status, status), coalesce(ingest_reasons, reasons)
		FROM votes WHERE edition_id = $1`, edition)
	if err != nil {
		return nil, fmt.Errorf("fraud-live: read the ledger: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (LedgerVote, error) {
		var l LedgerVote
		err := row.Scan(&l.ID, &l.VoterID, &l.ProjectID, &l.Category, &l.Status, &l.Reasons)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("fraud-live: read the ledger: %w", err)
	}
	return out, nil
}

// ReasonRow is how often the ingest scorer gave one reason code to honest
// and to attack votes, and how many of those it flagged.
type ReasonRow struct {
	Reason        string `json:"reason"`
	Honest        int    `json:"honest"`
	HonestFlagged int    `json:"honest_flagged"`
	Attack        int    `json:"attack"`
	AttackFlagged int    `json:"attack_flagged"`
}

// reasonTable counts the reason codes of the votes that reached the
// ledger, by code.
func reasonTable(labels []antifraud.Label, reasons [][]string, status []string) []ReasonRow {
	rows := map[string]*ReasonRow{}
	for i, rs := range reasons {
		if status[i] == "" {
			continue
		}
		flagged := status[i] == antifraud.StatusFlagged
		for _, code := range rs {
			row := rows[code]
			if row == nil {
				row = &ReasonRow{Reason: code}
				rows[code] = row
			}
			if labels[i].Honest {
				row.Honest++
				if flagged {
					row.HonestFlagged++
				}
			} else {
				row.Attack++
				if flagged {
					row.AttackFlagged++
				}
			}
		}
	}
	out := make([]ReasonRow, 0, len(rows))
	for _, row := range rows {
		out = append(out, *row)
	}
	slices.SortFunc(out, func(a, b ReasonRow) int { return cmp.Compare(a.Reason, b.Reason) })
	return out
}
