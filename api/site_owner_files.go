package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// The files of an owner's entry on the site: the entry page lists them and
// has a plain multipart form for the logo and one for attachments, and a
// button to remove each file, all without JavaScript. A refused file is
// said next to its field and in the page's error summary. Files are read
// on the site at /{lang}/{edition}/files/{hash} with the reader's session,
// under the API's rules.

// fileView is what the entry page shows of its files.
type fileView struct {
	Logo        *prizes.File
	Attachments []prizes.File
	// Max is how many attachments an entry may have.
	Max int
}

// Full reports whether no attachment can be added.
func (v fileView) Full() bool { return len(v.Attachments) >= v.Max }

// ownerFileRoutes registers the routes of the entry page's files.
func (st *site) ownerFileRoutes(g *gin.RouterGroup) {
	if st.prizes.Files == nil || st.prizes.Submissions == nil {
		return
	}
	public := Policy{Public: true}
	st.handle(g, http.MethodPost, "/:edition/entries/:id/files", public, st.ownerUploadFile)
	st.handle(g, http.MethodPost, "/:edition/entries/:id/files/:file/remove", public, st.ownerRemoveFile)
	st.handle(g, http.MethodGet, "/:edition/files/:hash", public, st.siteFile)
	st.handle(g, http.MethodGet, "/:edition/organise/entries.csv", public, st.organiseEntriesCSV)
	st.handle(g, http.MethodGet, "/:edition/organise/entries.zip", public, st.organiseEntriesZIP)
}

// organiseEntriesCSV is GET /{lang}/{edition}/organise/entries.csv, the
// API's export for a signed-in organiser.
func (st *site) organiseEntriesCSV(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	if err := sendEntriesCSV(c, st.prizes.Files, st.log, ed.ID, c.Query("category")); err != nil {
		st.problem(c, err)
	}
}

// organiseEntriesZIP is GET /{lang}/{edition}/organise/entries.zip?category=,
// the API's export for a signed-in organiser.
func (st *site) organiseEntriesZIP(c *gin.Context) {
	_, ed, ok := st.organiserEdition(c)
	if !ok {
		return
	}
	if err := sendEntriesZIP(c, st.prizes.Files, st.log, ed.ID, c.Query("category")); err != nil {
		st.problem(c, err)
	}
}

// entryFiles reads the files of the actor's entry for its page; an entry
// not stored yet has none.
func (st *site) entryFiles(c *gin.Context, actor prizes.Actor, v *entryView) error {
	v.Files = fileView{Max: prizes.MaxAttachments}
	if st.prizes.Files == nil || v.New() {
		return nil
	}
	files, err := st.prizes.Files.Store.EntryFiles(c.Request.Context(), actor, v.Edition.ID, v.ID)
	if err != nil {
		return err
	}
	for i, f := range files {
		if f.Kind == prizes.FileLogo {
			v.Files.Logo = &files[i]
		} else {
			v.Files.Attachments = append(v.Files.Attachments, f)
		}
	}
	return nil
}

// fileMessage is the reader's message for a refused file, by its code and
// field.
func fileMessage(t tr, code, field string) string {
	switch code {
	case prizes.ErrFileTooLarge.Code:
		mib := prizes.MaxAttachmentBytes >> 20
		if field == "logo" {
			mib = prizes.MaxLogoBytes >> 20
		}
		return t.T("files.error.too_large", "Max", t.Number(mib))
	case prizes.ErrFileType.Code, prizes.ErrFileCorrupt.Code:
		return t.T("files.error.type." + field)
	case prizes.ErrTooManyAttachments.Code:
		return t.TN("files.error.too_many", prizes.MaxAttachments)
	case kind.ErrInvalid.Code:
		return t.T("files.error.missing")
	}
	return t.T(errorMessageKey(code))
}

