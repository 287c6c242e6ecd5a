package api

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"
)

// Policy says who may call a route. Every route is registered with one (see
// handle), and a test fails when a served route has none.
type Policy struct {
	// Public routes need no token. Their handlers may still look at one (the
	// tally, for organisers, when the edition hides it).
	Public bool
	// Roles lists the roles that may call the route; holding any one is enough.
	Roles []string
	// InHandler means the handler checks Roles itself instead of the policy
	// middleware, so it can count refusals with the other outcomes (the vote
	// path does, for its metrics).
	InHandler bool
}

// Handler is the HTTP handler New builds: the Gin engine plus the policy of
// every route it serves.
type Handler struct {
	*gin.Engine
	policies map[string]Policy
}

// Policy returns the policy of the route registered as method and path (the
// path pattern, for example /api/v1/editions/:edition/votes).
func (h *Handler) Policy(method, path string) (Policy, bool) {
	p, ok := h.policies[method+" "+path]
	return p, ok
}

// claimsKey is where the policy middleware leaves the verified claims.
const claimsKey = "prizes.claims"

// handle registers h for method and path on g under policy p. For a role
// policy checked by the middleware, the handler runs only for a valid token
// with one of the roles, and finds its claims with claimsOf.
//
// A GET route is registered for HEAD too, under the same policy and
// handler: net/http sends the headers a handler sets, Content-Length
// included, and drops the body of a HEAD answer, so HEAD answers exactly
// as GET does without the body.
func (s *server) handle(g *gin.RouterGroup, method, path string, p Policy, h gin.HandlerFunc) {
	if !p.Public && len(p.Roles) == 0 {
		panic(fmt.Sprintf("route %s %s: a policy must be public or name roles", method, path))
	}
	if method == http.MethodGet {
		s.handle(g, http.MethodHead, path, p, h)
	}
	s.policies[method+" "+joinPath(g.BasePath(), path)] = p
	if p.Public || p.InHandler {
		g.Handle(method, path, h)
		return
	}
	g.Handle(method, path, s.require(p.Roles...), h)
}

func joinPath(base, path string) string {
	if base == "/" || base == "" {
		return path
	}
	return base + path
}

// require is the policy middleware for role routes.
func (s *server) require(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		claims, err := s.authenticate(c, roles...)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.Set(claimsKey, claims)
		c.Next()
	}
}

// claimsOf returns the claims the policy middleware verified.
func claimsOf(c *gin.Context) Claims {
	v, _ := c.Get(claimsKey)
	claims, _ := v.(Claims)
	return claims
}

// hasRole reports whether claims carry one of roles.
func hasRole(claims Claims, roles ...string) bool {
	return slices.ContainsFunc(roles, claims.HasRole)
}

var _ http.Handler = (*Handler)(nil)
