package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/wsisvote/prizes/internal/database"
	"github.com/wsisvote/prizes/prizes"
)

var _ prizes.FileStore = (*Store)(nil)

// fileColumns are the entry_files columns a prizes.File is read from.
const fileColumns = `f.id::text, f.project_id::text, f.kind, f.position, f.name, f.content_type, f.size, f.hash,
	f.width, f.height, f.thumb_hash, f.thumb_width, f.thumb_height, f.created_at`

func scanFile(r pgx.CollectableRow) (prizes.File, error) {
	var f prizes.File
	var k string
	err := r.Scan(&f.ID, &f.ProjectID, &k, &f.Position, &f.Name, &f.ContentType, &f.Size, &f.Hash,
		&f.Width, &f.Height, &f.Thumb, &f.ThumbWidth, &f.ThumbHeight, &f.CreatedAt)
	f.Kind, f.CreatedAt = prizes.FileKind(k), f.CreatedAt.UTC()
	return f, err
}

// editableEntry locks one of the actor's entries in an edit transaction and
// checks that it may still change, as UpdateSubmission does.
func editableEntry(ctx context.Context, tx pgx.Tx, actor prizes.Actor, edition, id string) (prizes.Submission, error) {
	cur, err := ownSubmission(ctx, tx, actor.ID, edition, id, true)
	if err != nil {
		return prizes.Submission{}, err
	}
	if !cur.Editable() {
		return prizes.Submission{}, fmt.Errorf("entry %s is %s: %w", id, cur.Status, prizes.ErrFinal)
	}
	return cur, nil
}

// AddFile records f for the actor's entry under the rules of editing it,
// then calls put and commits only if put succeeded. The entry's row lock
// (and the edition's) is held while put writes the blobs.
func (s *Store) AddFile(ctx context.Context, actor prizes.Actor, edition, entry string, f prizes.File,
	put func(ctx context.Context) error) (prizes.File, error) {
	var out prizes.File
	err := s.edit(ctx, actor, edition, prizes.ActionEditEntry, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		cur, err := editableEntry(ctx, tx, actor, ed.ID, entry)
		if err != nil {
			return nil, err
		}
		var files []prizes.File
		if files, err = entryFiles(ctx, tx, cur.ID); err != nil {
			return nil, err
		}
		position, attachments := 0, 0
		for _, g := range files {
			if g.Kind == f.Kind && g.Hash == f.Hash {
				// The same content again (a double submit): nothing changes.
				out = g
				return nil, nil
			}
			if g.Kind == prizes.FileAttachment {
				attachments++
				position = max(position, g.Position)
			}
		}
		if f.Kind == prizes.FileAttachment {
			if attachments >= prizes.MaxAttachments {
				return nil, &prizes.FileError{Field: prizes.FileAttachment.Field(), Err: prizes.ErrTooManyAttachments,
					Detail: fmt.Sprintf("an entry may have at most %d attachments; remove one first", prizes.MaxAttachments)}
			}
			position++
		}
		if f.Kind == prizes.FileLogo {
			// A new logo replaces the logo.
			if _, err := tx.Exec(ctx, `DELETE FROM entry_files WHERE project_id = $1 AND position = 0`, cur.ID); err != nil {
				return nil, err
			}
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		rows, _ := tx.Query(ctx, `INSERT INTO entry_files AS f (id, project_id, kind, position, name, content_type, size,
				hash, width, height, thumb_hash, thumb_width, thumb_height, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+fileColumns,
			id, cur.ID, string(f.Kind), position, f.Name, f.ContentType, f.Size, f.Hash, f.Width, f.Height,
			f.Thumb, f.ThumbWidth, f.ThumbHeight, s.now())
		if out, err = pgx.CollectExactlyOneRow(rows, scanFile); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `UPDATE projects SET updated_at = now() WHERE id = $1`, cur.ID); err != nil {
			return nil, err
		}
		return nil, put(ctx)
	})
	if err != nil {
		return prizes.File{}, fmt.Errorf("add %s to entry %q: %w", f.Kind, entry, err)
	}
	return out, nil
}

// RemoveFile removes one of the entry's files; the attachments after it
// move up one place, so they stay numbered from 1.
func (s *Store) RemoveFile(ctx context.Context, actor prizes.Actor, edition, entry, id string) error {
	fid, err := uuid.Parse(id)
	if err != nil {
		return fmt.Errorf("remove file %q: %w", id, prizes.ErrBlobNotFound)
	}
	err = s.edit(ctx, actor, edition, prizes.ActionEditEntry, func(tx pgx.Tx, ed prizes.Edition) (*change, error) {
		cur, err := editableEntry(ctx, tx, actor, ed.ID, entry)
		if err != nil {
			return nil, err
		}
		var position int
		err = tx.QueryRow(ctx, `DELETE FROM entry_files WHERE id = $1 AND project_id = $2 RETURNING position`,
			fid, cur.ID).Scan(&position)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("file %q of entry %s: %w", id, cur.ID, prizes.ErrBlobNotFound)
		}
		if err != nil {
			return nil, err
		}
		if position > 0 {
			// (project, position) is checked at the end of the statement.
			if _, err := tx.Exec(ctx, `UPDATE entry_files SET position = position - 1
				WHERE project_id = $1 AND position > $2`,
				cur.ID, position); err != nil {
				return nil, err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE projects SET updated_at = now() WHERE id = $1`, cur.ID)
		return nil, err
	})
	if err != nil {
		return fmt.Errorf("remove file %q of entry %q: %w", id, entry, err)
	}
	return nil
}

