package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// errNotMultipart is an upload sent without the multipart/form-data content
// type. It shares its code, and so its 415, with errUnsupportedMediaType.
var errNotMultipart = kind.New(kind.Invalid, errUnsupportedMediaType.Code,
	"the body must be sent with Content-Type: multipart/form-data")

// maxUploadBody bounds an upload's request body: the largest file and room
// for the form's other fields and the multipart framing. A larger body is
// refused with prizes.ErrFileTooLarge before it is all read.
const maxUploadBody = prizes.MaxAttachmentBytes + 64<<10

// fileJSON is a file as the API answers it, with the addresses of its bytes
// and of its thumbnail. The addresses are content-addressed: what they
// answer never changes.
type fileJSON struct {
	prizes.File
	URL      string `json:"url"`
	ThumbURL string `json:"thumb_url,omitempty"`
}

type filesResponse struct {
	Edition string     `json:"edition"`
	Entry   string     `json:"entry"`
	Files   []fileJSON `json:"files"`
}

// fileURL is the API address of the blob named hash in edition.
func fileURL(edition, hash string) string {
	if hash == "" {
		return ""
	}
	return "/api/v1/editions/" + url.PathEscape(edition) + "/files/" + hash
}

func fileOf(edition string, f prizes.File) fileJSON {
	return fileJSON{File: f, URL: fileURL(edition, f.Hash), ThumbURL: fileURL(edition, f.Thumb)}
}

func filesOf(edition, entry string, fs []prizes.File) filesResponse {
	out := filesResponse{Edition: edition, Entry: entry, Files: make([]fileJSON, len(fs))}
	for i, f := range fs {
		out.Files[i] = fileOf(edition, f)
	}
	return out
}

// fileRoutes registers the routes of entries' files.
func (l *lifecycle) fileRoutes(v1 *gin.RouterGroup, owner, organiser, public Policy) {
	const e = "/editions/:edition"
	l.handle(v1, http.MethodGet, e+"/submissions/:id/files", owner, l.listFiles)
	l.handle(v1, http.MethodPost, e+"/submissions/:id/files", owner, l.uploadFile)
	l.handle(v1, http.MethodDelete, e+"/submissions/:id/files/:file", owner, l.deleteFile)
	// A nominee's logo is public; any other file needs its owner's or an
	// organiser's token, which the handler reads.
	l.handle(v1, http.MethodGet, e+"/files/:hash", public, l.downloadFile)
	l.handle(v1, http.MethodGet, e+"/entries.csv", organiser, l.entriesCSV)
	l.handle(v1, http.MethodGet, e+"/entries.zip", organiser, l.entriesZIP)
}

// listFiles is GET /editions/:edition/submissions/:id/files.
func (l *lifecycle) listFiles(c *gin.Context) {
	edition, id := c.Param("edition"), c.Param("id")
	act(l, c, http.StatusOK, func(ctx context.Context, a prizes.Actor) ([]prizes.File, error) {
		return l.cfg.Files.Store.EntryFiles(ctx, a, edition, id)
	}, func(fs []prizes.File) any { return filesOf(edition, id, fs) })
}

// upload is one file of a multipart form, with the form's other fields.
type upload struct {
	// Field is the name of the form field the file came in.
	Field  string
	Name   string
	Data   []byte
	Values url.Values
}

