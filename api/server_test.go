package api_test

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/voting"
)

func TestHealthz(t *testing.T) {
	f := newFixture(t, func(c *api.Config) {
		c.Ready = []api.Check{{Name: "down", Fn: func(context.Context) error { return errors.New("down") }}}
	})
	w := f.do(t, request{path: "/healthz"})
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != `{"status":"ok"}` {
		t.Errorf("healthz = %d %s, want 200 {\"status\":\"ok\"} even with a dependency down", w.Code, w.Body)
	}
}

func TestReadyz(t *testing.T) {
	ok := func(ctx context.Context) error {
		if _, has := ctx.Deadline(); !has {
			return errors.New("check ran without a deadline")
		}
		return nil
	}
	fail := func(context.Context) error { return errors.New("dial tcp 10.0.0.9:6379: connection refused") }
	tests := []struct {
		name       string
		checks     []api.Check
		wantStatus int
		wantFailed []string
	}{
		{"no checks", nil, 200, nil},
		{"all pass", []api.Check{{Name: "redis", Fn: ok}, {Name: "postgres", Fn: ok}}, 200, nil},
		{"some fail", []api.Check{{Name: "redis", Fn: fail}, {Name: "postgres", Fn: ok}, {Name: "other", Fn: fail}},
			503, []string{"redis", "other"}},
		{"a check panics", []api.Check{{Name: "buggy", Fn: func(context.Context) error { panic("bug") }}},
			503, []string{"buggy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *api.Config) { c.Ready = tt.checks })
			w := f.do(t, request{path: "/readyz"})
			if w.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %s)", w.Code, tt.wantStatus, w.Body)
			}
			var got struct {
				Status string   `json:"status"`
				Failed []string `json:"failed"`
			}
			decode(t, w, &got)
			if !reflect.DeepEqual(got.Failed, tt.wantFailed) {
				t.Errorf("failed = %v, want %v", got.Failed, tt.wantFailed)
			}
			if strings.Contains(w.Body.String(), "10.0.0.9") {
				t.Errorf("readyz leaked a check's error: %s", w.Body)
			}
			if tt.wantFailed != nil && !strings.Contains(f.logs.String(), tt.wantFailed[0]) {
				t.Errorf("failed check %q was not logged", tt.wantFailed[0])
			}
		})
	}
}

func TestNew_SecurityHeaders(t *testing.T) {
	f := newFixture(t, func(c *api.Config) {
		c.Registry = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("# metrics\n")) })
	})
	voter := f.token(t, "42", api.RoleVoter)
	tests := []struct {
		name    string
		req     request
		status  int
		noStore bool
	}{
		{"accepted vote", request{method: http.MethodPost, path: "/api/v1/editions/demo/votes", body: `{"project_id":"p-c1-a"}`, token: voter,
			headers: map[string]string{"Content-Type": "application/json"}}, 202, true},
		{"refused vote", request{method: http.MethodPost, path: "/api/v1/editions/demo/votes", body: `{}`}, 401, true},
		{"projects", request{path: "/api/v1/editions/demo/projects"}, 200, true},
		{"tally", request{path: "/api/v1/editions/demo/tally"}, 200, true},
		{"healthz", request{path: "/healthz"}, 200, false},
		{"readyz", request{path: "/readyz"}, 200, false},
		{"metrics", request{path: "/metrics"}, 200, false},
		{"unknown path", request{path: "/nope"}, 404, false},
		{"wrong method", request{method: http.MethodDelete, path: "/api/v1/editions/demo/votes"}, 405, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(t, tt.req)
			if w.Code != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tt.status, w.Body)
			}
			want := map[string]string{
				"X-Content-Type-Options": "nosniff",
				"Referrer-Policy":        "no-referrer",
				"X-Frame-Options":        "DENY",
			}
			for k, v := range want {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("Content-Security-Policy = %q, want default-src 'none'", csp)
			}
			if got := w.Header().Get("Cache-Control"); tt.noStore && got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
		})
	}
}

func TestNew_UnknownRoutes(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name       string
		req        request
		wantStatus int
		wantCode   string
	}{
		{"unknown path", request{path: "/api/v1/nope"}, 404, "not_found"},
		{"trailing slash is not redirected", request{method: http.MethodPost, path: "/api/v1/editions/demo/votes/"}, 404, "not_found"},
		{"metrics without a registry", request{path: "/metrics"}, 404, "not_found"},
		{"GET on votes", request{path: "/api/v1/editions/demo/votes"}, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, f.do(t, tt.req), tt.wantStatus, tt.wantCode)
		})
	}
}

// TestNew_ObservesRouteTemplates checks that requests are reported by route
// template, so metrics labels stay bounded whatever paths clients send.
func TestNew_ObservesRouteTemplates(t *testing.T) {
	f := newFixture(t)
	f.vote(t, "demo", "p-c1-a", f.token(t, "42", api.RoleVoter))
	f.do(t, request{path: "/api/v1/editions/whatever-edition/projects"})
	f.do(t, request{path: "/random/path/123"})
	f.obs.mu.Lock()
	got := slices.Clone(f.obs.routes)
	f.obs.mu.Unlock()
	want := []string{
		"/api/v1/editions/:edition/votes 202",
		"/api/v1/editions/:edition/projects 404",
		"unmatched 404",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("observed %q, want %q", got, want)
	}
}

func TestConfig_Validate(t *testing.T) {
	f := newFixture(t)
	good := func() api.Config {
		return api.Config{Votes: casterFunc(nil), Catalogue: voting.NewCatalogue(nil), Tokens: f.verify}
	}
	tests := []struct {
		name   string
		mutate func(*api.Config)
		ok     bool
	}{
		{"minimal", func(*api.Config) {}, true},
		{"proxies", func(c *api.Config) { c.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.1", "2001:db8::/32"} }, true},
		{"missing votes", func(c *api.Config) { c.Votes = nil }, false},
		{"missing catalogue", func(c *api.Config) { c.Catalogue = nil }, false},
		{"missing tokens", func(c *api.Config) { c.Tokens = nil }, false},
		{"bad proxy range", func(c *api.Config) { c.TrustedProxies = []string{"10.0.0.0/33"} }, false},
		{"bad proxy address", func(c *api.Config) { c.TrustedProxies = []string{"proxy.local"} }, false},
		{"unnamed check", func(c *api.Config) { c.Ready = []api.Check{{Fn: func(context.Context) error { return nil }}} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.mutate(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestNew_BadProxiesTrustNone checks that a proxy list New cannot parse makes
// it trust no proxy rather than every one.
func TestNew_BadProxiesTrustNone(t *testing.T) {
	f := newFixture(t, func(c *api.Config) { c.TrustedProxies = []string{"not-an-address"} })
	v := castOne(t, f, "10.1.2.3:1000", map[string]string{"X-Forwarded-For": "203.0.113.5"})
	if v.Client.Network != "10.1.2.0/24" {
		t.Errorf("network = %q, want the peer's 10.1.2.0/24", v.Client.Network)
	}
	if !strings.Contains(f.logs.String(), "trusted proxies") {
		t.Errorf("bad proxy list was not logged; log: %q", f.logs.String())
	}
}
