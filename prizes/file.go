package prizes

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"net/http"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/wsisvote/prizes/internal/kind"
)

// FileKind is what a file is to its entry: its logo or one of its
// attachments. The values are those of entry_files.kind.
type FileKind string

// The kinds of file an entry has.
const (
	FileLogo       FileKind = "logo"
	FileAttachment FileKind = "attachment"
)

// The content types a file may have; the type is read from the content,
// never from the name.
const (
	TypePDF  = "application/pdf"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
)

// Limits of an entry's files. A logo is small and shown on every ballot; an
// attachment is a document for the organisers and the jury.
const (
	MaxLogoBytes       = 2 << 20
	MaxAttachmentBytes = 10 << 20
	MaxAttachments     = 5
	// MaxImagePixels bounds the area of an image before it is decoded, so
	// that a small file cannot claim gigabytes of memory.
	MaxImagePixels = 40_000_000
	// ThumbnailSize is the longest side of a thumbnail, in pixels.
	ThumbnailSize = 160
	// MaxFileName is the longest file name kept, in characters.
	MaxFileName = 120
)

// The file errors. Each is answered with its own code; a *FileError names
// the field it is about.
var (
	// ErrFileTooLarge means a file is over its kind's size limit.
	ErrFileTooLarge = kind.New(kind.Invalid, "file_too_large", "the file is larger than allowed")
	// ErrFileType means a file's content is not of a type its kind allows.
	ErrFileType = kind.New(kind.Invalid, "file_type", "this type of file is not allowed here")
	// ErrFileCorrupt means a file claims an allowed type but does not
	// decode as one.
	ErrFileCorrupt = kind.New(kind.Invalid, "file_corrupt", "the file is damaged or not what it claims to be")
	// ErrTooManyAttachments means the entry already has MaxAttachments
	// attachments.
	ErrTooManyAttachments = kind.New(kind.Invalid, "too_many_attachments", "the entry has as many attachments as allowed")
	// ErrFileKind means the kind asked for is neither logo nor attachment.
	ErrFileKind = kind.New(kind.Invalid, "file_kind", `the kind of file must be "logo" or "attachment"`)
)

// FileError is a refused file: the error with its code, and what is wrong,
// for the form field it came from. It matches its Err and FieldErrors, so
// it is answered with Err's code and the field's message.
type FileError struct {
	Field  string
	Err    *kind.Error
	Detail string
}

func (e *FileError) Error() string { return e.Field + ": " + e.Detail }

// Unwrap makes a *FileError match its Err first and then FieldErrors.
func (e *FileError) Unwrap() []error {
	return []error{e.Err, FieldErrors{e.Field: e.Detail}}
}

// fileError returns a *FileError for the field of kind k.
func fileError(k FileKind, err *kind.Error, format string, args ...any) *FileError {
	return &FileError{Field: k.Field(), Err: err, Detail: fmt.Sprintf(format, args...)}
}

// ParseFileKind returns the kind named s, or a *FileError.
func ParseFileKind(s string) (FileKind, error) {
	switch k := FileKind(s); k {
	case FileLogo, FileAttachment:
		return k, nil
	}
	return "", &FileError{Field: "kind", Err: ErrFileKind, Detail: `must be "logo" or "attachment"`}
}

// Field is the form field a file of kind k is sent in.
func (k FileKind) Field() string {
	if k == FileLogo {
		return "logo"
	}
	return "attachments"
}

// MaxBytes is the size limit of a file of kind k.
func (k FileKind) MaxBytes() int64 {
	if k == FileLogo {
		return MaxLogoBytes
	}
	return MaxAttachmentBytes
}

// Allows reports whether a file of kind k may have content type ct.
func (k FileKind) Allows(ct string) bool {
	switch ct {
	case TypePNG, TypeJPEG:
		return true
	case TypePDF:
		return k == FileAttachment
	}
	return false
}

// Blob is a content-addressed piece of a file: its bytes and their SHA-256
// in lower-case hex, which is its name in the blob store.
type Blob struct {
	Hash string
	Data []byte
}

// NewBlob returns data named by its hash.
func NewBlob(data []byte) Blob {
	sum := sha256.Sum256(data)
	return Blob{Hash: hex.EncodeToString(sum[:]), Data: data}
}

