package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// securityHeaders sets the headers every response carries. The service only
// answers JSON, plain text and one script, so the content security policy
// forbids everything: a response rendered as a page by mistake can load
// nothing and cannot be framed. Strict-Transport-Security only takes effect
// over HTTPS, where the service belongs, and tells browsers never to try
// plain HTTP again; the cross-origin policies keep other sites from reading
// or embedding responses.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	c.Next()
}

// noStore keeps API answers out of every cache: a vote receipt or an error is
// meant for one request, and live counts are stale as soon as they are sent.
func noStore(c *gin.Context) {
	c.Writer.Header().Set("Cache-Control", "no-store")
	c.Next()
}

// observe reports every request to the observer by its route template, so
// the number of distinct routes stays bounded whatever paths clients send.
func (s *server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.obs.ObserveRequest(route, c.Writer.Status(), time.Since(start))
}

// recovered answers a handler panic as an internal error and logs it with
// its stack, since a panic is always a bug worth finding.
func (s *server) recovered(c *gin.Context, rec any) {
	s.log.LogAttrs(c.Request.Context(), slog.LevelError, "handler panicked",
		slog.String("method", c.Request.Method),
		slog.String("route", c.FullPath()),
		slog.String("panic", fmt.Sprint(rec)),
		slog.String("stack", string(debug.Stack())))
	if c.Writer.Written() {
		c.Abort()
		return
	}
	c.AbortWithStatusJSON(http.StatusInternalServerError,
		errorBody{Error: errorDetail{Code: internalError.code, Message: internalError.message}})
}
