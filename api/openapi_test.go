package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/identity"
	"github.com/wsisvote/prizes/prizes"
)

// openAPIExampleProject is the project id the documented examples use;
// the tests put a real one in its place.
const openAPIExampleProject = "0190c5e2-7d1a-7b3c-9f00-00000000c0de"

// fullHandler serves every route of the JSON API: the fixture with the
// identity routes, metrics and a store for every prize route. The prize
// stores are never called.
func fullHandler(t *testing.T) *api.Handler {
	t.Helper()
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, "prizes_up 1\n")
	})
	return newFixture(t, withIdentity(t, fakeConfig(&fakeIdentity{})), func(c *api.Config) {
		c.Registry = metrics
		c.Prizes = api.PrizesConfig{
			Editions: struct{ api.EditionStore }{}, Submissions: struct{ api.SubmissionStore }{},
			Review: struct{ api.ReviewStore }{}, Champions: struct{ api.ChampionStore }{},
			Jury: struct{ api.JuryStore }{}, Results: struct{ api.ResultStore }{},
			Audit: struct{ api.AuditStore }{}, Fraud: struct{ api.FraudStore }{},
			Ledger: struct{ api.LedgerFileStore }{}, Log: struct{ api.TransparencyLog }{},
			Activity:    struct{ api.ActivityStore }{},
			Invitations: struct{ api.InvitationStore }{},
			Files:       &prizes.Files{},
		}
	}).handler
}

// openAPIDoc is the served document, parsed.
type openAPIDoc struct {
	raw  []byte
	doc  map[string]any
	comp *jsonschema.Compiler
}

const openAPIURL = "https://prizes.example/api/v1/openapi.json"

func getOpenAPI(t *testing.T, h http.Handler) *openAPIDoc {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET openapi.json: %d %s %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	d := &openAPIDoc{raw: w.Body.Bytes()}
	if err := json.Unmarshal(d.raw, &d.doc); err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(d.raw))
	if err != nil {
		t.Fatal(err)
	}
	d.comp = jsonschema.NewCompiler()
	d.comp.DefaultDraft(jsonschema.Draft2020)
	d.comp.AssertFormat()
	if err := d.comp.AddResource(openAPIURL, inst); err != nil {
		t.Fatal(err)
	}
	return d
}

// openAPIPath is the OpenAPI form of a Gin path: /editions/{edition}.
func openAPIPath(gin string) string {
	segs := strings.Split(gin, "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			segs[i] = "{" + name + "}"
		}
	}
	return strings.Join(segs, "/")
}

// operation returns the documented operation of a Gin route, "METHOD
// /path", or nil.
func (d *openAPIDoc) operation(route string) map[string]any {
	method, path, _ := strings.Cut(route, " ")
	paths, _ := d.doc["paths"].(map[string]any)
	item, _ := paths[openAPIPath(path)].(map[string]any)
	op, _ := item[strings.ToLower(method)].(map[string]any)
	return op
}

// pointer is the JSON pointer of an operation's part, as a URL fragment.
func pointer(route string, tokens ...string) string {
	method, path, _ := strings.Cut(route, " ")
	p := "/paths/" + jsonPointerToken(openAPIPath(path)) + "/" + strings.ToLower(method)
	for _, t := range tokens {
		p += "/" + jsonPointerToken(t)
	}
	return p
}

func jsonPointerToken(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
	return url.PathEscape(s)
}

func (d *openAPIDoc) compile(t testing.TB, ptr string) *jsonschema.Schema {
	t.Helper()
	s, err := d.comp.Compile(openAPIURL + "#" + ptr)
	if err != nil {
		t.Fatalf("compile %s: %v", ptr, err)
	}
	return s
}