// readUpload reads a multipart/form-data body with one file, of at most
// maxUploadBody bytes. An upload without a file is a *prizes.FileError on
// field fileField; a body too large is one with prizes.ErrFileTooLarge.
// The form's values (the CSRF token of a page's form) are left where
// c.PostForm finds them.
func readUpload(c *gin.Context, fileField string) (upload, error) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return upload{}, fmt.Errorf("upload: content type %q: %w", c.GetHeader("Content-Type"), errNotMultipart)
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxUploadBody)
	if err := c.Request.ParseMultipartForm(maxUploadBody); err != nil {
		if mb := (*http.MaxBytesError)(nil); errors.As(err, &mb) {
			return upload{}, fmt.Errorf("upload: %w", &prizes.FileError{Field: fileField, Err: prizes.ErrFileTooLarge,
				Detail: fmt.Sprintf("must be at most %d MiB", prizes.MaxAttachmentBytes>>20)})
		}
		return upload{}, fmt.Errorf("upload: %v: %w", err, kind.ErrInvalid)
	}
	form := c.Request.MultipartForm
	defer form.RemoveAll()
	up := upload{Values: form.Value}
	for field, headers := range form.File {
		if len(headers) == 0 {
			continue
		}
		if up.Field != "" || len(headers) > 1 {
			return upload{}, fmt.Errorf("upload: send one file per request: %w", kind.ErrInvalid)
		}
		f, err := headers[0].Open()
		if err != nil {
			return upload{}, fmt.Errorf("upload: %w", err)
		}
		up.Data, err = io.ReadAll(io.LimitReader(f, maxUploadBody))
		f.Close()
		if err != nil {
			return upload{}, fmt.Errorf("upload: %w", err)
		}
		up.Field, up.Name = field, headers[0].Filename
	}
	if up.Field == "" {
		return upload{}, &prizes.FileError{Field: fileField, Err: kind.ErrInvalid, Detail: "choose a file to upload"}
	}
	return up, nil
}

// uploadFile is POST /editions/:edition/submissions/:id/files, a
// multipart/form-data body with the field "kind" (logo or attachment) and
// one file in the field "file".
func (l *lifecycle) uploadFile(c *gin.Context) {
	edition, id := c.Param("edition"), c.Param("id")
	up, err := readUpload(c, "file")
	if err == nil && up.Field != "file" {
		err = &prizes.FileError{Field: "file", Err: kind.ErrInvalid, Detail: "send the file in the field \"file\""}
	}
	var k prizes.FileKind
	if err == nil {
		k, err = prizes.ParseFileKind(up.Values.Get("kind"))
	}
	if err != nil {
		l.fail(c, fmt.Errorf("upload to entry %q: %w", id, err))
		return
	}
	act(l, c, http.StatusCreated, func(ctx context.Context, a prizes.Actor) (prizes.File, error) {
		return l.cfg.Files.Upload(ctx, a, edition, id, k, up.Name, up.Data)
	}, func(f prizes.File) any { return fileOf(edition, f) })
}

