package api

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/internal/kind"
)

// authenticate returns the claims of the request's bearer token when it is
// valid and carries one of roles. A missing, malformed, expired or
// unverifiable token is kind.ErrUnauthenticated (401: sign in); a valid
// token without any of roles is kind.ErrForbidden (403: signing in again
// will not help).
func (s *server) authenticate(c *gin.Context, roles ...string) (Claims, error) {
	tok, ok := bearer(c.GetHeader("Authorization"))
	if !ok {
		return Claims{}, fmt.Errorf("authenticate: no bearer token: %w", kind.ErrUnauthenticated)
	}
	claims, err := s.tokens.Verify(tok)
	if err != nil {
		return Claims{}, fmt.Errorf("authenticate: %w", err)
	}
	if !hasRole(claims, roles...) {
		// The message gets a copy of roles, so that roles itself does not
		// escape: the vote route's one-role list then stays on its stack
		// rather than being allocated for every vote.
		return Claims{}, fmt.Errorf("authenticate: role %q, want one of %q: %w", claims.Role, slices.Clone(roles), kind.ErrForbidden)
	}
	return claims, nil
}

// bearer extracts the token of an Authorization header. The scheme name is
// case-insensitive (RFC 9110).
func bearer(h string) (string, bool) {
	const scheme = "Bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	tok := strings.TrimSpace(h[len(scheme):])
	return tok, tok != ""
}
