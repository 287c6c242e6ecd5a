package api_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/wsisvote/prizes/api"
)

// jsonRoute is a route that reads a JSON body: who calls it, a body whose
// names it takes, and the same body with a name in another case and with a
// name given twice (at any depth).
type jsonRoute struct {
	method, path, as           string
	body, wrongCase, duplicate string
}

// bodyRefusal is one request every JSON route must refuse before it acts.
type bodyRefusal struct {
	name, contentType, body string
	status                  int
	code, message           string // message is a part the answer must hold
}

func bodyRefusals(r jsonRoute) []bodyRefusal {
	return []bodyRefusal{
		{"name in another case", "application/json", r.wrongCase, 422, "invalid_request", "unknown field"},
		{"name twice", "application/json", r.duplicate, 422, "invalid_request", "duplicate field"},
		{"body in UTF-16", "application/json", utf16Body(r.body), 422, "invalid_request", "malformed JSON"},
		{"no content type", "", r.body, 415, "unsupported_media_type", "application/json"},
		{"plain text", "text/plain", r.body, 415, "unsupported_media_type", "application/json"},
		{"form", "application/x-www-form-urlencoded", r.body, 415, "unsupported_media_type", "application/json"},
		{"UTF-16 charset", "application/json; charset=utf-16", r.body, 415, "unsupported_media_type", "application/json"},
		{"Latin-1 charset", "application/json; charset=iso-8859-1", r.body, 415, "unsupported_media_type", "application/json"},
	}
}

// utf16Body is s in UTF-16, little-endian, as a client that ignores the
// charset rule might send it.
func utf16Body(s string) string {
	var b strings.Builder
	for _, u := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(u))
		b.WriteByte(byte(u >> 8))
	}
	return b.String()
}

