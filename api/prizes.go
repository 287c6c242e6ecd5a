package api

import "github.com/gin-gonic/gin"

// PrizesConfig holds the dependencies of the prize lifecycle routes
// (editions, submissions, review, Champions, jury, results).
type PrizesConfig struct{}

// prizesRoutes registers the prize lifecycle routes on v1.
func (s *server) prizesRoutes(v1 *gin.RouterGroup, cfg PrizesConfig) {}
