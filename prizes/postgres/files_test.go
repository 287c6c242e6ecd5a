package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/prizes/localdisk"
	"github.com/wsisvote/prizes/voting"
)

// pngOf returns a w x h PNG whose pixels depend on seed, so that two seeds
// give two contents.
func pngOf(tb testing.TB, w, h int, seed uint8) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i) + seed
	}
	img.SetNRGBA(0, 0, color.NRGBA{R: seed, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func pdfOf(n int) []byte { return fmt.Appendf(nil, "%%PDF-1.4\n%% document %d\n%%%%EOF\n", n) }

// fileFixture is the lifecycle fixture with the files service on a blob
// directory, an edition in submission and one owner's draft.
type fileFixture struct {
	*fixture
	files *prizes.Files
	blobs *localdisk.Store
	owner prizes.Actor
	entry prizes.Submission
}

func newFileFixture(tb testing.TB) *fileFixture {
	tb.Helper()
	f := &fileFixture{fixture: newFixture(tb)}
	blobs, err := localdisk.New(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	f.blobs = blobs
	f.files = &prizes.Files{Blobs: blobs, Store: f.store, Now: f.clock.Now}
	f.createEdition(tb, smallRules)
	f.advance(tb, voting.PhaseSubmission)
	f.owner = f.account(tb, "owner", "files-owner@example.org", "KE")
	f.entry, err = f.store.CreateSubmission(f.ctx, f.owner, f.edition, entry("C1", "Files Org"))
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// blobCount returns how many blobs the store holds.
func (f *fileFixture) blobCount(tb testing.TB) int {
	tb.Helper()
	n := 0
	if err := f.blobs.List(f.ctx, func(string, time.Time) error { n++; return nil }); err != nil {
		tb.Fatal(err)
	}
	return n
}

// rowCount returns how many file rows the database holds.
func (f *fileFixture) rowCount(tb testing.TB) int {
	tb.Helper()
	var n int
	if err := f.pool.QueryRow(f.ctx, `SELECT count(*) FROM entry_files`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestFiles_Upload(t *testing.T) {
	f := newFileFixture(t)
	logo, err := f.files.Upload(f.ctx, f.owner, f.edition, f.entry.ID, prizes.FileLogo, "logo.png", pngOf(t, 300, 100, 1))
	if err != nil {
		t.Fatal(err)
	}
	if logo.Position != 0 || logo.Width != 300 || logo.Thumb == "" || logo.ThumbWidth != prizes.ThumbnailSize || logo.ProjectID != f.entry.ID {
		t.Fatalf("logo recorded as %+v", logo)
	}
	again, err := f.files.Upload(f.ctx, f.owner, f.edition, f.entry.ID, prizes.FileLogo, "logo.png", pngOf(t, 300, 100, 1))
	if err != nil || again.ID != logo.ID {
		t.Fatalf("the same logo again = %+v, %v; want the recorded one", again, err)
	}
	for i := range prizes.MaxAttachments {
		a, err := f.files.Upload(f.ctx, f.owner, f.edition, f.entry.ID, prizes.FileAttachment, "plan.pdf", pdfOf(i))
		if err != nil {
			t.Fatal(err)
		}
		if a.Position != i+1 {
			t.Fatalf("attachment %d at position %d", i, a.Position)
		}
	}
	rows, blobs := f.rowCount(t), f.blobCount(t)
	if rows != 1+prizes.MaxAttachments || blobs != 2+prizes.MaxAttachments {
		t.Fatalf("%d rows and %d blobs; want %d and %d", rows, blobs, 1+prizes.MaxAttachments, 2+prizes.MaxAttachments)
	}

	other := f.account(t, "owner", "other-owner@example.org", "BR")
	refusals := []struct {
		name  string
		actor prizes.Actor
		kind  prizes.FileKind
		data  []byte
		want  error
	}{
		{"too many attachments", f.owner, prizes.FileAttachment, pdfOf(99), prizes.ErrTooManyAttachments},
		{"another owner's entry", other, prizes.FileLogo, pngOf(t, 10, 10, 7), voting.ErrUnknownProject},
		{"a text file", f.owner, prizes.FileAttachment, []byte("hello"), prizes.ErrFileType},
		{"a corrupt image", f.owner, prizes.FileLogo, pngOf(t, 10, 10, 8)[:50], prizes.ErrFileCorrupt},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.files.Upload(f.ctx, tt.actor, f.edition, f.entry.ID, tt.kind, "x", tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Upload = %v; want %v", err, tt.want)
			}
			if r, b := f.rowCount(t), f.blobCount(t); r != rows || b != blobs {
				t.Fatalf("a refused upload left %d rows and %d blobs; want %d and %d", r, b, rows, blobs)
			}
		})
	}

	t.Run("remove renumbers", func(t *testing.T) {
		list, err := f.files.Store.EntryFiles(f.ctx, f.owner, f.edition, f.entry.ID)
		if err != nil || len(list) != 1+prizes.MaxAttachments || list[0].Kind != prizes.FileLogo {
			t.Fatalf("EntryFiles = %d files, %v", len(list), err)
		}
		if err := f.files.Remove(f.ctx, other, f.edition, f.entry.ID, list[2].ID); !errors.Is(err, voting.ErrUnknownProject) {
			t.Fatalf("another owner's Remove = %v; want unknown project", err)
		}
		if err := f.files.Remove(f.ctx, f.owner, f.edition, f.entry.ID, list[2].ID); err != nil {
			t.Fatal(err)
		}
		if err := f.files.Remove(f.ctx, f.owner, f.edition, f.entry.ID, list[2].ID); !errors.Is(err, prizes.ErrBlobNotFound) {
			t.Fatalf("Remove twice = %v; want file_not_found", err)
		}
		list, err = f.files.Store.EntryFiles(f.ctx, f.owner, f.edition, f.entry.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, file := range list {
			if file.Position != i {
				t.Fatalf("after removal file %d is at position %d", i, file.Position)
			}
		}
	})
}

func TestFiles_Upload_failedPut(t *testing.T) {
	f := newFileFixture(t)
	failing := &prizes.Files{Blobs: brokenBlobs{f.blobs}, Store: f.store}
	_, err := failing.Upload(f.ctx, f.owner, f.edition, f.entry.ID, prizes.FileLogo, "logo.png", pngOf(t, 20, 20, 3))
	if !errors.Is(err, kind.ErrUnavailable) {
		t.Fatalf("Upload with a failing blob store = %v; want unavailable", err)
	}
	if r := f.rowCount(t); r != 0 {
		t.Fatalf("a failed put left %d rows", r)
	}
}

// brokenBlobs is a blob store whose writes fail.
type brokenBlobs struct{ prizes.Blobs }

func (brokenBlobs) Put(context.Context, prizes.Blob) error {
	return fmt.Errorf("put: %w", kind.ErrUnavailable)
}

func TestFiles_Upload_phase(t *testing.T) {
	f := newFileFixture(t)
	if _, err := f.store.SubmitSubmission(f.ctx, f.owner, f.edition, f.entry.ID); err != nil {
		t.Fatal(err)
	}
	f.advance(t, voting.PhaseReview)
	_, err := f.files.Upload(f.ctx, f.owner, f.edition, f.entry.ID, prizes.FileLogo, "logo.png", pngOf(t, 20, 20, 4))
	if !errors.Is(err, prizes.ErrWrongPhase) {
		t.Fatalf("Upload in review = %v; want wrong_phase", err)
	}
	if r, b := f.rowCount(t), f.blobCount(t); r != 0 || b != 0 {
		t.Fatalf("a refused upload left %d rows and %d blobs", r, b)
	}
}

func TestFiles_Sweep(t *testing.T) {
	f := newFileFixture(t)
	kept, err := f.files.Upload(f.ctx, f.owner, f.edition, f.entry.ID, prizes.FileAttachment, "a.pdf", pdfOf(1))
	if err != nil {
		t.Fatal(err)
	}
	orphan := prizes.NewBlob(pdfOf(2))
	if err := f.blobs.Put(f.ctx, orphan); err != nil {
		t.Fatal(err)
	}
	// Nothing is old enough yet: an upload may be on its way to its record.
	sweeper := &prizes.Files{Blobs: f.blobs, Store: f.store, Now: func() time.Time { return time.Now() }}
	if n, err := sweeper.Sweep(f.ctx, prizes.SweepGrace); err != nil || n != 0 {
		t.Fatalf("Sweep of fresh blobs = %d, %v; want 0", n, err)
	}
	sweeper.Now = func() time.Time { return time.Now().Add(2 * prizes.SweepGrace) }
	if n, err := sweeper.Sweep(f.ctx, prizes.SweepGrace); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want 1", n, err)
	}
	if _, _, err := f.blobs.Get(f.ctx, orphan.Hash); !errors.Is(err, prizes.ErrBlobNotFound) {
		t.Fatalf("the orphan is still there: %v", err)
	}
	r, _, err := f.blobs.Get(f.ctx, kept.Hash)
	if err != nil {
		t.Fatalf("the recorded blob was swept: %v", err)
	}
	r.Close()
}

func TestStore_FileUses(t *testing.T) {
	f := newFileFixture(t)
	logo, err := f.files.Upload(f.ctx, f.owner, f.edition, f.entry.ID, prizes.FileLogo, "logo.png", pngOf(t, 400, 200, 5))
	if err != nil {
		t.Fatal(err)
	}
	uses, err := f.store.FileUses(f.ctx, f.edition, logo.Thumb)
	if err != nil || len(uses) != 1 || !uses[0].Thumb || uses[0].OwnerID != f.owner.ID || uses[0].Public() {
		t.Fatalf("FileUses of a draft's thumbnail = %+v, %v", uses, err)
	}
	if _, err := f.store.SubmitSubmission(f.ctx, f.owner, f.edition, f.entry.ID); err != nil {
		t.Fatal(err)
	}
	f.advance(t, voting.PhaseReview)
	if _, err := f.store.Review(f.ctx, f.organiser, f.edition, []prizes.ReviewDecision{
		{ProjectID: f.entry.ID, Decision: prizes.DecisionNominate}}); err != nil {
		t.Fatal(err)
	}
	uses, err = f.store.FileUses(f.ctx, f.edition, logo.Hash)
	if err != nil || len(uses) != 1 || uses[0].Thumb || !uses[0].Public() {
		t.Fatalf("FileUses of a nominee's logo = %+v, %v", uses, err)
	}
	entries, err := f.store.Entries(f.ctx, f.edition, "C1")
	if err != nil || len(entries) != 1 || entries[0].ID != f.entry.ID {
		t.Fatalf("Entries = %+v, %v", entries, err)
	}
	if _, err := f.store.Entries(f.ctx, f.edition, "C9"); !errors.Is(err, voting.ErrUnknownCategory) {
		t.Fatalf("Entries of an unknown category = %v", err)
	}
	byEntry, err := f.store.FilesOf(f.ctx, f.edition, []string{f.entry.ID, "not-a-uuid"})
	if err != nil || len(byEntry[f.entry.ID]) != 1 {
		t.Fatalf("FilesOf = %v, %v", byEntry, err)
	}
}

// TestFiles_Upload_concurrent sends more attachments than allowed at once:
// exactly MaxAttachments are recorded, the others are refused, and no
// refused one leaves a blob.
func TestFiles_Upload_concurrent(t *testing.T) {
	f := newFileFixture(t)
	const n = prizes.MaxAttachments + 3
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, err := f.files.Upload(f.ctx, f.owner, f.edition, f.entry.ID, prizes.FileAttachment, "doc.pdf", pdfOf(100+i))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	ok, refused := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, prizes.ErrTooManyAttachments):
			refused++
		default:
			t.Errorf("Upload = %v", err)
		}
	}
	if ok != prizes.MaxAttachments || refused != n-prizes.MaxAttachments {
		t.Fatalf("%d recorded and %d refused; want %d and %d", ok, refused, prizes.MaxAttachments, n-prizes.MaxAttachments)
	}
	if r, b := f.rowCount(t), f.blobCount(t); r != prizes.MaxAttachments || b != prizes.MaxAttachments {
		t.Fatalf("%d rows and %d blobs; want %d of each", r, b, prizes.MaxAttachments)
	}
}

// TestFiles_catalogue checks the ballot's catalogue carries a nominee's
// logo thumbnail.
func TestFiles_catalogue(t *testing.T) {
	f := newFileFixture(t)
	logo, err := f.files.Upload(f.ctx, f.owner, f.edition, f.entry.ID, prizes.FileLogo, "logo.png", pngOf(t, 400, 200, 9))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := f.votes.LoadSnapshot(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := snap.Project(f.edition, f.entry.ID)
	if !ok || p.Logo.Hash != logo.Thumb || p.Logo.Width != logo.ThumbWidth || p.Logo.Height != logo.ThumbHeight {
		t.Fatalf("catalogue project %+v, %v; want the logo's thumbnail %s", p.Logo, ok, logo.Thumb)
	}
}