// checkStrictJSON sends every refusal to every route of routes on h, with
// the token of the route's caller, and checks the answer and that nothing
// changed. It also checks that the body is taken with a UTF-8 charset
// named in any case. unchanged is called before each request and returns
// the check to make after it.
func checkStrictJSON(t *testing.T, h http.Handler, token func(as string) string, paths *strings.Replacer,
	routes []jsonRoute, unchanged func(tb testing.TB) func()) {
	t.Helper()
	send := func(r jsonRoute, contentType, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(r.method, paths.Replace(r.path), strings.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if r.as != "" {
			req.Header.Set("Authorization", "Bearer "+token(r.as))
		}
		req.RemoteAddr = "198.51.100.7:4000"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for _, r := range routes {
		for _, c := range bodyRefusals(r) {
			t.Run(r.method+" "+r.path+"/"+c.name, func(t *testing.T) {
				after := unchanged(t)
				w := send(r, c.contentType, c.body)
				wantError(t, w, c.status, c.code)
				var e errorResponse
				decode(t, w, &e)
				if !strings.Contains(e.Error.Message, c.message) {
					t.Errorf("message %q does not say %q", e.Error.Message, c.message)
				}
				after()
			})
		}
		t.Run(r.method+" "+r.path+"/UTF-8 charset", func(t *testing.T) {
			for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON;Charset=UTF-8"} {
				if w := send(r, ct, r.body); w.Code == http.StatusUnsupportedMediaType {
					t.Errorf("Content-Type %q refused: %s", ct, w.Body)
				}
			}
		})
	}
}

// TestHandler_strictJSON holds the vote and sign-in routes to the JSON
// rules: exact names, once each, in UTF-8, sent as application/json.
func TestHandler_strictJSON(t *testing.T) {
	fake := &fakeIdentity{}
	f := newFixture(t, withIdentity(t, fakeConfig(fake)))
	routes := []jsonRoute{
		{"POST", "/api/v1/editions/demo/votes", "voter", `{"project_id":"p-c1-a"}`,
			`{"Project_ID":"p-c1-a"}`, `{"project_id":"p-c1-a","project_id":"p-c1-b"}`},
		{"POST", "/api/v1/auth/email-code", "", `{"email":"ada@example.org"}`,
			`{"Email":"ada@example.org"}`, `{"email":"ada@example.org","email":"eve@example.org"}`},
		{"POST", "/api/v1/auth/token", "", `{"email":"ada@example.org","code":"123456"}`,
			`{"email":"ada@example.org","CODE":"123456"}`, `{"email":"ada@example.org","code":"123456","code":"654321"}`},
		{"POST", "/api/v1/auth/refresh", "", `{"refresh_token":"r"}`,
			`{"refresh_Token":"r"}`, `{"refresh_token":"r","refresh_token":"s"}`},
		{"POST", "/api/v1/auth/sign-out", "", `{"refresh_token":"r"}`,
			`{"Refresh_token":"r"}`, `{"refresh_token":"r","refresh_token":"r"}`},
	}
	unchanged := func(tb testing.TB) func() {
		votes := len(f.log.recorded())
		fake.mu.Lock()
		codes := len(fake.codes)
		fake.mu.Unlock()
		return func() {
			tb.Helper()
			fake.mu.Lock()
			defer fake.mu.Unlock()
			if len(f.log.recorded()) != votes || len(fake.codes) != codes {
				tb.Error("a refused body reached the service")
			}
		}
	}
	token := func(string) string { return f.token(t, "42", api.RoleVoter) }
	checkStrictJSON(t, f.handler, token, strings.NewReplacer(), routes, unchanged)

	// Every route with a body outside the lifecycle is in the table.
	for _, r := range f.handler.Routes() {
		if !slices.Contains([]string{"POST", "PUT", "PATCH"}, r.Method) || isLifecycle(r.Path) {
			continue
		}
		path := strings.ReplaceAll(r.Path, ":edition", "demo")
		if !slices.ContainsFunc(routes, func(jr jsonRoute) bool { return jr.method == r.Method && jr.path == path }) {
			t.Errorf("%s %s takes a body but is not checked here", r.Method, r.Path)
		}
	}
}

// bodylessRoutes are the lifecycle routes that change something without
// reading a body.
var bodylessRoutes = []string{
	"POST /api/v1/editions/:edition/submissions/:id/submit",
	"POST /api/v1/editions/:edition/submissions/:id/withdraw",
	"POST /api/v1/editions/:edition/jury/scores/:project/submit",
}

// multipartRoutes are the lifecycle routes whose body is a
// multipart/form-data upload, not JSON; TestFiles_upload holds them to
// their rules (415 for any other body, field errors with codes).
var multipartRoutes = []string{
	"POST /api/v1/editions/:edition/submissions/:id/files",
}

// TestPrizes_strictJSON holds every lifecycle route that reads a body to
// the JSON rules, and shows that a refused body changes nothing.
func TestPrizes_strictJSON(t *testing.T) {
	k := newContest(t)
	k.createEdition()
	const (
		e       = "/api/v1/editions/:edition"
		start   = `"2026-05-01T09:00:00Z"`
		entry   = `"category":"C1","title":"Alpha","summary":"s","organisation":"Org","country":"BR","stakeholder_type":"civil_society","links":[]`
		newEdit = `"id":"strict","name":"Strict","categories":[{"code":"C1","name":"One"}]`
	)
	routes := []jsonRoute{
		{"POST", "/api/v1/editions", "organiser", `{` + newEdit + `}`,
			`{` + newEdit + `,"rules":{"Champions_Per_Category":3}}`, `{` + newEdit + `,"categories":[]}`},
		{"PATCH", e + "/rules", "organiser", `{"public_tally":false}`,
			`{"Public_Tally":false}`, `{"public_tally":false,"rubric":[{"key":"a","name":"A","weight":1,"weight":2}]}`},
		{"PUT", e + "/schedule", "organiser", `{"voting":{"start":` + start + `}}`,
			`{"voting":{"START":` + start + `}}`, `{"voting":{"start":` + start + `},"voting":{"end":` + start + `}}`},
		{"POST", e + "/phase", "organiser", `{"phase":"submission"}`,
			`{"Phase":"submission"}`, `{"phase":"submission","phase":"review"}`},
		{"POST", e + "/submissions", "owner", `{` + entry + `}`,
			`{` + strings.Replace(entry, `"title"`, `"Title"`, 1) + `}`, `{` + entry + `,"links":["https://example.org"]}`},
		{"PUT", e + "/submissions/:id", "owner", `{` + entry + `}`,
			`{` + strings.Replace(entry, `"country"`, `"Country"`, 1) + `}`, `{` + entry + `,"summary":"t"}`},
		{"POST", e + "/review", "organiser", `{"decisions":[{"project_id":"p","decision":"nominate"}]}`,
			`{"decisions":[{"project_ID":"p","decision":"nominate"}]}`, `{"decisions":[{"project_id":"p","decision":"nominate","decision":"reject"}]}`},
		{"POST", e + "/ties", "organiser", `{"stage":"champions","category":"C1","order":["a","b"],"reason":"lot"}`,
			`{"Stage":"champions"}`, `{"stage":"champions","order":["a","b"],"order":["b","a"]}`},
		{"PUT", e + "/jury/assignments", "organiser", `{"juror_id":1,"category":"C1"}`,
			`{"Juror_ID":1,"category":"C1"}`, `{"juror_id":1,"category":"C1","category":"C2"}`},
		{"POST", e + "/jury/conflicts", "juror", `{"project_id":"p","reason":"former employer"}`,
			`{"project_id":"p","Reason":"former employer"}`, `{"project_id":"p","project_id":"q"}`},
		{"PUT", e + "/jury/scores/:project", "juror", `{"scores":{"impact":5},"comment":""}`,
			`{"Scores":{"impact":5}}`, `{"scores":{"impact":5,"impact":6}}`},
	}
	paths := strings.NewReplacer(":edition", k.edition, ":id", "0190f3c2-7d4e-7a1b-9c3d-5e6f7a8b9c0d",
		":project", "0190f3c2-7d4e-7a1b-9c3d-5e6f7a8b9c0d")
	unchanged := func(tb testing.TB) func() {
		before := k.fingerprint()
		return func() {
			tb.Helper()
			if k.fingerprint() != before {
				tb.Error("a refused body changed something")
			}
		}
	}
	checkStrictJSON(t, k.handler, func(as string) string { return k.tokens[as] }, paths, routes, unchanged)

	for _, r := range k.handler.Routes() {
		if !slices.Contains([]string{"POST", "PUT", "PATCH"}, r.Method) || !isLifecycle(r.Path) ||
			slices.Contains(bodylessRoutes, r.Method+" "+r.Path) || slices.Contains(multipartRoutes, r.Method+" "+r.Path) {
			continue
		}
		if !slices.ContainsFunc(routes, func(jr jsonRoute) bool { return jr.method == r.Method && jr.path == r.Path }) {
			t.Errorf("%s %s takes a body but is not checked here", r.Method, r.Path)
		}
	}
}
