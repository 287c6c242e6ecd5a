package prizes_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// testPNG returns a w x h PNG with a text chunk of metadata after its
// header, which re-encoding must drop.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 200, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testJPEG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewRGBA(image.Rect(0, 0, w, h)), nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var testPDF = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

func TestPrepareFile(t *testing.T) {
	pngData := testPNG(t, 400, 200)
	tests := []struct {
		name   string
		kind   prizes.FileKind
		file   string
		data   []byte
		err    *kind.Error
		ct     string
		stored string
	}{
		{"png logo", prizes.FileLogo, "logo.png", pngData, nil, prizes.TypePNG, "logo.png"},
		{"jpeg logo", prizes.FileLogo, "photo.JPEG", testJPEG(t, 64, 64), nil, prizes.TypeJPEG, "photo.jpg"},
		{"png renamed .pdf is a png", prizes.FileAttachment, "report.pdf", pngData, nil, prizes.TypePNG, "report.png"},
		{"pdf named .png is a pdf attachment", prizes.FileAttachment, "scan.png", testPDF, nil, prizes.TypePDF, "scan.pdf"},
		{"pdf named .png is no logo", prizes.FileLogo, "logo.png", testPDF, prizes.ErrFileType, "", ""},
		{"text refused", prizes.FileAttachment, "notes.pdf", []byte("just some text"), prizes.ErrFileType, "", ""},
		{"html refused", prizes.FileAttachment, "x.png", []byte("<html><script>alert(1)</script>"), prizes.ErrFileType, "", ""},
		{"gif refused", prizes.FileLogo, "a.gif", []byte("GIF89a\x01\x00\x01\x00"), prizes.ErrFileType, "", ""},
		{"corrupt png", prizes.FileLogo, "logo.png", pngData[:len(pngData)/2], prizes.ErrFileCorrupt, "", ""},
		{"png header only", prizes.FileLogo, "logo.png", pngData[:40], prizes.ErrFileCorrupt, "", ""},
		{"empty", prizes.FileAttachment, "a.pdf", nil, prizes.ErrFileCorrupt, "", ""},
		{"oversized logo", prizes.FileLogo, "big.png", append(bytes.Clone(pngData), make([]byte, prizes.MaxLogoBytes)...), prizes.ErrFileTooLarge, "", ""},
		{"oversized attachment", prizes.FileAttachment, "big.pdf", append(bytes.Clone(testPDF), make([]byte, prizes.MaxAttachmentBytes)...), prizes.ErrFileTooLarge, "", ""},
		{"unknown kind", prizes.FileKind("banner"), "a.png", pngData, prizes.ErrFileKind, "", ""},
		{"name without path or quotes", prizes.FileAttachment, `C:\docs\"evil"/..\report.final.pdf`, testPDF, nil, prizes.TypePDF, "report.final.pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := prizes.PrepareFile(tt.kind, tt.file, tt.data)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("PrepareFile = %v; want %s", err, tt.err.Code)
				}
				var fe prizes.FieldErrors
				if !errors.As(err, &fe) || len(fe) != 1 {
					t.Fatalf("PrepareFile = %v; want one field error", err)
				}
				if e, _ := kind.Find(err); e.Code != tt.err.Code {
					t.Fatalf("code %s; want %s", e.Code, tt.err.Code)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.ContentType != tt.ct || p.Name != tt.stored {
				t.Fatalf("got %s %q; want %s %q", p.ContentType, p.Name, tt.ct, tt.stored)
			}
			if p.Data.Hash != prizes.NewBlob(p.Data.Data).Hash || p.Hash != p.Data.Hash || !prizes.ValidHash(p.Data.Hash) || p.Size != int64(len(p.Data.Data)) {
				t.Fatalf("hash or size does not match the data: %+v", p.File)
			}
		})
	}
}

func TestPrepareFile_image(t *testing.T) {
	src := testPNG(t, 400, 200)
	// A chunk of text after IEND is what re-encoding must drop.
	hidden := append(bytes.Clone(src), []byte("tEXtsecret payload")...)
	p, err := prizes.PrepareFile(prizes.FileLogo, "logo.png", hidden)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.Data.Data, []byte("secret")) {
		t.Fatal("re-encoded image still holds the bytes hidden after its data")
	}
	if p.Width != 400 || p.Height != 200 {
		t.Fatalf("size %dx%d; want 400x200", p.Width, p.Height)
	}
	if p.Thumb == nil || p.ThumbWidth != prizes.ThumbnailSize || p.ThumbHeight != prizes.ThumbnailSize/2 || p.File.Thumb != p.Thumb.Hash {
		t.Fatalf("thumbnail %dx%d %v", p.ThumbWidth, p.ThumbHeight, p.Thumb != nil)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(p.Thumb.Data))
	if err != nil || cfg.Width != p.ThumbWidth || cfg.Height != p.ThumbHeight {
		t.Fatalf("thumbnail decodes as %+v, %v", cfg, err)
	}
}

