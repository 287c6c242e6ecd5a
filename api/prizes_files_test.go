package api_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// pngBytes returns a w x h PNG.
func pngBytes(tb testing.TB, w, h int) []byte {
	tb.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

var pdfBytes = []byte("%PDF-1.4\n% plan of the project\n%%EOF\n")

// upload posts one file as the named account in a multipart form with
// the field kind.
func (k *contest) upload(as, entry, kind, name string, data []byte) *httptest.ResponseRecorder {
	k.tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if kind != "" {
		_ = mw.WriteField("kind", kind)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		k.tb.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest("POST", "/api/v1"+k.ed("/submissions/"+entry+"/files"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+k.tokens[as])
	w := httptest.NewRecorder()
	k.handler.ServeHTTP(w, req)
	return w
}

type fileBody struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Position    int    `json:"position"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Hash        string `json:"hash"`
	Width       int    `json:"width"`
	ThumbWidth  int    `json:"thumb_width"`
	URL         string `json:"url"`
	ThumbURL    string `json:"thumb_url"`
}

type errorFields struct {
	Error struct {
		Code   string            `json:"code"`
		Fields map[string]string `json:"fields"`
	} `json:"error"`
}

// get sends a GET to an address the API gave (which starts with /api/v1).
func (k *contest) get(as, url string, header ...string) *httptest.ResponseRecorder {
	k.tb.Helper()
	req := httptest.NewRequest("GET", url, nil)
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+k.tokens[as])
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	k.handler.ServeHTTP(w, req)
	return w
}

func TestFiles_upload(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.advance("submission")
	var e entryJSON
	k.must(http.StatusCreated, "owner", "POST", k.ed("/submissions"), entryBody("C1", "Alpha"), &e)

	w := k.upload("owner", e.ID, "logo", "logo.png", pngBytes(t, 320, 160))
	if w.Code != http.StatusCreated {
		t.Fatalf("upload logo: %d %s", w.Code, w.Body)
	}
	var logo fileBody
	decode(t, w, &logo)
	if logo.Kind != "logo" || logo.ContentType != "image/png" || logo.Width != 320 || logo.ThumbWidth != 160 ||
		!strings.HasSuffix(logo.URL, "/files/"+logo.Hash) || logo.ThumbURL == "" {
		t.Fatalf("logo %+v", logo)
	}
	w = k.upload("owner", e.ID, "attachment", "plan.png", pdfBytes)
	if w.Code != http.StatusCreated {
		t.Fatalf("upload attachment: %d %s", w.Code, w.Body)
	}
	var doc fileBody
	decode(t, w, &doc)
	if doc.ContentType != "application/pdf" || doc.Name != "plan.pdf" || doc.Position != 1 {
		t.Fatalf("a PDF named .png is kept as %+v", doc)
	}

	refusals := []struct {
		name, as, kind, file string
		data                 []byte
		status               int
		code, field          string
	}{
		{"a PNG is no PDF but may be an attachment; text may not", "owner", "attachment", "notes.pdf", []byte("plain text"), 422, "file_type", "attachments"},
		{"a PDF is no logo", "owner", "logo", "logo.png", pdfBytes, 422, "file_type", "logo"},
		{"a corrupt image", "owner", "logo", "logo.png", pngBytes(t, 50, 50)[:60], 422, "file_corrupt", "logo"},
		{"no kind", "owner", "", "logo.png", pngBytes(t, 10, 10), 422, "file_kind", "kind"},
		{"oversized logo", "owner", "logo", "logo.png", append(pngBytes(t, 10, 10), make([]byte, 2<<20)...), 413, "file_too_large", "logo"},
		{"oversized body", "owner", "attachment", "big.pdf", append(bytes.Clone(pdfBytes), make([]byte, 11<<20)...), 413, "file_too_large", "file"},
		{"another owner's entry", "owner2", "logo", "logo.png", pngBytes(t, 10, 10), 404, "unknown_project", ""},
		{"a voter", "voter", "logo", "logo.png", pngBytes(t, 10, 10), 403, "forbidden", ""},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			w := k.upload(tt.as, e.ID, tt.kind, tt.file, tt.data)
			var body errorFields
			decode(t, w, &body)
			if w.Code != tt.status || body.Error.Code != tt.code || (tt.field != "" && body.Error.Fields[tt.field] == "") {
				t.Fatalf("%d %s; want %d %s with field %q", w.Code, w.Body, tt.status, tt.code, tt.field)
			}
		})
	}
	w = k.call("owner", "POST", k.ed("/submissions/"+e.ID+"/files"), map[string]string{"kind": "logo"})
	wantError(t, w, http.StatusUnsupportedMediaType, "unsupported_media_type")

	var list struct {
		Files []fileBody `json:"files"`
	}
	k.must(http.StatusOK, "owner", "GET", k.ed("/submissions/"+e.ID+"/files"), nil, &list)
	if len(list.Files) != 2 || list.Files[0].Kind != "logo" || list.Files[1].ID != doc.ID {
		t.Fatalf("files %+v", list.Files)
	}
	wantError(t, k.call("owner2", "GET", k.ed("/submissions/"+e.ID+"/files"), nil), http.StatusNotFound, "unknown_project")

	// Downloads: a draft's files are its owner's and the organisers'.
	for _, as := range []string{"", "owner2", "voter"} {
		if w := k.get(as, logo.URL); w.Code != http.StatusNotFound {
			t.Errorf("%q reads a draft's logo: %d", as, w.Code)
		}
	}
	for _, as := range []string{"owner", "organiser"} {
		w := k.get(as, doc.URL)
		h := w.Header()
		if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), pdfBytes) || h.Get("Content-Type") != "application/pdf" ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Disposition") != `attachment; filename=plan.pdf` ||
			h.Get("Cache-Control") != "private, max-age=31536000, immutable" {
			t.Fatalf("%s downloads the attachment: %d %v", as, w.Code, h)
		}
	}
	if w := k.get("owner", logo.ThumbURL); w.Code != http.StatusOK || w.Header().Get("Content-Type") != "image/png" ||
		w.Header().Get("Content-Disposition") != "inline" {
		t.Fatalf("owner reads the thumbnail: %d %v", w.Code, w.Header())
	}
	if w := k.get("owner", logo.URL, "If-None-Match", `"`+logo.Hash+`"`); w.Code != http.StatusNotModified {
		t.Fatalf("a revalidation: %d", w.Code)
	}
	if w := k.get("", fmt.Sprintf("/api/v1/editions/%s/files/%s", k.edition, strings.Repeat("0", 64))); w.Code != http.StatusNotFound {
		t.Fatalf("an unknown hash: %d", w.Code)
	}

	// Once nominated, the logo is public and the attachment is not.
	k.must(http.StatusOK, "owner", "POST", k.ed("/submissions/"+e.ID+"/submit"), nil, nil)
	k.advance("review")
	k.must(http.StatusOK, "organiser", "POST", k.ed("/review"),
		map[string]any{"decisions": []map[string]string{{"project_id": e.ID, "decision": "nominate"}}}, nil)
	if w := k.get("", logo.ThumbURL); w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Fatalf("a nominee's logo for anyone: %d %v", w.Code, w.Header())
	}
	if w := k.get("", doc.URL); w.Code != http.StatusNotFound {
		t.Fatalf("a nominee's attachment for anyone: %d", w.Code)
	}
	// Past submission the files are final.
	wantError(t, k.upload("owner", e.ID, "logo", "logo.png", pngBytes(t, 12, 12)), http.StatusConflict, "wrong_phase")
	wantError(t, k.call("owner", "DELETE", k.ed("/submissions/"+e.ID+"/files/"+doc.ID), nil), http.StatusConflict, "wrong_phase")
}

func TestFiles_delete(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.advance("submission")
	var e entryJSON
	k.must(http.StatusCreated, "owner", "POST", k.ed("/submissions"), entryBody("C1", "Alpha"), &e)
	var doc fileBody
	decode(t, k.upload("owner", e.ID, "attachment", "a.pdf", pdfBytes), &doc)
	wantError(t, k.call("owner2", "DELETE", k.ed("/submissions/"+e.ID+"/files/"+doc.ID), nil), http.StatusNotFound, "unknown_project")
	k.must(http.StatusNoContent, "owner", "DELETE", k.ed("/submissions/"+e.ID+"/files/"+doc.ID), nil, nil)
	wantError(t, k.call("owner", "DELETE", k.ed("/submissions/"+e.ID+"/files/"+doc.ID), nil), http.StatusNotFound, "file_not_found")
	if w := k.get("owner", doc.URL); w.Code != http.StatusNotFound {
		t.Fatalf("a removed file is still served: %d", w.Code)
	}
}

func TestFiles_exports(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	k.advance("submission")
	alpha := k.submitted("owner", "C1", "Alpha")
	beta := k.submitted("owner2", "C2", "Beta")
	var draft entryJSON
	k.must(http.StatusCreated, "owner", "POST", k.ed("/submissions"), entryBody("C1", "Draft Org"), &draft)
	logo := pngBytes(t, 40, 40)
	for _, up := range []struct {
		as, entry, kind, name string
		data                  []byte
	}{{"owner", alpha, "logo", "logo.png", logo}, {"owner", alpha, "attachment", "plan.pdf", pdfBytes},
		{"owner2", beta, "attachment", "other.pdf", pdfBytes}} {
		if w := k.upload(up.as, up.entry, up.kind, up.name, up.data); w.Code != http.StatusCreated {
			t.Fatalf("upload: %d %s", w.Code, w.Body)
		}
	}

	wantError(t, k.call("owner", "GET", k.ed("/entries.zip?category=C1"), nil), http.StatusForbidden, "forbidden")
	wantError(t, k.call("organiser", "GET", k.ed("/entries.zip?category=C9"), nil), http.StatusNotFound, "unknown_category")
	wantError(t, k.call("organiser", "GET", k.ed("/entries.zip"), nil), http.StatusUnprocessableEntity, "invalid_request")
	w := k.call("organiser", "GET", k.ed("/entries.zip?category=C1"), nil)
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("zip: %d %v", w.Code, w.Header())
	}
	zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]byte{}
	for _, f := range zr.File {
		r, _ := f.Open()
		got[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	if len(got) != 4 || !bytes.Equal(got[alpha+"/1-plan.pdf"], pdfBytes) || len(got[alpha+"/logo.png"]) == 0 {
		names := []string{}
		for n := range got {
			names = append(names, n)
		}
		t.Fatalf("zip holds %v", names)
	}
	rows, err := csv.NewReader(bytes.NewReader(got["entries.csv"])).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][2] != alpha {
		t.Fatalf("entries.csv in the zip: %q, %v", rows, err)
	}

	w = k.call("organiser", "GET", k.ed("/entries.csv"), nil)
	rows, err = csv.NewReader(w.Body).ReadAll()
	if w.Code != http.StatusOK || err != nil || len(rows) != 3 || rows[1][2] != alpha || rows[2][2] != beta ||
		rows[1][12] != "logo.png" || rows[2][13] != "other.pdf" {
		t.Fatalf("entries.csv: %d %q, %v", w.Code, rows, err)
	}
}

// testLogoHash is the logo thumbnail of the fixture's nominee p-c1-a.
var testLogoHash = strings.Repeat("ab", 32)

func TestProjects_logo(t *testing.T) {
	f := newFixture(t)
	w := f.do(t, request{path: "/api/v1/editions/demo/projects?category=C1"})
	var got struct {
		Projects []struct {
			ID   string `json:"id"`
			Logo *struct {
				URL    string `json:"url"`
				Width  int    `json:"width"`
				Height int    `json:"height"`
			} `json:"logo"`
		} `json:"projects"`
	}
	decode(t, w, &got)
	for _, p := range got.Projects {
		switch {
		case p.ID == "p-c1-a" && (p.Logo == nil || p.Logo.URL != "/api/v1/editions/demo/files/"+testLogoHash || p.Logo.Width != 160 || p.Logo.Height != 80):
			t.Errorf("p-c1-a's logo = %+v", p.Logo)
		case p.ID != "p-c1-a" && p.Logo != nil:
			t.Errorf("%s has a logo %+v; it has none", p.ID, p.Logo)
		}
	}
	if len(got.Projects) != 2 {
		t.Fatalf("projects = %+v", got.Projects)
	}
}
