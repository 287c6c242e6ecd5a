package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wsisvote/prizes/deploy/migrations"
	"github.com/wsisvote/prizes/internal/testenv"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/voting"
	"github.com/wsisvote/prizes/voting/postgres"
)

// partitionOf returns the partition of votes that holds the vote id.
func partitionOf(tb testing.TB, pool *pgxpool.Pool, id string) string {
	tb.Helper()
	var part string
	if err := pool.QueryRow(context.Background(), `SELECT tableoid::regclass::text FROM votes WHERE id = $1`, id).Scan(&part); err != nil {
		tb.Fatalf("partition of vote %s: %v", id, err)
	}
	return part
}

// partitionsOf returns the partitions of a partitioned table, sorted.
func partitionsOf(tb testing.TB, pool *pgxpool.Pool, table string) []string {
	tb.Helper()
	rows, _ := pool.Query(context.Background(), `SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = to_regclass($1) ORDER BY 1`, table)
	parts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatalf("partitions of %s: %v", table, err)
	}
	return parts
}

func TestStore_Insert_partitions(t *testing.T) {
	ctx := context.Background()
	s, _, projects := seeded(t)
	pool := s.Pool()

	t.Run("a new edition has its partition", func(t *testing.T) {
		if got := partitionsOf(t, pool, "votes"); !slices.Contains(got, "votes_demo") || !slices.Contains(got, "votes_default") {
			t.Fatalf("partitions of votes = %v; want votes_demo and votes_default among them", got)
		}
		if got := partitionsOf(t, pool, "votes_demo"); len(got) != 0 {
			t.Fatalf("votes_demo has partitions %v; want none", got)
		}
	})
	t.Run("a vote lands in its edition's partition", func(t *testing.T) {
		v := vote(42, projects[0])
		if n, err := s.Insert(ctx, []voting.Vote{v}); err != nil || n != 1 {
			t.Fatalf("insert = %d, %v; want 1, nil", n, err)
		}
		if got := partitionOf(t, pool, v.ID); got != "votes_demo" {
			t.Fatalf("vote of voter 42 is in %s; want votes_demo", got)
		}
	})
	t.Run("votes of an edition without partitions wait in the default one and move in when it is created", func(t *testing.T) {
		ed, cats, later := prizes.DemoEdition("later-2027", 2)
		v := vote(7, later[0])
		if n, err := s.Insert(ctx, []voting.Vote{v}); err != nil || n != 1 {
			t.Fatalf("insert = %d, %v; want 1, nil", n, err)
		}
		if got := partitionOf(t, pool, v.ID); got != "votes_default" {
			t.Fatalf("vote of an unknown edition is in %s; want votes_default", got)
		}
		if err := s.SeedEdition(ctx, ed, cats, later); err != nil {
			t.Fatal(err)
		}
		if got := partitionOf(t, pool, v.ID); got != "votes_later_2027" {
			t.Fatalf("after the edition was created the vote is in %s; want votes_later_2027", got)
		}
		var left int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM votes_default`).Scan(&left); err != nil || left != 0 {
			t.Fatalf("votes_default holds %d, %v; want 0", left, err)
		}
	})
	t.Run("an edition given its partition by hand keeps its waiting votes and their case votes", func(t *testing.T) {
		// An edition whose partition is missing (its trigger was off):
		// its votes wait in votes_default, and a fraud case may hold them.
		ed, cats, manual := prizes.DemoEdition("manual-2028", 2)
		if _, err := pool.Exec(ctx, `ALTER TABLE editions DISABLE TRIGGER editions_votes_partitions`); err != nil {
			t.Fatal(err)
		}
		err := s.SeedEdition(ctx, ed, cats, manual)
		if _, err := pool.Exec(ctx, `ALTER TABLE editions ENABLE TRIGGER editions_votes_partitions`); err != nil {
			t.Fatal(err)
		}
		if err != nil {
			t.Fatal(err)
		}
		v := vote(9, manual[0])
		if n, err := s.Insert(ctx, []voting.Vote{v}); err != nil || n != 1 {
			t.Fatalf("insert = %d, %v; want 1, nil", n, err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO fraud_cases (edition_id, id, kind, found_at, updated_at) VALUES ('manual-2028', 'c1', 'ring', now(), now());
			INSERT INTO fraud_case_votes (edition_id, case_id, vote_id) VALUES ('manual-2028', 'c1', '`+v.ID+`')`); err != nil {
			t.Fatal(err)
		}
		var added bool
		if err := pool.QueryRow(ctx, `SELECT votes_add_edition('manual-2028')`).Scan(&added); err != nil || !added {
			t.Fatalf("votes_add_edition = %v, %v; want true, nil", added, err)
		}
		if got := partitionOf(t, pool, v.ID); got != "votes_manual_2028" {
			t.Fatalf("the waiting vote is in %s; want votes_manual_2028", got)
		}
		var held int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM fraud_case_votes WHERE edition_id = 'manual-2028' AND vote_id = $1`, v.ID).Scan(&held); err != nil || held != 1 {
			t.Fatalf("the case holds the vote %d times, %v; want once", held, err)
		}
	})
	t.Run("an edition created twice keeps its partition and votes", func(t *testing.T) {
		var added bool
		if err := pool.QueryRow(ctx, `SELECT votes_add_edition('demo')`).Scan(&added); err != nil || added {
			t.Fatalf("votes_add_edition of an edition with partitions = %v, %v; want false, nil", added, err)
		}
		if n, err := s.LedgerVotes(ctx, "demo"); err != nil || n != 1 {
			t.Fatalf("demo holds %d, %v; want 1", n, err)
		}
	})
}

// uniqueViolation is PostgreSQL's SQLSTATE for a unique constraint
// refusing a row.
const uniqueViolation = "23505"

// foreignKeyViolation is PostgreSQL's SQLSTATE for a foreign key refusing a
// row.
const foreignKeyViolation = "23503"

// migrateTo applies the migrations numbered up to version, each in its own
// transaction, as migrations.Apply does, so that a later Apply applies the
// rest.
func migrateTo(tb testing.TB, pool *pgxpool.Pool, version int) {
	tb.Helper()
	ctx := context.Background()
	all, err := migrations.All()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `CREATE TABLE schema_migrations (
		version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		tb.Fatal(err)
	}
	for _, m := range all {
		if m.Version > version {
			break
		}
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			tb.Fatalf("apply %s: %v", m.Name, err)
		}
	}
}