// deleteFile is DELETE /editions/:edition/submissions/:id/files/:file.
func (l *lifecycle) deleteFile(c *gin.Context) {
	a, err := l.actorOf(c)
	if err == nil {
		err = l.cfg.Files.Remove(c.Request.Context(), a, c.Param("edition"), c.Param("id"), c.Param("file"))
	}
	if err != nil {
		l.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// downloadFile is GET /editions/:edition/files/:hash. A nominee's logo and
// its thumbnail are public; any other file is answered to its entry's owner
// and to organisers, and is a 404 to everyone else, as a missing one is.
func (l *lifecycle) downloadFile(c *gin.Context) {
	viewer := func() (prizes.Actor, bool) {
		claims, err := l.authenticate(c, RoleOwner, RoleOrganiser)
		if err != nil {
			return prizes.Actor{}, false
		}
		id, ok := claims.AccountID()
		role := RoleOwner
		if claims.HasRole(RoleOrganiser) {
			role = RoleOrganiser
		}
		return prizes.Actor{ID: id, Role: role}, ok
	}
	if err := sendFile(c, l.cfg.Files, c.Param("edition"), c.Param("hash"), viewer); err != nil {
		l.fail(c, err)
	}
}

// sendFile answers the blob named hash of edition to the reader viewer
// returns (false for none), or returns why it may not: prizes.ErrBlobNotFound
// for a file that is not theirs to read. The answer is marked immutable,
// since its address names its content; it is public only for a public
// file. An attachment is always downloaded, never shown in the page.
func sendFile(c *gin.Context, files *prizes.Files, edition, hash string, viewer func() (prizes.Actor, bool)) error {
	notFound := fmt.Errorf("file %q of %q: %w", hash, edition, prizes.ErrBlobNotFound)
	if !prizes.ValidHash(hash) {
		return notFound
	}
	ctx := c.Request.Context()
	uses, err := files.Store.FileUses(ctx, edition, hash)
	if err != nil {
		return err
	}
	var use *prizes.FileUse
	public := false
	for i := range uses {
		if uses[i].Public() {
			use, public = &uses[i], true
			break
		}
	}
	if use == nil && len(uses) > 0 {
		if a, ok := viewer(); ok {
			for i := range uses {
				if a.Role == RoleOrganiser || uses[i].OwnerID == a.ID {
					use = &uses[i]
					break
				}
			}
		}
	}
	if use == nil {
		return notFound
	}
	etag := `"` + hash + `"`
	cache := "private, max-age=31536000, immutable"
	if public {
		cache = "public, max-age=31536000, immutable"
	}
	h := c.Writer.Header()
	h.Set("Cache-Control", cache)
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Type", use.ContentType)
	if use.Kind == prizes.FileAttachment || use.ContentType == prizes.TypePDF {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": use.Name}))
	} else {
		h.Set("Content-Disposition", "inline")
	}
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return nil
	}
	r, size, err := files.Open(ctx, hash)
	if err != nil {
		h.Del("Cache-Control")
		h.Del("ETag")
		h.Del("Content-Disposition")
		return err
	}
	defer r.Close()
	h.Set("Content-Length", strconv.FormatInt(size, 10))
	c.Status(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		return nil
	}
	_, _ = io.Copy(c.Writer, r)
	return nil
}

// entriesCSV is GET /editions/:edition/entries.csv: every entry past its
// draft, of one category with ?category=, for the organisers.
func (l *lifecycle) entriesCSV(c *gin.Context) {
	if err := sendEntriesCSV(c, l.cfg.Files, l.log, c.Param("edition"), c.Query("category")); err != nil {
		l.fail(c, err)
	}
}

// entriesZIP is GET /editions/:edition/entries.zip?category=CODE: a
// category's entries with their files, streamed as one ZIP.
func (l *lifecycle) entriesZIP(c *gin.Context) {
	if err := sendEntriesZIP(c, l.cfg.Files, l.log, c.Param("edition"), c.Query("category")); err != nil {
		l.fail(c, err)
	}
}

// sendEntriesCSV answers the entries CSV, or returns why it cannot before
// anything is sent.
func sendEntriesCSV(c *gin.Context, files *prizes.Files, log *slog.Logger, edition, category string) error {
	entries, byEntry, err := exportEntries(c.Request.Context(), files, edition, category)
	if err != nil {
		return err
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": edition + "-entries.csv"}))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	if err := prizes.WriteEntriesCSV(c.Writer, edition, entries, byEntry); err != nil {
		log.Error("write entries csv", "edition", edition, "err", err)
	}
	return nil
}

// sendEntriesZIP answers a category's ZIP, or returns why it cannot before
// anything is sent.
func sendEntriesZIP(c *gin.Context, files *prizes.Files, log *slog.Logger, edition, category string) error {
	if category == "" {
		return fmt.Errorf("entries zip: %w", prizes.FieldErrors{"category": "is required"})
	}
	entries, byEntry, err := exportEntries(c.Request.Context(), files, edition, category)
	if err != nil {
		return err
	}
	c.Header("Content-Type", "application/zip")
	c.Header("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": edition + "-" + category + "-entries.zip"}))
	c.Header("Cache-Control", "no-store")
	c.Status(http.StatusOK)
	// Once the first byte is sent the status cannot change: a failure
	// half-way is logged and the archive is left without its directory,
	// which every ZIP reader refuses.
	if err := prizes.WriteEntriesZIP(c.Request.Context(), c.Writer, edition, entries, byEntry, files.Open, time.Now()); err != nil {
		log.Error("write entries zip", "edition", edition, "category", category, "err", err)
	}
	return nil
}

// exportEntries reads the entries and their files for an export.
func exportEntries(ctx context.Context, fs *prizes.Files, edition, category string) ([]prizes.Submission, map[string][]prizes.File, error) {
	entries, err := fs.Store.Entries(ctx, edition, category)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(entries))
	for i, e := range entries {
		ids[i] = e.ID
	}
	files, err := fs.Store.FilesOf(ctx, edition, ids)
	if err != nil {
		return nil, nil, err
	}
	return entries, files, nil
}
