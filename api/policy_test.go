package api_test

import (
	"net/http"
	"testing"

	"github.com/wsisvote/prizes/api"
)

// TestHandler_everyRouteHasPolicy fails when a served route was registered
// without a policy, so no route is open by accident.
func TestHandler_everyRouteHasPolicy(t *testing.T) {
	h := newFixture(t, func(c *api.Config) { c.Registry = http.NotFoundHandler() }).handler
	routes := h.Routes()
	if len(routes) < 5 {
		t.Fatalf("only %d routes served; the handler is not the full API", len(routes))
	}
	for _, r := range routes {
		p, ok := h.Policy(r.Method, r.Path)
		if !ok {
			t.Errorf("%s %s has no policy", r.Method, r.Path)
			continue
		}
		if !p.Public && len(p.Roles) == 0 {
			t.Errorf("%s %s: policy is neither public nor role-bound", r.Method, r.Path)
		}
	}
}
