package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// SaveReport stores what a run of the analyser found in edition, as one
// change of the edition's record by actor (prizes.ActionFraudAnalyze: in
// the voting, counting and jury phases). A case is found by its id: a new
// one is added open; an open one takes the new findings and any new votes
// (it never loses one); a decided one is left as it is. Counted votes with a
// flagged verdict, and those of the report's open cases, become flagged with
// the verdict's reasons or the case's kind added; votes of other statuses
// are not touched, nor are votes of a cleared case unless an open case holds
// them too. Vote ids the edition's ledger does not hold are counted and left
// out. The audit log records the run when it changed anything.
func (s *Store) SaveReport(ctx context.Context, actor prizes.Actor, edition string, r antifraud.Report) (antifraud.Stored, error) {
	op := fmt.Sprintf("store fraud analysis of %q", edition)
	for _, c := range r.Cases {
		if c.ID == "" || c.Kind == "" {
			return antifraud.Stored{}, fmt.Errorf("%s: a case needs an id and a kind: %w", op, kind.ErrInvalid)
		}
	}
	var st antifraud.Stored
	err := s.lifecycle.Change(ctx, actor, edition, prizes.ActionFraudAnalyze, func(tx pgx.Tx, ed prizes.Edition) (string, any, error) {
		st = antifraud.Stored{}
		now := s.now()
		states, err := caseStates(ctx, tx, edition, r.Cases)
		if err != nil {
			return "", nil, err
		}
		flag := map[uuid.UUID][]string{}
		unknown := map[string]bool{}
		var newCases []string
		for _, c := range r.Cases {
			state, exists := states[c.ID]
			if exists && state != antifraud.CaseOpen {
				st.Decided++
				continue
			}
			changed, err := upsertCase(ctx, tx, edition, c, now)
			if err != nil {
				return "", nil, err
			}
			ids, bad := voteUUIDs(c.Votes)
			for _, b := range bad {
				unknown[b] = true
			}
			found, added, err := addCaseVotes(ctx, tx, edition, c.ID, ids)
			if err != nil {
				return "", nil, err
			}
			for _, id := range ids {
				if !found[id] {
					unknown[id.String()] = true
					continue
				}
				flag[id] = append(flag[id], c.Kind)
			}
			switch {
			case !exists:
				st.New++
				newCases = append(newCases, c.ID)
			case changed || added > 0:
				st.Updated++
			}
		}
		for _, v := range r.Verdicts {
			if v.Status != antifraud.StatusFlagged {
				continue
			}
			id, err := uuid.Parse(v.VoteID)
			if err != nil {
				unknown[v.VoteID] = true
				continue
			}
			flag[id] = append(flag[id], v.Reasons...)
		}
		if st.Flagged, err = flagVotes(ctx, tx, edition, flag); err != nil {
			return "", nil, err
		}
		st.Unknown = len(unknown)
		if st.New+st.Updated+st.Flagged == 0 {
			return "", nil, nil
		}
		sort.Strings(newCases)
		return "analysis", map[string]any{
			"new": st.New, "updated": st.Updated, "decided": st.Decided, "flagged": st.Flagged,
			"unknown_votes": st.Unknown, "new_cases": nonNil(newCases),
		}, nil
	})
	if err != nil {
		return antifraud.Stored{}, fmt.Errorf("%s: %w", op, database.Translate(err))
	}
	return st, nil
}

// caseStates returns the state of each of cases that the edition has
// already, locking their rows.
func caseStates(ctx context.Context, tx pgx.Tx, edition string, cases []antifraud.Case) (map[string]antifraud.CaseState, error) {
	ids := make([]string, len(cases))
	for i, c := range cases {
		ids[i] = c.ID
	}
	rows, _ := tx.Query(ctx, `SELECT id, state FROM fraud_cases WHERE edition_id = $1 AND id = ANY($2) FOR UPDATE`, edition, ids)
	out := map[string]antifraud.CaseState{}
	var id, state string
	_, err := pgx.ForEachRow(rows, []any{&id, &state}, func() error {
		out[id] = antifraud.CaseState(state)
		return nil
	})
	return out, err
}

