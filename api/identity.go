package api

import "github.com/gin-gonic/gin"

// IdentityConfig holds the dependencies of sign-in, token refresh, key
// publication and abuse controls.
type IdentityConfig struct{}

// identityRoutes registers the identity routes: root carries the well-known
// paths, v1 the API.
func (s *server) identityRoutes(root, v1 *gin.RouterGroup, cfg IdentityConfig) {}