// ownerUploadFile is POST /{lang}/{edition}/entries/{id}/files: the logo
// (a file in the field logo) or an attachment (in the field attachments),
// from the entry page's multipart forms.
func (st *site) ownerUploadFile(c *gin.Context) {
	actor, ed, ok := st.roleEdition(c, RoleOwner)
	if !ok {
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	id := c.Param("id")
	field := c.Query("kind")
	if field != "logo" {
		field = "attachments"
	}
	up, err := readUpload(c, field)
	// A body over the limit is refused before its form (and so its CSRF
	// token) is read; the answer changes nothing, so it needs no token.
	if !errors.Is(err, prizes.ErrFileTooLarge) && !st.checkCSRF(c) {
		st.csrfRefused(c)
		return
	}
	if err == nil && up.Field != "logo" && up.Field != "attachments" {
		err = &prizes.FileError{Field: field, Err: kind.ErrInvalid, Detail: "no file"}
	}
	if err == nil {
		field = up.Field
		k := prizes.FileAttachment
		if field == "logo" {
			k = prizes.FileLogo
		}
		_, err = st.prizes.Files.Upload(c.Request.Context(), actor, ed.ID, id, k, up.Name, up.Data)
	}
	st.afterFileChange(c, actor, ed, id, field, "uploaded", err, t)
}

// ownerRemoveFile is POST /{lang}/{edition}/entries/{id}/files/{file}/remove.
func (st *site) ownerRemoveFile(c *gin.Context) {
	actor, ed, ok := st.roleEdition(c, RoleOwner)
	if !ok {
		return
	}
	if !st.checkCSRF(c) {
		st.csrfRefused(c)
		return
	}
	t := st.i18n.for_(c.GetString("prizes.lang"))
	id := c.Param("id")
	err := st.prizes.Files.Remove(c.Request.Context(), actor, ed.ID, id, c.Param("file"))
	st.afterFileChange(c, actor, ed, id, "attachments", "removed", err, t)
}

// afterFileChange sends the reader back to the entry page, or shows it
// again with the refusal next to field.
func (st *site) afterFileChange(c *gin.Context, actor prizes.Actor, ed prizes.Edition, id, field, done string, err error, t tr) {
	if err == nil {
		c.Redirect(http.StatusSeeOther, "/"+c.GetString("prizes.lang")+"/"+ed.ID+"/entries/"+id+"?saved="+done+"#files")
		return
	}
	if kindOf(err).status == http.StatusNotFound && !errors.Is(err, prizes.ErrBlobNotFound) {
		st.problem(c, err)
		return
	}
	s, serr := st.prizes.Submissions.Submission(c.Request.Context(), actor, ed.ID, id)
	if serr != nil {
		st.problem(c, serr)
		return
	}
	st.logFailure(c, kindOf(err), err)
	var fe *prizes.FileError
	if errors.As(err, &fe) {
		field = fe.Field
	}
	formErr := formError{Field: field, Message: fileMessage(t, kindOf(err).code, field)}
	if fe == nil && !errors.Is(err, kind.ErrInvalid) {
		formErr = formError{Message: t.T(errorMessageKey(kindOf(err).code))}
	}
	v := st.entryViewOf(c, ed, s)
	st.renderEntry(c, kindOf(err).status, v, []formError{formErr})
}

// siteFile is GET /{lang}/{edition}/files/{hash}: a file for the reader of
// the site, by the rules of the API's download (a nominee's logo for
// anyone, other files for their owner and organisers).
func (st *site) siteFile(c *gin.Context) {
	viewer := func() (prizes.Actor, bool) {
		v := st.visitorOf(c)
		if !v.signedIn() || !hasRole(v.claims, RoleOwner, RoleOrganiser) {
			return prizes.Actor{}, false
		}
		role := RoleOwner
		if hasRole(v.claims, RoleOrganiser) {
			role = RoleOrganiser
		}
		return prizes.Actor{ID: v.id, Role: role}, true
	}
	if err := sendFile(c, st.prizes.Files, c.Param("edition"), c.Param("hash"), viewer); err != nil {
		st.problem(c, fmt.Errorf("file: %w", err))
	}
}

// siteFileURL is the site address of the blob named hash of edition, in
// the reader's language.
func siteFileURL(lang, edition, hash string) string {
	return "/" + lang + "/" + edition + "/files/" + hash
}