// TestOpenAPI_coversEveryRoute: every route served is documented, and every
// documented route is served, each with a summary, its security and its
// error answers.
func TestOpenAPI_coversEveryRoute(t *testing.T) {
	h := fullHandler(t)
	d := getOpenAPI(t, h)
	served := map[string]bool{}
	for _, r := range h.Routes() {
		if r.Method == http.MethodHead || strings.HasPrefix(r.Path, "/static/") {
			continue
		}
		route := r.Method + " " + r.Path
		served[route] = true
		op := d.operation(route)
		if op == nil {
			t.Errorf("%s is served but not documented: add its row to operations in api/openapi.go", route)
			continue
		}
		p, _ := h.Policy(r.Method, r.Path)
		security, _ := op["security"].([]any)
		desc, _ := op["description"].(string)
		switch {
		case op["summary"] == "":
			t.Errorf("%s: no summary", route)
		case p.Public && len(security) > 0 && !slices.ContainsFunc(security, func(s any) bool { return len(s.(map[string]any)) == 0 }):
			t.Errorf("%s is public but documented as needing a token: %v", route, security)
		case !p.Public && (len(security) != 1 || !strings.Contains(desc, "Roles: "+strings.Join(p.Roles, ", "))):
			t.Errorf("%s: security %v, description %q; want the bearer token and roles %v", route, security, desc, p.Roles)
		}
		responses, _ := op["responses"].(map[string]any)
		if _, ok := responses["500"]; !ok {
			t.Errorf("%s documents no error answers", route)
		}
	}
	for _, route := range api.OpenAPIRoutes() {
		if !served[route] {
			t.Errorf("%s is documented in operations in api/openapi.go but not served", route)
		}
	}
	// Every request example is sent to a real handler by one of the example
	// tests below.
	checked := map[string]bool{}
	for _, c := range slices.Concat(memoryExamples(), contestExampleRoutes, invitationExampleRoutes) {
		checked[c.route] = true
	}
	for _, route := range api.OpenAPIRoutes() {
		if requestExample(d.operation(route)) != nil && !checked[route] {
			t.Errorf("%s has a request example that no test sends", route)
		}
	}
}

// TestOpenAPI_valid: the document is OpenAPI 3.1.0, and every schema in it
// compiles as JSON Schema 2020-12.
func TestOpenAPI_valid(t *testing.T) {
	d := getOpenAPI(t, fullHandler(t))
	if d.doc["openapi"] != "3.1.0" {
		t.Fatalf("openapi = %v", d.doc["openapi"])
	}
	schemas := d.doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name := range schemas {
		d.compile(t, "/components/schemas/"+jsonPointerToken(name))
	}
	n := 0
	for path, item := range d.doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			route := strings.ToUpper(method) + " " + path
			o := op.(map[string]any)
			if body, ok := o["requestBody"].(map[string]any); ok {
				media := body["content"].(map[string]any)["application/json"].(map[string]any)
				s := d.compile(t, "/paths/"+jsonPointerToken(path)+"/"+method+"/requestBody/content/application~1json/schema")
				if ex, ok := media["example"]; ok {
					if err := s.Validate(ex); err != nil {
						t.Errorf("%s: the request example does not fit its schema: %v", route, err)
					}
				}
				n++
			}
			for status, r := range o["responses"].(map[string]any) {
				content, _ := r.(map[string]any)["content"].(map[string]any)
				if _, ok := content["application/json"]; ok {
					d.compile(t, "/paths/"+jsonPointerToken(path)+"/"+method+"/responses/"+status+"/content/application~1json/schema")
					n++
				}
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d schemas of operations compiled", n)
	}
	validateOpenAPI(t, d.raw)
}