// entryFiles lists an entry's files, the logo first.
func entryFiles(ctx context.Context, q querier, project string) ([]prizes.File, error) {
	rows, _ := q.Query(ctx, `SELECT `+fileColumns+` FROM entry_files f WHERE f.project_id = $1 ORDER BY f.position`, project)
	return pgx.CollectRows(rows, scanFile)
}

// EntryFiles lists the files of one of the actor's entries, in any phase.
func (s *Store) EntryFiles(ctx context.Context, actor prizes.Actor, edition, entry string) ([]prizes.File, error) {
	sub, err := s.Submission(ctx, actor, edition, entry)
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	files, err := entryFiles(ctx, s.pool, sub.ID)
	if err != nil {
		return nil, fmt.Errorf("list files of entry %q: %w", entry, database.Translate(err))
	}
	return files, nil
}

// FilesOf lists the files of the edition's entries by entry id; ids that
// are not entries of the edition have none.
func (s *Store) FilesOf(ctx context.Context, edition string, entries []string) (map[string][]prizes.File, error) {
	ids := make([]uuid.UUID, 0, len(entries))
	for _, e := range entries {
		if u, err := uuid.Parse(e); err == nil {
			ids = append(ids, u)
		}
	}
	out := map[string][]prizes.File{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+fileColumns+` FROM entry_files f JOIN projects p ON p.id = f.project_id
		WHERE p.edition_id = $1 AND f.project_id = ANY($2) ORDER BY f.project_id, f.position`, edition, ids)
	files, err := pgx.CollectRows(rows, scanFile)
	if err != nil {
		return nil, fmt.Errorf("list files in %q: %w", edition, database.Translate(err))
	}
	for _, f := range files {
		out[f.ProjectID] = append(out[f.ProjectID], f)
	}
	return out, nil
}

// Entries lists the edition's entries past their draft, for the
// organisers' exports, in any phase.
func (s *Store) Entries(ctx context.Context, edition, category string) ([]prizes.Submission, error) {
	ed, err := loadEdition(ctx, s.pool, edition, false)
	if err != nil {
		return nil, fmt.Errorf("list entries: %w", database.Translate(err))
	}
	if category != "" {
		if err := prizes.CheckCategory(ed, category); err != nil {
			return nil, fmt.Errorf("list entries: %w", err)
		}
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+submissionColumns+` FROM projects
		WHERE edition_id = $1 AND ($2 = '' OR category_code = $2) AND owner_id IS NOT NULL AND status <> 'draft'
		ORDER BY category_code, submitted_at, id`, ed.ID, category)
	out, err := pgx.CollectRows(rows, scanSubmission)
	if err != nil {
		return nil, fmt.Errorf("list entries of %q: %w", edition, database.Translate(err))
	}
	return out, nil
}

// FileUses lists the edition's files that refer to the blob named hash.
func (s *Store) FileUses(ctx context.Context, edition, hash string) ([]prizes.FileUse, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+fileColumns+`, coalesce(p.owner_id, 0), p.status, f.hash <> $2
		FROM entry_files f JOIN projects p ON p.id = f.project_id
		WHERE p.edition_id = $1 AND (f.hash = $2 OR f.thumb_hash = $2)`, edition, hash)
	uses, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (prizes.FileUse, error) {
		var u prizes.FileUse
		var k, status string
		err := r.Scan(&u.ID, &u.ProjectID, &k, &u.Position, &u.Name, &u.ContentType, &u.Size, &u.Hash,
			&u.Width, &u.Height, &u.File.Thumb, &u.ThumbWidth, &u.ThumbHeight, &u.CreatedAt, &u.OwnerID, &status, &u.Thumb)
		u.Kind, u.Status = prizes.FileKind(k), prizes.Status(status)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("find file %s: %w", hash, database.Translate(err))
	}
	return uses, nil
}

// Referenced returns which of hashes a file of any edition refers to.
func (s *Store) Referenced(ctx context.Context, hashes []string) (map[string]bool, error) {
	rows, _ := s.pool.Query(ctx, `SELECT hash FROM entry_files WHERE hash = ANY($1)
		UNION SELECT thumb_hash FROM entry_files WHERE thumb_hash = ANY($1)`, hashes)
	used, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("find referenced blobs: %w", database.Translate(err))
	}
	out := make(map[string]bool, len(used))
	for _, h := range used {
		out[h] = true
	}
	return out, nil
}