func TestPrepareFile_pixelBomb(t *testing.T) {
	// A PNG header claiming 100000 x 100000 pixels is refused before
	// anything is allocated for it.
	data := testPNG(t, 1, 1)
	copy(data[16:24], []byte{0, 1, 0x86, 0xa0, 0, 1, 0x86, 0xa0})
	if _, err := prizes.PrepareFile(prizes.FileLogo, "x.png", data); !errors.Is(err, prizes.ErrFileCorrupt) {
		t.Fatalf("PrepareFile = %v; want file_corrupt", err)
	}
}

func TestThumbnail(t *testing.T) {
	tests := []struct{ w, h, tw, th int }{
		{400, 200, 160, 80}, {200, 400, 80, 160}, {100, 50, 100, 50}, {1000, 1, 160, 1}, {160, 160, 160, 160},
	}
	for _, tt := range tests {
		img := image.NewNRGBA(image.Rect(0, 0, tt.w, tt.h))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		got := prizes.Thumbnail(img, 160)
		if b := got.Bounds(); b.Dx() != tt.tw || b.Dy() != tt.th {
			t.Errorf("%dx%d: thumbnail %dx%d; want %dx%d", tt.w, tt.h, b.Dx(), b.Dy(), tt.tw, tt.th)
		}
		if c := got.NRGBAAt(0, 0); c != (color.NRGBA{255, 255, 255, 255}) {
			t.Errorf("%dx%d: white became %v", tt.w, tt.h, c)
		}
	}
}

func TestCleanFileName(t *testing.T) {
	tests := map[string]string{
		"report.pdf": "report.pdf", "../../etc/passwd": "passwd.pdf", "": "file.pdf", ".pdf": "file.pdf",
		"a\x00b\r\n.pdf": "ab.pdf", strings.Repeat("é", 300) + ".pdf": strings.Repeat("é", prizes.MaxFileName) + ".pdf",
	}
	for in, want := range tests {
		if got := prizes.CleanFileName(in, prizes.TypePDF); got != want {
			t.Errorf("CleanFileName(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestWriteEntriesZIP(t *testing.T) {
	blobs := map[string][]byte{}
	logo := prizes.NewBlob(testPNG(t, 10, 10))
	doc := prizes.NewBlob(testPDF)
	blobs[logo.Hash], blobs[doc.Hash] = logo.Data, doc.Data
	entries := []prizes.Submission{{ID: "p1", Entry: prizes.Entry{Category: "C1", Title: "=HYPERLINK()", Links: []string{"https://a.example"}},
		Status: prizes.StatusSubmitted}}
	files := map[string][]prizes.File{"p1": {
		{ProjectID: "p1", Kind: prizes.FileLogo, Name: "logo.png", ContentType: prizes.TypePNG, Hash: logo.Hash, Size: int64(len(logo.Data))},
		{ProjectID: "p1", Kind: prizes.FileAttachment, Position: 1, Name: "plan.pdf", ContentType: prizes.TypePDF, Hash: doc.Hash, Size: int64(len(doc.Data))},
	}}
	open := func(_ context.Context, hash string) (io.ReadCloser, int64, error) {
		b, ok := blobs[hash]
		if !ok {
			return nil, 0, prizes.ErrBlobNotFound
		}
		return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
	}
	var buf bytes.Buffer
	if err := prizes.WriteEntriesZIP(context.Background(), &buf, "e", entries, files, open, time.Unix(0, 0)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	if !bytes.Equal(got["p1/logo.png"], logo.Data) || !bytes.Equal(got["p1/1-plan.pdf"], doc.Data) {
		t.Fatalf("archive holds %v", len(got))
	}
	rows, err := csv.NewReader(bytes.NewReader(got["entries.csv"])).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][4] != "'=HYPERLINK()" || rows[1][12] != "logo.png" || rows[1][13] != "plan.pdf" {
		t.Fatalf("entries.csv = %q, %v", rows, err)
	}
	manifest, err := csv.NewReader(bytes.NewReader(got["files.csv"])).ReadAll()
	if err != nil || len(manifest) != 3 || manifest[2][3] != "p1/1-plan.pdf" || manifest[2][7] != doc.Hash {
		t.Fatalf("files.csv = %q, %v", manifest, err)
	}
}

// BenchmarkPrepareFile measures the checks, re-encoding and thumbnail of a
// 1200 x 800 PNG logo and of a 5 MiB PDF attachment.
func BenchmarkPrepareFile(b *testing.B) {
	img := testPNG(b, 1200, 800)
	pdf := append(bytes.Clone(testPDF), make([]byte, 5<<20)...)
	b.Run("png-1200x800", func(b *testing.B) {
		b.SetBytes(int64(len(img)))
		for b.Loop() {
			if _, err := prizes.PrepareFile(prizes.FileLogo, "logo.png", img); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("pdf-5MiB", func(b *testing.B) {
		b.SetBytes(int64(len(pdf)))
		for b.Loop() {
			if _, err := prizes.PrepareFile(prizes.FileAttachment, "doc.pdf", pdf); err != nil {
				b.Fatal(err)
			}
		}
	})
}