// requestExample returns the example of op's JSON request body, or nil.
func requestExample(op map[string]any) any {
	rb, _ := op["requestBody"].(map[string]any)
	content, _ := rb["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	return media["example"]
}

// validateOpenAPI builds the document's model with libopenapi, which
// resolves every reference, and checks that it holds every path.
func validateOpenAPI(t *testing.T, raw []byte) {
	t.Helper()
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); v != "3.1.0" {
		t.Errorf("libopenapi reads version %q", v)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("libopenapi: %v", err)
	}
	var parsed struct {
		Paths      map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(raw, &parsed); err != nil {
		t.Fatal(err)
	}
	if n := m.Model.Paths.PathItems.Len(); n != len(parsed.Paths) {
		t.Errorf("libopenapi reads %d paths of %d", n, len(parsed.Paths))
	}
	if n := m.Model.Components.Schemas.Len(); n != len(parsed.Components.Schemas) {
		t.Errorf("libopenapi reads %d schemas of %d", n, len(parsed.Components.Schemas))
	}
	for _, e := range append(m.Index.GetReferenceIndexErrors(), m.Index.GetOperationParametersIndexErrors()...) {
		t.Errorf("libopenapi: %v", e)
	}
}

// exampleCall is one request sent to check an answer against the
// document: the route, its path with the values of its parameters, and a
// body when it is not the route's documented example.
type exampleCall struct {
	route string
	path  string
	as    string
	body  string
	// want is the status the call must answer; 0 accepts any documented one.
	want int
}

// memoryExamples are the calls to the in-memory fixture.
func memoryExamples() []exampleCall {
	return []exampleCall{
		{route: "POST /api/v1/editions/:edition/votes", path: "/api/v1/editions/demo/votes", as: api.RoleVoter, want: 202},
		{route: "POST /api/v1/editions/:edition/votes", path: "/api/v1/editions/demo/votes", as: api.RoleVoter,
			body: `{"project_id":"p-c1-b"}`, want: 409},
		{route: "POST /api/v1/editions/:edition/votes", path: "/api/v1/editions/closed/votes", as: api.RoleVoter,
			body: `{"project_id":"q-c1-a"}`, want: 403},
		{route: "POST /api/v1/editions/:edition/votes", path: "/api/v1/editions/demo/votes", want: 401},
		{route: "GET /api/v1/editions/:edition/projects", path: "/api/v1/editions/demo/projects", want: 200},
		{route: "GET /api/v1/editions/:edition/projects", path: "/api/v1/editions/demo/projects?category=C2", as: api.RoleVoter, want: 200},
		{route: "GET /api/v1/editions/:edition/projects", path: "/api/v1/editions/demo/projects?category=C9", want: 404},
		{route: "GET /api/v1/editions/:edition/tally", path: "/api/v1/editions/demo/tally", want: 200},
		{route: "GET /api/v1/editions/:edition/tally", path: "/api/v1/editions/secret/tally", want: 403},
		{route: "GET /api/v1/editions/:edition/tally", path: "/api/v1/editions/secret/tally", as: api.RoleOrganiser, want: 200},
		{route: "GET /api/v1/challenge", path: "/api/v1/challenge?purpose=code", want: 200},
		{route: "POST /api/v1/auth/email-code", path: "/api/v1/auth/email-code", want: 202},
		{route: "POST /api/v1/auth/token", path: "/api/v1/auth/token", want: 200},
		{route: "POST /api/v1/auth/refresh", path: "/api/v1/auth/refresh", want: 200},
		{route: "POST /api/v1/auth/sign-out", path: "/api/v1/auth/sign-out", want: 204},
		{route: "GET /api/v1/me", path: "/api/v1/me", as: api.RoleVoter, want: 200},
		{route: "GET /api/v1/me/data", path: "/api/v1/me/data", as: api.RoleVoter, want: 200},
		{route: "DELETE /api/v1/me", path: "/api/v1/me", as: api.RoleVoter, want: 204},
		{route: "GET /.well-known/jwks.json", path: "/.well-known/jwks.json", want: 200},
		{route: "GET /healthz", path: "/healthz", want: 200},
		{route: "GET /readyz", path: "/readyz", want: 200},
		{route: "GET /metrics", path: "/metrics", want: 200},
		{route: "GET /api/v1/openapi.json", path: "/api/v1/openapi.json", want: 200},
	}
}

// send sends c to h with the example body of its route, unless it has its
// own, and checks the answer against the document.
func (d *openAPIDoc) send(t *testing.T, h http.Handler, c exampleCall, token func(as string) string) *httptest.ResponseRecorder {
	t.Helper()
	op := d.operation(c.route)
	if op == nil {
		t.Fatalf("%s is not documented", c.route)
	}
	method, _, _ := strings.Cut(c.route, " ")
	body := c.body
	if body == "" {
		if rb, ok := op["requestBody"].(map[string]any); ok {
			ex, ok := rb["content"].(map[string]any)["application/json"].(map[string]any)["example"]
			if !ok {
				t.Fatalf("%s has no request example", c.route)
			}
			raw, _ := json.Marshal(ex)
			body = string(raw)
		}
	}
	req := httptest.NewRequest(method, c.path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.as != "" {
		req.Header.Set("Authorization", "Bearer "+token(c.as))
	}
	req.RemoteAddr = "198.51.100.7:4000"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	d.checkAnswer(t, c, op, w)
	return w
}

// checkAnswer checks that w's status is documented for the call's route
// (and is the one wanted), and that its body fits the documented schema or
// content type.
func (d *openAPIDoc) checkAnswer(t *testing.T, c exampleCall, op map[string]any, w *httptest.ResponseRecorder) {
	t.Helper()
	status := strconv.Itoa(w.Code)
	if c.want != 0 && w.Code != c.want {
		t.Errorf("%s %s: %d %s; want %d", c.route, c.path, w.Code, w.Body, c.want)
	}
	resp, ok := op["responses"].(map[string]any)[status].(map[string]any)
	if !ok {
		t.Errorf("%s %s answered %d, which is not documented: %s", c.route, c.path, w.Code, w.Body)
		return
	}
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if w.Body.Len() != 0 {
			t.Errorf("%s %s: %d is documented without a body, got %s", c.route, c.path, w.Code, w.Body)
		}
		return
	}
	ct := w.Header().Get("Content-Type")
	if _, ok := content["application/json"]; !ok {
		for media := range content {
			if !strings.HasPrefix(ct, media) {
				t.Errorf("%s %s: Content-Type %q, documented %q", c.route, c.path, ct, media)
			}
		}
		return
	}
	if !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, documented application/json", c.route, c.path, ct)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(w.Body.Bytes()))
	if err != nil {
		t.Errorf("%s %s: body %q: %v", c.route, c.path, w.Body, err)
		return
	}
	s := d.compile(t, pointer(c.route, "responses", status, "content", "application/json", "schema"))
	if err := s.Validate(v); err != nil {
		t.Errorf("%s %s: the %d answer does not fit its documented schema: %v\n%s", c.route, c.path, w.Code, err, w.Body)
	}
}

// TestOpenAPI_examplesInMemory sends the examples of the vote, ballot,
// tally and identity routes to the in-memory fixture and checks every
// answer against the document.
func TestOpenAPI_examplesInMemory(t *testing.T) {
	fake := &fakeIdentity{session: identity.Session{
		Account: identity.Account{ID: 42, Email: "ada@example.org", DisplayName: "Ada", Country: "GB", CreatedAt: t0},
		Grants:  []identity.Grant{{Role: identity.RoleJuror, Edition: "demo", Category: "C1"}},
		Refresh: "r2", RefreshExpires: t0.AddDate(0, 1, 0), SignedInAt: t0,
	}}
	f := newFixture(t, withIdentity(t, fakeConfig(fake)), func(c *api.Config) {
		c.Registry = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			io.WriteString(w, "prizes_up 1\n")
		})
		c.Ready = []api.Check{{Name: "store", Fn: func(context.Context) error { return nil }}}
	})
	d := getOpenAPI(t, f.handler)
	token := func(as string) string { return f.token(t, "42", as) }
	for _, c := range memoryExamples() {
		d.send(t, f.handler, c, token)
	}
}

