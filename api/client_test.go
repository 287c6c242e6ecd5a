package api_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/voting"
)

// castOne posts one accepted vote with the given request details and returns
// the vote the log recorded.
func castOne(tb testing.TB, f *fixture, remote string, headers map[string]string) voting.Vote {
	tb.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range headers {
		h[k] = v
	}
	w := f.do(tb, request{
		method:  http.MethodPost,
		path:    "/api/v1/editions/demo/votes",
		body:    `{"project_id":"p-c1-a"}`,
		token:   f.token(tb, "42", api.RoleVoter),
		headers: h,
		remote:  remote,
	})
	if w.Code != http.StatusAccepted {
		tb.Fatalf("status = %d, want 202 (body %s)", w.Code, w.Body)
	}
	votes := f.log.recorded()
	if len(votes) != 1 {
		tb.Fatalf("log holds %d votes, want 1", len(votes))
	}
	return votes[0]
}

func TestCastVote_ClientNetwork(t *testing.T) {
	tests := []struct {
		name    string
		proxies []string
		remote  string
		xff     string
		want    string
	}{
		{name: "IPv4", remote: "192.0.2.77:5555", want: "192.0.2.0/24"},
		{name: "IPv6", remote: "[2001:db8:abcd:12:1:2:3:4]:443", want: "2001:db8:abcd::/48"},
		{name: "IPv4-mapped IPv6", remote: "[::ffff:198.51.100.9]:1", want: "198.51.100.0/24"},
		{name: "forwarded header from an untrusted peer is ignored",
			remote: "192.0.2.1:1000", xff: "203.0.113.5", want: "192.0.2.0/24"},
		{name: "forwarded header from a trusted proxy is used", proxies: []string{"10.0.0.0/8"},
			remote: "10.1.2.3:1000", xff: "203.0.113.5", want: "203.0.113.0/24"},
		{name: "forwarded chain is read from the right past trusted hops", proxies: []string{"10.0.0.0/8"},
			remote: "10.1.2.3:1000", xff: "198.51.100.1, 203.0.113.5, 10.9.9.9", want: "203.0.113.0/24"},
		{name: "trusted proxy list does not trust other peers", proxies: []string{"10.0.0.1"},
			remote: "10.0.0.2:1000", xff: "203.0.113.5", want: "10.0.0.0/24"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *api.Config) { c.TrustedProxies = tt.proxies })
			var h map[string]string
			if tt.xff != "" {
				h = map[string]string{"X-Forwarded-For": tt.xff}
			}
			v := castOne(t, f, tt.remote, h)
			if v.Client.Network != tt.want {
				t.Errorf("network = %q, want %q", v.Client.Network, tt.want)
			}
		})
	}
}

func TestCastVote_ClientHeaders(t *testing.T) {
	tests := []struct {
		name             string
		ua, hint         string
		wantUA, wantHint string
	}{
		{name: "short values kept", ua: "Mozilla/5.0 (X11)", hint: "dev-1", wantUA: "Mozilla/5.0 (X11)", wantHint: "dev-1"},
		{name: "long values cut", ua: strings.Repeat("u", 300), hint: strings.Repeat("d", 200),
			wantUA: strings.Repeat("u", 256), wantHint: strings.Repeat("d", 128)},
		{name: "cut on a character boundary", ua: strings.Repeat("é", 200), hint: strings.Repeat("日", 50),
			wantUA: strings.Repeat("é", 128), wantHint: strings.Repeat("日", 42)},
		{name: "invalid UTF-8 replaced", ua: "a\xffb", hint: "\xc3", wantUA: "a\uFFFDb", wantHint: "\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			v := castOne(t, f, "", map[string]string{"User-Agent": tt.ua, "X-Device-Hint": tt.hint})
			if v.Client.UserAgent != tt.wantUA {
				t.Errorf("user agent = %q, want %q", v.Client.UserAgent, tt.wantUA)
			}
			if v.Client.DeviceHint != tt.wantHint {
				t.Errorf("device hint = %q, want %q", v.Client.DeviceHint, tt.wantHint)
			}
			for _, s := range []string{v.Client.UserAgent, v.Client.DeviceHint} {
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
					t.Errorf("stored %q is not storable text", s)
				}
			}
		})
	}
}
