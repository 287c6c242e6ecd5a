package api_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/api"
)

// rawExchange sends one request on a new connection to addr and reads the
// connection to its end: the answer, its body, and whatever bytes follow
// the answer on the wire, which must be none.
func rawExchange(tb testing.TB, addr, method, target string, headers map[string]string) (*http.Response, []byte, []byte) {
	tb.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		tb.Fatal(err)
	}
	var req strings.Builder
	fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		fmt.Fprintf(&req, "%s: %s\r\n", k, headers[k])
	}
	req.WriteString("\r\n")
	if _, err := io.WriteString(conn, req.String()); err != nil {
		tb.Fatal(err)
	}
	raw, err := io.ReadAll(conn)
	if err != nil {
		tb.Fatal(err)
	}
	r := bufio.NewReader(bytes.NewReader(raw))
	resp, err := http.ReadResponse(r, &http.Request{Method: method})
	if err != nil {
		tb.Fatalf("%s %s: %v in %q", method, target, err, raw)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	rest, _ := io.ReadAll(r)
	return resp, body, rest
}

// TestHandler_HEAD checks that every GET route is served for HEAD under the
// same policy, and, over a real connection, that HEAD answers with GET's
// status and headers and sends no body.
func TestHandler_HEAD(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, "prizes_up 1\n")
	})
	f := newFixture(t, withIdentity(t, fakeConfig(&fakeIdentity{})), func(c *api.Config) { c.Registry = metrics })

	routes := f.handler.Routes()
	has := func(method, path string) bool {
		return slices.ContainsFunc(routes, func(r gin.RouteInfo) bool { return r.Method == method && r.Path == path })
	}
	gets := 0
	for _, r := range routes {
		switch r.Method {
		case http.MethodGet:
			gets++
			if !has(http.MethodHead, r.Path) {
				t.Errorf("GET %s is not served for HEAD", r.Path)
				continue
			}
			get, _ := f.handler.Policy(http.MethodGet, r.Path)
			head, ok := f.handler.Policy(http.MethodHead, r.Path)
			if !ok || head.Public != get.Public || head.InHandler != get.InHandler || !slices.Equal(head.Roles, get.Roles) {
				t.Errorf("HEAD %s has policy %+v, GET %+v", r.Path, head, get)
			}
		case http.MethodHead:
			if !has(http.MethodGet, r.Path) {
				t.Errorf("HEAD %s is served without GET", r.Path)
			}
		}
	}
	if gets < 8 {
		t.Fatalf("only %d GET routes served; the handler is not the full API", gets)
	}

	srv := httptest.NewServer(f.handler)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	voter := map[string]string{"Authorization": "Bearer " + f.token(t, "42", api.RoleVoter)}
	tests := []struct {
		name, target string
		headers      map[string]string
		status       int
	}{
		{"projects", "/api/v1/editions/demo/projects?category=C1", nil, 200},
		{"tally", "/api/v1/editions/demo/tally", nil, 200},
		{"hidden tally", "/api/v1/editions/secret/tally", voter, 403},
		{"unknown edition", "/api/v1/editions/nope/projects", nil, 404},
		{"healthz", "/healthz", nil, 200},
		{"readyz", "/readyz", nil, 200},
		{"metrics", "/metrics", nil, 200},
		{"keys", "/.well-known/jwks.json", nil, 200},
		{"solver", "/static/pow.js", nil, 200},
		{"challenge", "/api/v1/challenge?purpose=code", nil, 200},
		{"account", "/api/v1/me", voter, 200},
		{"account without a token", "/api/v1/me", nil, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get, getBody, _ := rawExchange(t, addr, http.MethodGet, tt.target, tt.headers)
			head, headBody, rest := rawExchange(t, addr, http.MethodHead, tt.target, tt.headers)
			if get.StatusCode != tt.status || head.StatusCode != tt.status {
				t.Fatalf("GET %d, HEAD %d; want %d", get.StatusCode, head.StatusCode, tt.status)
			}
			if len(getBody) == 0 {
				t.Fatal("GET answered no body, so the test shows nothing")
			}
			if len(headBody) != 0 || len(rest) != 0 {
				t.Errorf("HEAD sent a body: %q", append(headBody, rest...))
			}
			get.Header.Del("Date")
			head.Header.Del("Date")
			if !maps.EqualFunc(get.Header, head.Header, slices.Equal) {
				t.Errorf("headers differ:\nGET  %v\nHEAD %v", get.Header, head.Header)
			}
		})
	}
}