// contestExampleRoutes are the routes whose examples
// TestOpenAPI_examplesLifecycle sends.
var contestExampleRoutes = []exampleCall{
	{route: "POST /api/v1/editions"}, {route: "PATCH /api/v1/editions/:edition/rules"},
	{route: "PUT /api/v1/editions/:edition/schedule"}, {route: "POST /api/v1/editions/:edition/phase"},
	{route: "PUT /api/v1/editions/:edition/jury/assignments"},
	{route: "POST /api/v1/editions/:edition/submissions"}, {route: "PUT /api/v1/editions/:edition/submissions/:id"},
	{route: "POST /api/v1/editions/:edition/review"}, {route: "POST /api/v1/editions/:edition/jury/conflicts"},
	{route: "POST /api/v1/editions/:edition/ties"}, {route: "PUT /api/v1/editions/:edition/jury/scores/:project"},
	{route: "POST /api/v1/editions/:edition/fraud/cases/:id/decision"},
}

// TestOpenAPI_examplesLifecycle drives an edition from draft to
// publication over the PostgreSQL-backed lifecycle store with the
// documented request examples, and checks every answer, success or
// refusal, against the document.
func TestOpenAPI_examplesLifecycle(t *testing.T) {
	k := newContest(t)
	d := getOpenAPI(t, k.handler)
	token := func(as string) string { return k.tokens[as] }
	const ed = "/api/v1/editions/openapi2026"
	send := func(c exampleCall) *httptest.ResponseRecorder {
		t.Helper()
		return d.send(t, k.handler, c, token)
	}
	var project string
	withProject := func(body string) string { return strings.ReplaceAll(body, openAPIExampleProject, project) }
	example := func(route string) string {
		t.Helper()
		raw, err := json.Marshal(requestExample(d.operation(route)))
		if err != nil {
			t.Fatal(err)
		}
		return withProject(string(raw))
	}

	send(exampleCall{route: "POST /api/v1/editions", path: "/api/v1/editions", as: "organiser", want: 201})
	k.edition = "openapi2026"
	send(exampleCall{route: "POST /api/v1/editions", path: "/api/v1/editions", as: "organiser", want: 409})
	send(exampleCall{route: "GET /api/v1/editions", path: "/api/v1/editions", want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition", path: ed, want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition", path: "/api/v1/editions/nope", want: 404})
	send(exampleCall{route: "PATCH /api/v1/editions/:edition/rules", path: ed + "/rules", as: "organiser", want: 200})
	send(exampleCall{route: "PATCH /api/v1/editions/:edition/rules", path: ed + "/rules", as: "owner", want: 403})
	send(exampleCall{route: "PUT /api/v1/editions/:edition/schedule", path: ed + "/schedule", as: "organiser", want: 200})
	assign := strings.Replace(example("PUT /api/v1/editions/:edition/jury/assignments"), "42", strconv.FormatInt(k.ids["juror"], 10), 1)
	send(exampleCall{route: "PUT /api/v1/editions/:edition/jury/assignments", path: ed + "/jury/assignments", as: "organiser", body: assign, want: 200})
	send(exampleCall{route: "PUT /api/v1/editions/:edition/jury/assignments", path: ed + "/jury/assignments", as: "organiser",
		body: strings.Replace(assign, strconv.FormatInt(k.ids["juror"], 10), strconv.FormatInt(k.ids["juror2"], 10), 1), want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition/jury/assignments", path: ed + "/jury/assignments", as: "organiser", want: 200})
	send(exampleCall{route: "POST /api/v1/editions/:edition/phase", path: ed + "/phase", as: "organiser", want: 200})

	var draft struct {
		ID string `json:"id"`
	}
	w := send(exampleCall{route: "POST /api/v1/editions/:edition/submissions", path: ed + "/submissions", as: "owner", want: 201})
	decode(t, w, &draft)
	sub := ed + "/submissions/" + draft.ID
	send(exampleCall{route: "PUT /api/v1/editions/:edition/submissions/:id", path: sub, as: "owner", want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition/submissions/:id", path: sub, as: "owner", want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition/submissions/:id", path: sub, as: "owner2", want: 404})
	send(exampleCall{route: "POST /api/v1/editions/:edition/submissions/:id/submit", path: sub + "/submit", as: "owner", want: 422})
	send(exampleCall{route: "POST /api/v1/editions/:edition/submissions/:id/withdraw", path: sub + "/withdraw", as: "owner", want: 200})
	project = k.submitted("owner", "C1", "Alpha")
	send(exampleCall{route: "GET /api/v1/editions/:edition/submissions", path: ed + "/submissions", as: "owner", want: 200})

	k.advance("review")
	send(exampleCall{route: "GET /api/v1/editions/:edition/review", path: ed + "/review?category=C1", as: "organiser", want: 200})
	send(exampleCall{route: "POST /api/v1/editions/:edition/review", path: ed + "/review", as: "organiser",
		body: example("POST /api/v1/editions/:edition/review"), want: 200})

	k.advance("voting")
	send(exampleCall{route: "POST /api/v1/editions/:edition/jury/conflicts", path: ed + "/jury/conflicts", as: "juror2",
		body: example("POST /api/v1/editions/:edition/jury/conflicts"), want: 201})
	send(exampleCall{route: "POST /api/v1/editions/:edition/jury/conflicts", path: ed + "/jury/conflicts", as: "juror2",
		body: example("POST /api/v1/editions/:edition/jury/conflicts"), want: 200})
	k.castVotes(project, "C1", 3)
	k.advance("counting")
	send(exampleCall{route: "GET /api/v1/editions/:edition/champions/preview", path: ed + "/champions/preview", as: "organiser", want: 200})
	// The one nominee is not tied: the decision is refused, as documented.
	send(exampleCall{route: "POST /api/v1/editions/:edition/ties", path: ed + "/ties", as: "organiser",
		body: example("POST /api/v1/editions/:edition/ties")})
	k.advance("jury")
	send(exampleCall{route: "GET /api/v1/editions/:edition/champions", path: ed + "/champions", want: 200})
	scores := ed + "/jury/scores/" + project
	send(exampleCall{route: "PUT /api/v1/editions/:edition/jury/scores/:project", path: scores, as: "juror", want: 200})
	send(exampleCall{route: "POST /api/v1/editions/:edition/jury/scores/:project/submit", path: scores + "/submit", as: "juror", want: 422})
	send(exampleCall{route: "PUT /api/v1/editions/:edition/jury/scores/:project", path: scores, as: "juror", want: 200,
		body: `{"scores":{"impact":7,"community_empowerment":6,"sdg_relevance":8,"replicability":5,"sustainability":7,"partnerships":6}}`})
	send(exampleCall{route: "POST /api/v1/editions/:edition/jury/scores/:project/submit", path: scores + "/submit", as: "juror", want: 200})
	send(exampleCall{route: "PUT /api/v1/editions/:edition/jury/scores/:project", path: scores, as: "juror2", want: 403})
	send(exampleCall{route: "GET /api/v1/editions/:edition/jury/me", path: ed + "/jury/me", as: "juror", want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition/jury/report", path: ed + "/jury/report", as: "organiser", want: 200})
	send(exampleCall{route: "DELETE /api/v1/editions/:edition/jury/assignments/:juror/:category",
		path: ed + "/jury/assignments/" + strconv.FormatInt(k.ids["juror2"], 10) + "/C1", as: "organiser", want: 409})
	send(exampleCall{route: "GET /api/v1/editions/:edition/results", path: ed + "/results", want: 404})
	send(exampleCall{route: "POST /api/v1/editions/:edition/phase", path: ed + "/phase", as: "organiser", body: `{"phase":"published"}`, want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition/results", path: ed + "/results", want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition/results.csv", path: ed + "/results.csv", want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition/audit", path: ed + "/audit?limit=3", as: "organiser", want: 200})
	send(exampleCall{route: "GET /api/v1/editions/:edition/audit/verify", path: ed + "/audit/verify", as: "organiser", want: 200})
}

// TestOpenAPI_examplesFraud sends the fraud review examples to the
// PostgreSQL-backed fraud store and checks the answers against the
// document.
func TestOpenAPI_examplesFraud(t *testing.T) {
	k, _ := newFraudContest(t)
	d := getOpenAPI(t, k.handler)
	token := func(as string) string { return k.tokens[as] }
	cases := "/api/v1" + k.ed("/fraud/cases")
	for _, c := range []exampleCall{
		{route: "GET /api/v1/editions/:edition/fraud/cases", path: cases, as: "organiser", want: 200},
		{route: "GET /api/v1/editions/:edition/fraud/cases/:id", path: cases + "/net-198.51.100.0", as: "organiser", want: 200},
		{route: "POST /api/v1/editions/:edition/fraud/cases/:id/decision", path: cases + "/net-198.51.100.0/decision", as: "organiser", want: 200},
		{route: "POST /api/v1/editions/:edition/fraud/cases/:id/decision", path: cases + "/net-198.51.100.0/decision", as: "organiser", want: 409},
		{route: "GET /api/v1/editions/:edition/fraud/cases/:id", path: cases + "/net-198.51.100.0", as: "organiser", want: 200},
		{route: "GET /api/v1/editions/:edition/fraud/cases/:id", path: cases + "/nope", as: "organiser", want: 404},
		{route: "GET /api/v1/editions/:edition/fraud/cases", path: cases, as: "voter", want: 403},
	} {
		d.send(t, k.handler, c, token)
	}
}
