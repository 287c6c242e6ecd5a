package prizes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
)

// ErrBlobNotFound means the blob store has no blob of that hash.
var ErrBlobNotFound = kind.New(kind.NotFound, "file_not_found", "no such file")

// Blobs keeps files' bytes by their content hash (see Blob). Every method
// returns kind.ErrUnavailable when the store cannot be reached.
// prizes/localdisk and prizes/s3 are the two.
type Blobs interface {
	// Put stores b under b.Hash, replacing a blob of that name, which
	// refreshes its modification time (see Files.Sweep). It returns
	// kind.ErrInvalid when b.Hash is not the SHA-256 of b.Data. A reader
	// never sees a partly written blob.
	Put(ctx context.Context, b Blob) error
	// Get opens the blob named hash and returns its size. It returns
	// ErrBlobNotFound.
	Get(ctx context.Context, hash string) (io.ReadCloser, int64, error)
	// Delete removes the blob named hash; a missing blob is not an error.
	Delete(ctx context.Context, hash string) error
	// List calls fn with every blob's hash and modification time, in no
	// particular order, and stops at fn's first error, which it returns.
	List(ctx context.Context, fn func(hash string, modified time.Time) error) error
}

// FileUse is a recorded file that refers to a blob, with what decides who
// may read it: the entry's owner and status.
type FileUse struct {
	File
	OwnerID int64
	Status  Status
	// Thumb says the blob is the file's thumbnail rather than the file.
	Thumb bool
}

// FileStore records which entry has which files. Its changes follow the
// rules of editing the entry (owner, phase, status) and return what
// UpdateSubmission returns for them: voting.ErrUnknownProject for an entry
// that is not the actor's, ErrFinal, a *PhaseError,
// voting.ErrUnknownEdition and kind.ErrUnavailable.
type FileStore interface {
	// AddFile records f for the actor's entry in the transaction of the
	// entry's change and calls put, which writes the blobs, before it
	// commits: a refusal writes nothing, and a failed put records nothing.
	// A logo replaces the entry's logo; an attachment whose content the
	// entry already has is answered with the one recorded. It returns a
	// *FileError with ErrTooManyAttachments.
	AddFile(ctx context.Context, actor Actor, edition, entry string, f File, put func(ctx context.Context) error) (File, error)
	// RemoveFile removes one of the entry's files by its id. It returns
	// ErrBlobNotFound for a file the entry does not have.
	RemoveFile(ctx context.Context, actor Actor, edition, entry, id string) error
	// EntryFiles lists the files of the actor's entry, the logo first and
	// then the attachments in order.
	EntryFiles(ctx context.Context, actor Actor, edition, entry string) ([]File, error)
	// FilesOf lists the files of an edition's entries by entry id, the
	// logo first.
	FilesOf(ctx context.Context, edition string, entries []string) (map[string][]File, error)
	// Entries lists an edition's entries past their draft in any status,
	// of one category or of all when category is empty, by category and
	// submission time. It returns voting.ErrUnknownCategory.
	Entries(ctx context.Context, edition, category string) ([]Submission, error)
	// FileUses lists the files of the edition that refer to the blob
	// named hash, as the file or as its thumbnail.
	FileUses(ctx context.Context, edition, hash string) ([]FileUse, error)
	// Referenced returns which of hashes some file of any edition refers
	// to.
	Referenced(ctx context.Context, hashes []string) (map[string]bool, error)
}

// Files is the service of entries' files: checks, blobs and records
// together.
type Files struct {
	Blobs Blobs
	Store FileStore
	// Now is the clock of Sweep (time.Now when nil).
	Now func() time.Time
}

// Upload checks data as a file of kind k (see PrepareFile) and adds it to
// the actor's entry. The blobs are written inside the store's transaction,
// after every check passed and before the record commits, so a refused
// upload leaves neither a record nor a blob; a blob written by a
// transaction that then failed to commit has no record and is removed by
// Sweep.
func (fs *Files) Upload(ctx context.Context, actor Actor, edition, entry string, k FileKind, name string, data []byte) (File, error) {
	p, err := PrepareFile(k, name, data)
	if err != nil {
		return File{}, fmt.Errorf("upload %s to entry %q: %w", k, entry, err)
	}
	f, err := fs.Store.AddFile(ctx, actor, edition, entry, p.File, func(ctx context.Context) error {
		if err := fs.Blobs.Put(ctx, p.Data); err != nil {
			return err
		}
		if p.Thumb != nil {
			return fs.Blobs.Put(ctx, *p.Thumb)
		}
		return nil
	})
	if err != nil {
		return File{}, fmt.Errorf("upload %s to entry %q: %w", k, entry, err)
	}
	return f, nil
}

// Remove removes a file from the actor's entry. Its blobs stay until Sweep
// finds them unused, since another entry may hold the same content.
func (fs *Files) Remove(ctx context.Context, actor Actor, edition, entry, id string) error {
	if err := fs.Store.RemoveFile(ctx, actor, edition, entry, id); err != nil {
		return fmt.Errorf("remove file %q of entry %q: %w", id, entry, err)
	}
	return nil
}

// Open opens the blob named hash.
func (fs *Files) Open(ctx context.Context, hash string) (io.ReadCloser, int64, error) {
	if !ValidHash(hash) {
		return nil, 0, fmt.Errorf("open file %q: %w", hash, ErrBlobNotFound)
	}
	return fs.Blobs.Get(ctx, hash)
}

// SweepGrace is how long a blob without a record is kept by Sweep: longer
// than any upload takes between writing its blobs and committing its
// record.
const SweepGrace = time.Hour

// Sweep removes the blobs no file refers to that were last written more
// than grace ago, and returns how many it removed. Put refreshes a blob's
// time, so an upload in flight is never swept from under its record.
func (fs *Files) Sweep(ctx context.Context, grace time.Duration) (int, error) {
	now := time.Now
	if fs.Now != nil {
		now = fs.Now
	}
	cutoff := now().Add(-grace)
	var old []string
	err := fs.Blobs.List(ctx, func(hash string, modified time.Time) error {
		if modified.Before(cutoff) {
			old = append(old, hash)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep blobs: %w", err)
	}
	removed := 0
	for len(old) > 0 {
		batch := old[:min(len(old), 1000)]
		old = old[len(batch):]
		used, err := fs.Store.Referenced(ctx, batch)
		if err != nil {
			return removed, fmt.Errorf("sweep blobs: %w", err)
		}
		for _, h := range batch {
			if used[h] {
				continue
			}
			if err := fs.Blobs.Delete(ctx, h); err != nil && !errors.Is(err, ErrBlobNotFound) {
				return removed, fmt.Errorf("sweep blob %s: %w", h, err)
			}
			removed++
		}
	}
	return removed, nil
}

// Public reports whether anyone may read the blob without signing in: a
// nominee's logo and its thumbnail (nominated, Champion or Winner), which
// the ballot shows. Attachments are for the owner and the organisers.
func (u FileUse) Public() bool {
	switch u.Status {
	case StatusNominated, StatusChampion, StatusWinner:
		return u.Kind == FileLogo
	}
	return false
}
