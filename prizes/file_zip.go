package prizes

import (
	"archive/zip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// FilesManifestHeader is the header row of files.csv in a category's ZIP.
func FilesManifestHeader() []string {
	return []string{"project_id", "kind", "position", "path", "name", "content_type", "size", "sha256"}
}

// WriteEntriesZIP streams one ZIP to w with a category's entries and their
// files: entries.csv (WriteEntriesCSV), files.csv (one row per file with
// its path in the archive and its SHA-256) and each file under
// <project id>/. A file's bytes are read with open while the archive is
// written, one at a time, so the archive is never held in memory. Files
// already compressed (PDF, PNG, JPEG) are stored as they are.
func WriteEntriesZIP(ctx context.Context, w io.Writer, edition string, entries []Submission, files map[string][]File,
	open func(ctx context.Context, hash string) (io.ReadCloser, int64, error), now time.Time) error {
	zw := zip.NewWriter(w)
	header := func(name string, method uint16) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: now.UTC()})
	}
	part, err := header("entries.csv", zip.Deflate)
	if err != nil {
		return fmt.Errorf("write entries zip: %w", err)
	}
	if err := WriteEntriesCSV(part, edition, entries, files); err != nil {
		return fmt.Errorf("write entries zip: %w", err)
	}
	part, err = header("files.csv", zip.Deflate)
	if err != nil {
		return fmt.Errorf("write entries zip: %w", err)
	}
	cw := csv.NewWriter(part)
	_ = cw.Write(FilesManifestHeader())
	for _, e := range entries {
		for _, f := range files[e.ID] {
			_ = cw.Write([]string{e.ID, string(f.Kind), strconv.Itoa(f.Position), ZIPPath(f), cell(f.Name),
				f.ContentType, strconv.FormatInt(f.Size, 10), f.Hash})
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write entries zip: %w", err)
	}
	for _, e := range entries {
		for _, f := range files[e.ID] {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("write entries zip: %w", err)
			}
			part, err := header(ZIPPath(f), zip.Store)
			if err != nil {
				return fmt.Errorf("write entries zip: %w", err)
			}
			r, _, err := open(ctx, f.Hash)
			if err != nil {
				return fmt.Errorf("write entries zip, file %s: %w", f.Hash, err)
			}
			_, err = io.Copy(part, r)
			r.Close()
			if err != nil {
				return fmt.Errorf("write entries zip, file %s: %w", f.Hash, err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write entries zip: %w", err)
	}
	return nil
}

// ZIPPath is where f is in a category's ZIP: under its entry's id, the
// logo as logo.<ext> and the attachments numbered in order, so that two
// files never share a path whatever their names.
func ZIPPath(f File) string {
	if f.Kind == FileLogo {
		return f.ProjectID + "/logo" + extensionOf(f.ContentType)
	}
	return fmt.Sprintf("%s/%d-%s", f.ProjectID, f.Position, f.Name)
}
