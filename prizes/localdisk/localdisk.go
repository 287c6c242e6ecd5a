// Package localdisk keeps entries' files on a local disk, by content hash:
// the blob named h is the file <dir>/h[0:2]/h[2:4]/h. A blob is written to a
// temporary file in <dir>/tmp and renamed into place, so a reader sees a
// whole blob or none, and a crash leaves at most a temporary file behind.
// It suits one node, or several sharing one network file system; for
// several nodes without one, use prizes/s3.
package localdisk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// Store is a blob store in a directory.
type Store struct {
	dir string
}

var _ prizes.Blobs = (*Store)(nil)

// New returns a store in dir. The directory is made by the first Put, so
// a node that never stores a file leaves nothing on its disk.
func New(dir string) (*Store, error) {
	if dir == "" {
		return nil, fmt.Errorf("localdisk: no directory given: %w", kind.ErrInvalid)
	}
	return &Store{dir: dir}, nil
}

// path returns where the blob named hash is, or an error for a name that
// is not a hash (so no name ever leaves the directory).
func (s *Store) path(hash string) (string, error) {
	if !prizes.ValidHash(hash) {
		return "", fmt.Errorf("blob %q: %w", hash, prizes.ErrBlobNotFound)
	}
	return filepath.Join(s.dir, hash[0:2], hash[2:4], hash), nil
}

// Put writes b to a temporary file, syncs it and renames it into place.
func (s *Store) Put(ctx context.Context, b prizes.Blob) error {
	if prizes.NewBlob(b.Data).Hash != b.Hash {
		return fmt.Errorf("put blob %q: the name is not the data's SHA-256: %w", b.Hash, kind.ErrInvalid)
	}
	dst, err := s.path(b.Hash)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put blob %s: %w", b.Hash, err)
	}
	for _, d := range []string{filepath.Dir(dst), filepath.Join(s.dir, "tmp")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("put blob %s: %w", b.Hash, err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), b.Hash[:8]+"-*")
	if err != nil {
		return fmt.Errorf("put blob %s: %w", b.Hash, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b.Data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		return fmt.Errorf("put blob %s: %w", b.Hash, err)
	}
	return nil
}

// Get opens the blob named hash.
func (s *Store) Get(_ context.Context, hash string) (io.ReadCloser, int64, error) {
	p, err := s.path(hash)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("get blob %s: %w", hash, prizes.ErrBlobNotFound)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("get blob %s: %w", hash, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("get blob %s: %w", hash, err)
	}
	return f, st.Size(), nil
}

// Delete removes the blob named hash.
func (s *Store) Delete(_ context.Context, hash string) error {
	p, err := s.path(hash)
	if err != nil {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", hash, err)
	}
	return nil
}

// List walks the fan-out directories; temporary files are not blobs.
func (s *Store) List(ctx context.Context, fn func(hash string, modified time.Time) error) error {
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if p == s.dir && errors.Is(err, fs.ErrNotExist) {
			return filepath.SkipAll
		}
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != s.dir && d.Name() == "tmp" && filepath.Dir(p) == s.dir {
				return filepath.SkipDir
			}
			return ctx.Err()
		}
		if !prizes.ValidHash(d.Name()) {
			return nil
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(d.Name(), info.ModTime())
	})
	if err != nil {
		return fmt.Errorf("list blobs: %w", err)
	}
	return nil
}