// ledgerRow is what the migration must keep of a vote.
type ledgerRow struct {
	ID, Edition, Project, Status string
	Voter, Leaf                  int64
}

func ledgerRows(tb testing.TB, pool *pgxpool.Pool) []ledgerRow {
	tb.Helper()
	rows, _ := pool.Query(context.Background(), `SELECT id::text, edition_id, project_id::text, status, voter_id, coalesce(leaf_index, -1)
		FROM votes ORDER BY id`)
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ledgerRow, error) {
		var l ledgerRow
		err := r.Scan(&l.ID, &l.Edition, &l.Project, &l.Status, &l.Voter, &l.Leaf)
		return l, err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestMigration_partitionedVotes(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testenv.EmptyDatabaseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	migrateTo(t, pool, 7)
	s := postgres.New(pool)
	ed, cats, projects := prizes.DemoEdition("demo", 3)
	if err := s.SeedEdition(ctx, ed, cats, projects); err != nil {
		t.Fatal(err)
	}
	var batch []voting.Vote
	for voter := int64(1); voter <= 300; voter++ {
		batch = append(batch, vote(voter, projects[int(voter)%len(projects)]))
	}
	// A vote of an edition the editions table does not hold, as tests and
	// imports may have left.
	_, _, orphan := prizes.DemoEdition("orphan", 1)
	batch = append(batch, vote(1, orphan[0]))
	if n, err := s.Insert(ctx, batch); err != nil || n != len(batch) {
		t.Fatalf("insert before the migration = %d, %v; want %d, nil", n, err, len(batch))
	}
	if _, err := pool.Exec(ctx, `INSERT INTO fraud_cases (edition_id, id, kind, found_at, updated_at) VALUES ('demo', 'c1', 'ring', now(), now());
		INSERT INTO fraud_case_votes (edition_id, case_id, vote_id) SELECT 'demo', 'c1', id FROM votes WHERE edition_id = 'demo' LIMIT 5`); err != nil {
		t.Fatal(err)
	}
	before := ledgerRows(t, pool)

	applied, err := migrations.Apply(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(applied, "0008_partitioned_votes.sql") {
		t.Fatalf("applied %v; want 0008_partitioned_votes.sql among them", applied)
	}
	if after := ledgerRows(t, pool); !slices.Equal(after, before) {
		t.Fatalf("the migration changed the ledger: %d rows before, %d after", len(before), len(after))
	}
	var inDefault, caseVotes int
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM votes_default), (SELECT count(*) FROM fraud_case_votes)`).Scan(&inDefault, &caseVotes); err != nil {
		t.Fatal(err)
	}
	if inDefault != 0 || caseVotes != 5 {
		t.Fatalf("after the migration votes_default holds %d and fraud_case_votes %d; want 0 and 5", inDefault, caseVotes)
	}
	if got := partitionOf(t, pool, batch[len(batch)-1].ID); got != "votes_orphan" {
		t.Fatalf("the orphan edition's vote is in %s; want votes_orphan", got)
	}

	t.Run("a second vote in a filled slot is refused", func(t *testing.T) {
		again := vote(1, projects[1])
		again.Slot, again.Category = batch[0].Slot, batch[0].Category
		if n, err := s.Insert(ctx, []voting.Vote{again}); err != nil || n != 0 {
			t.Fatalf("insert = %d, %v; want 0, nil", n, err)
		}
		_, err := pool.Exec(ctx, `INSERT INTO votes (id, edition_id, voter_id, project_id, category_code, slot, status, cast_at)
			SELECT gen_random_uuid(), edition_id, voter_id, project_id, category_code, slot, status, cast_at FROM votes WHERE id = $1`, batch[0].ID)
		if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
			t.Fatalf("a second row in a filled slot: %v; want a unique violation", err)
		}
	})
	t.Run("a replayed vote id is refused", func(t *testing.T) {
		if n, err := s.Insert(ctx, batch[:10]); err != nil || n != 0 {
			t.Fatalf("replay = %d, %v; want 0, nil", n, err)
		}
		_, err := pool.Exec(ctx, `INSERT INTO votes (id, edition_id, voter_id, project_id, category_code, slot, status, cast_at)
			SELECT id, edition_id, voter_id, project_id, category_code, 'another-slot', status, cast_at FROM votes WHERE id = $1`, batch[0].ID)
		if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
			t.Fatalf("a second row with the same vote id: %v; want a unique violation", err)
		}
	})
	t.Run("a vote id of the edition is refused whoever the voter", func(t *testing.T) {
		_, err := pool.Exec(ctx, `INSERT INTO votes (id, edition_id, voter_id, project_id, category_code, slot, status, cast_at)
			SELECT id, edition_id, voter_id + 100000, project_id, category_code, slot, status, cast_at FROM votes WHERE id = $1`, batch[0].ID)
		if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation || pgErr.ConstraintName != "votes_demo_pkey" {
			t.Fatalf("another voter's row with the same vote id: %v; want a unique violation of votes_demo_pkey", err)
		}
	})
	t.Run("a leaf index of the edition is refused twice", func(t *testing.T) {
		_, err := pool.Exec(ctx, `UPDATE votes SET leaf_index = (SELECT leaf_index FROM votes WHERE id = $1)
			WHERE id = $2 AND edition_id = 'demo'`, batch[0].ID, batch[1].ID)
		if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != uniqueViolation {
			t.Fatalf("a second vote with a leaf index: %v; want a unique violation", err)
		}
	})
	t.Run("a case vote must be a vote of the case's edition", func(t *testing.T) {
		_, err := pool.Exec(ctx, `INSERT INTO fraud_case_votes (edition_id, case_id, vote_id) VALUES ('demo', 'c1', gen_random_uuid())`)
		if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != foreignKeyViolation {
			t.Fatalf("a case vote that is no vote: %v; want a foreign key violation", err)
		}
		_, err = pool.Exec(ctx, `INSERT INTO fraud_case_votes (edition_id, case_id, vote_id) VALUES ('demo', 'c1', $1)`, batch[len(batch)-1].ID)
		if pgErr := (*pgconn.PgError)(nil); !errors.As(err, &pgErr) || pgErr.Code != foreignKeyViolation {
			t.Fatalf("a case vote of another edition: %v; want a foreign key violation", err)
		}
	})
	t.Run("the log numbering goes on after the migration", func(t *testing.T) {
		next := vote(1000, projects[0])
		if n, err := s.Insert(ctx, []voting.Vote{next}); err != nil || n != 1 {
			t.Fatalf("insert = %d, %v; want 1, nil", n, err)
		}
		checkLog(t, s, "demo")
	})
}
