package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/internal/database"
)

// exportColumns are the columns of an export line, from votes v joined with
// accounts a. Of the account's address only its domain leaves the database;
// an erased account has none. An account row that is missing (a ledger
// restored without its accounts) has its creation time taken from the age
// the vote recorded.
const exportColumns = `v.id, v.voter_id, v.project_id, v.category_code, v.cast_at,
	v.client_net, v.user_agent, v.device_hint,
	coalesce(lower(split_part(a.email, '@', 2)), ''),
	coalesce(a.created_at, v.cast_at - make_interval(secs => v.account_age_s))`

// exportFrom is the join an export reads from.
const exportFrom = `votes v LEFT JOIN accounts a ON a.id = v.voter_id`

// scanExport reads one export line.
func scanExport(r pgx.Row, v *antifraud.Vote, extra ...any) error {
	var id, project uuid.UUID
	if err := r.Scan(append([]any{&id, &v.VoterID, &project, &v.Category, &v.CastAt,
		&v.Network, &v.UserAgent, &v.DeviceHint, &v.EmailDomain, &v.AccountCreatedAt}, extra...)...); err != nil {
		return err
	}
	v.VoteID, v.ProjectID = id.String(), project.String()
	v.CastAt, v.AccountCreatedAt = v.CastAt.UTC(), v.AccountCreatedAt.UTC().Truncate(time.Microsecond)
	return nil
}

// EachVote calls fn with every vote of edition, whatever its status, in
// ascending vote id order, with the facts about its account the analysis
// needs: one line of prizes fraud export. The votes are streamed, so a
// whole ledger needs no more memory than a row. It stops at fn's first
// error, and returns voting.ErrUnknownEdition for no edition.
func (s *Store) EachVote(ctx context.Context, edition string, fn func(antifraud.Vote) error) error {
	op := fmt.Sprintf("export ledger of %q", edition)
	if err := s.editionExists(ctx, edition); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+exportColumns+` FROM `+exportFrom+`
		WHERE v.edition_id = $1 ORDER BY v.id`, edition)
	if err != nil {
		return fmt.Errorf("%s: %w", op, database.Translate(err))
	}
	defer rows.Close()
	var v antifraud.Vote
	for rows.Next() {
		if err := scanExport(rows, &v); err != nil {
			return fmt.Errorf("%s: %w", op, database.Translate(err))
		}
		if err := fn(v); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", op, database.Translate(err))
	}
	return nil
}

// Votes returns every vote of edition as EachVote gives them, for the
// analyser, which needs them all at once.
func (s *Store) Votes(ctx context.Context, edition string) ([]antifraud.Vote, error) {
	n, err := s.ledger.LedgerVotes(ctx, edition)
	if err != nil {
		return nil, err
	}
	out := make([]antifraud.Vote, 0, n)
	err = s.EachVote(ctx, edition, func(v antifraud.Vote) error {
		out = append(out, v)
		return nil
	})
	return out, err
}