// upsertCase adds c open, or gives an open case c's findings. It reports
// whether the case's row changed.
func upsertCase(ctx context.Context, tx pgx.Tx, edition string, c antifraud.Case, now time.Time) (bool, error) {
	signals, err := json.Marshal(nonNilMap(c.Signals))
	if err != nil {
		return false, fmt.Errorf("case %s: signals: %w: %w", c.ID, kind.ErrInvalid, err)
	}
	timeline, err := json.Marshal(nonNil(c.Timeline))
	if err != nil {
		return false, fmt.Errorf("case %s: timeline: %w", c.ID, err)
	}
	tag, err := tx.Exec(ctx, `INSERT INTO fraud_cases
			(edition_id, id, kind, score, summary, signals, timeline, accounts, projects, found_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
		ON CONFLICT (edition_id, id) DO UPDATE SET
			kind = EXCLUDED.kind, score = EXCLUDED.score, summary = EXCLUDED.summary,
			signals = EXCLUDED.signals, timeline = EXCLUDED.timeline,
			accounts = EXCLUDED.accounts, projects = EXCLUDED.projects, updated_at = EXCLUDED.updated_at
		WHERE fraud_cases.state = 'open' AND
			(fraud_cases.kind, fraud_cases.score, fraud_cases.summary, fraud_cases.signals, fraud_cases.timeline,
			 fraud_cases.accounts, fraud_cases.projects) IS DISTINCT FROM
			(EXCLUDED.kind, EXCLUDED.score, EXCLUDED.summary, EXCLUDED.signals, EXCLUDED.timeline,
			 EXCLUDED.accounts, EXCLUDED.projects)`,
		edition, c.ID, c.Kind, c.Score, c.Summary, signals, timeline, nonNil(c.Accounts), nonNil(c.Projects), now)
	if err != nil {
		return false, fmt.Errorf("store case %s: %w", c.ID, err)
	}
	return tag.RowsAffected() > 0, nil
}

// voteUUIDs parses vote ids, returning the well-formed ones without
// repeats and the others.
func voteUUIDs(ids []string) ([]uuid.UUID, []string) {
	out := make([]uuid.UUID, 0, len(ids))
	var bad []string
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, s := range ids {
		id, err := uuid.Parse(s)
		if err != nil {
			bad = append(bad, s)
			continue
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, bad
}

// addCaseVotes adds to a case those of ids that are votes of the edition.
// It returns all of those (whether the case held them already or not) and
// how many it added.
func addCaseVotes(ctx context.Context, tx pgx.Tx, edition, caseID string, ids []uuid.UUID) (map[uuid.UUID]bool, int, error) {
	rows, _ := tx.Query(ctx, `WITH found AS (
			SELECT id FROM votes WHERE id = ANY($3) AND edition_id = $1
		), added AS (
			INSERT INTO fraud_case_votes (edition_id, case_id, vote_id)
			SELECT $1, $2, id FROM found
			ON CONFLICT DO NOTHING
			RETURNING vote_id
		)
		SELECT id, id IN (SELECT vote_id FROM added) FROM found`, edition, caseID, ids)
	found := map[uuid.UUID]bool{}
	var id uuid.UUID
	var isNew bool
	added := 0
	_, err := pgx.ForEachRow(rows, []any{&id, &isNew}, func() error {
		found[id] = true
		if isNew {
			added++
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store votes of case %s: %w", caseID, err)
	}
	return found, added, nil
}

// flagVotes flags the counted votes among flag's keys, adding the reasons
// each maps to, and returns how many it flagged. A vote that a cleared case
// holds is left counted unless an open case holds it too.
func flagVotes(ctx context.Context, tx pgx.Tx, edition string, flag map[uuid.UUID][]string) (int, error) {
	if len(flag) == 0 {
		return 0, nil
	}
	var ids []uuid.UUID
	var reasons []*string
	for id, rs := range flag {
		if len(rs) == 0 {
			ids, reasons = append(ids, id), append(reasons, nil)
		}
		for i := range rs {
			ids, reasons = append(ids, id), append(reasons, &rs[i])
		}
	}
	tag, err := tx.Exec(ctx, `UPDATE votes v SET
			ingest_status = coalesce(v.ingest_status, v.status),
			ingest_reasons = coalesce(v.ingest_reasons, v.reasons),
			status = 'flagged',
			reasons = (SELECT coalesce(array_agg(DISTINCT r ORDER BY r), '{}') FROM unnest(v.reasons || x.reasons) AS r)
		FROM (SELECT id, coalesce(array_agg(reason) FILTER (WHERE reason <> ''), '{}') AS reasons
			FROM unnest($2::uuid[], $3::text[]) AS t(id, reason) GROUP BY id) x
		WHERE v.id = x.id AND v.edition_id = $1 AND v.status = 'counted'
			AND (NOT EXISTS (SELECT 1 FROM fraud_case_votes cv JOIN fraud_cases c
					ON c.edition_id = cv.edition_id AND c.id = cv.case_id
					WHERE cv.vote_id = v.id AND c.state = 'cleared')
				OR EXISTS (SELECT 1 FROM fraud_case_votes cv JOIN fraud_cases c
					ON c.edition_id = cv.edition_id AND c.id = cv.case_id
					WHERE cv.vote_id = v.id AND c.state = 'open'))`, edition, ids, reasons)
	if err != nil {
		return 0, fmt.Errorf("flag votes: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// nonNil returns s, or an empty slice for nil, so that JSON and arrays show
// an empty list rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}