// ValidHash reports whether s is a blob's name: 64 lower-case hex digits.
func ValidHash(s string) bool {
	if len(s) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// File is one file of an entry as it is recorded: what it is, where its
// bytes are (Hash) and, for an image, its size and thumbnail.
type File struct {
	ID        string   `json:"id"`
	ProjectID string   `json:"project_id"`
	Kind      FileKind `json:"kind"`
	// Position orders an entry's attachments, from 1; a logo's is 0.
	Position    int    `json:"position"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Hash        string `json:"hash"`
	// Width and Height are an image's, in pixels; 0 for a PDF.
	Width  int `json:"width,omitempty"`
	Height int `json:"height,omitempty"`
	// Thumb is the hash of an image's thumbnail, empty for a PDF.
	Thumb       string    `json:"thumb,omitempty"`
	ThumbWidth  int       `json:"thumb_width,omitempty"`
	ThumbHeight int       `json:"thumb_height,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// IsImage reports whether f is a PNG or JPEG image.
func (f File) IsImage() bool { return f.ContentType == TypePNG || f.ContentType == TypeJPEG }

// Blobs returns the hashes of the blobs f's row refers to.
func (f File) Blobs() []string {
	if f.Thumb != "" {
		return []string{f.Hash, f.Thumb}
	}
	return []string{f.Hash}
}

// PreparedFile is an upload that passed every check: the bytes to keep (an
// image re-encoded), its thumbnail for an image, and the File to record,
// without its ID, entry and position, which the store gives it.
type PreparedFile struct {
	File
	Data  Blob
	Thumb *Blob
}

// PrepareFile checks an upload of kind k named name and prepares it for
// storage. The type is read from the content: a PDF must start with %PDF-,
// and an image must decode fully. An image is decoded and encoded again,
// which drops its metadata and anything hidden after its data, and gets a
// thumbnail at most ThumbnailSize pixels on its longest side. It returns a
// *FileError: ErrFileTooLarge, ErrFileType or ErrFileCorrupt.
func PrepareFile(k FileKind, name string, data []byte) (PreparedFile, error) {
	if _, err := ParseFileKind(string(k)); err != nil {
		return PreparedFile{}, err
	}
	if int64(len(data)) > k.MaxBytes() {
		return PreparedFile{}, fileError(k, ErrFileTooLarge, "must be at most %d MiB", k.MaxBytes()>>20)
	}
	if len(data) == 0 {
		return PreparedFile{}, fileError(k, ErrFileCorrupt, "is empty")
	}
	ct := sniff(data)
	if !k.Allows(ct) {
		allowed := "PNG or JPEG"
		if k == FileAttachment {
			allowed = "PDF, PNG or JPEG"
		}
		return PreparedFile{}, fileError(k, ErrFileType, "must be a %s file", allowed)
	}
	p := PreparedFile{File: File{Kind: k, Name: CleanFileName(name, ct), ContentType: ct}}
	if ct == TypePDF {
		p.Data = NewBlob(data)
		p.Hash, p.Size = p.Data.Hash, int64(len(data))
		return p, nil
	}
	img, err := decodeImage(data, ct)
	if err != nil {
		return PreparedFile{}, fileError(k, ErrFileCorrupt, "%v", err)
	}
	clean, err := encodeImage(img, ct)
	if err != nil {
		return PreparedFile{}, fmt.Errorf("prepare %s: %w", k, err)
	}
	if int64(len(clean)) > k.MaxBytes() {
		return PreparedFile{}, fileError(k, ErrFileTooLarge, "must be at most %d MiB", k.MaxBytes()>>20)
	}
	thumb := Thumbnail(img, ThumbnailSize)
	tdata, err := encodeImage(thumb, ct)
	if err != nil {
		return PreparedFile{}, fmt.Errorf("prepare %s thumbnail: %w", k, err)
	}
	b := img.Bounds()
	tb := NewBlob(tdata)
	p.Data, p.Thumb = NewBlob(clean), &tb
	p.Hash, p.Size, p.Width, p.Height = p.Data.Hash, int64(len(clean)), b.Dx(), b.Dy()
	p.File.Thumb, p.ThumbWidth, p.ThumbHeight = tb.Hash, thumb.Bounds().Dx(), thumb.Bounds().Dy()
	return p, nil
}

// sniff returns the content type of data as the file types know it, or
// what net/http.DetectContentType says for anything else.
func sniff(data []byte) string {
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		return TypePDF
	}
	ct, _, _ := strings.Cut(http.DetectContentType(data), ";")
	return ct
}

// decodeImage decodes data as the type sniffed, after checking its claimed
// dimensions against MaxImagePixels.
func decodeImage(data []byte, ct string) (image.Image, error) {
	decodeConfig, decode := png.DecodeConfig, png.Decode
	if ct == TypeJPEG {
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
	}
	cfg, err := decodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("does not decode as %s", ct)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return nil, fmt.Errorf("must be at most %d pixels; it has %dx%d", MaxImagePixels, cfg.Width, cfg.Height)
	}
	img, err := decode(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("does not decode as %s", ct)
	}
	return img, nil
}

// encodeImage encodes img as ct: PNG at the default compression, JPEG at
// quality 90.
func encodeImage(img image.Image, ct string) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if ct == TypeJPEG {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
	} else {
		err = png.Encode(&buf, img)
	}
	return buf.Bytes(), err
}

// CleanFileName returns the name a file is kept under: the last element of
// name, without control characters or quotes, at most MaxFileName
// characters, with the extension of its content type. An empty name
// becomes "file".
func CleanFileName(name, ct string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '/' || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(strings.TrimSuffix(name, path.Ext(name)))
	if name == "" || name == "." {
		name = "file"
	}
	if r := []rune(name); len(r) > MaxFileName {
		name = string(r[:MaxFileName])
	}
	return name + extensionOf(ct)
}

func extensionOf(ct string) string {
	switch ct {
	case TypePDF:
		return ".pdf"
	case TypePNG:
		return ".png"
	case TypeJPEG:
		return ".jpg"
	}
	return ""
}
