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
	for _, sh := range securityHeaderValues {
		h[sh.key] = sh.value
	}
	c.Next()
}

// securityHeaderValues are the headers securityHeaders sets, by canonical
// key. Header.Set would allocate a new one-element slice for each of them on
// every response; they are assigned into the header map as they are instead.
// Sharing the slices between responses is safe because nothing writes into
// a header value in place: Header.Set and Del replace or drop the slice, and
// Header.Add appends to it, which copies it elsewhere since every value here
// has len == cap (a one-element literal). A value must never be built with
// spare capacity, and no code may assign to an element of a response's
// header value.
var securityHeaderValues = [...]struct {
	key   string
	value []string
}{
	{"X-Content-Type-Options", []string{"nosniff"}},
	{"Referrer-Policy", []string{"no-referrer"}},
	{"X-Frame-Options", []string{"DENY"}},
	{"Content-Security-Policy", []string{"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"}},
	{"Strict-Transport-Security", []string{"max-age=63072000; includeSubDomains"}},
	{"Cross-Origin-Opener-Policy", []string{"same-origin"}},
	{"Cross-Origin-Resource-Policy", []string{"same-origin"}},
	{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=(), payment=()"}},
}

// noStore keeps API answers out of every cache: a vote receipt or an error is
// meant for one request, and live counts are stale as soon as they are sent.
// The shared value is safe for the reasons given at securityHeaderValues.
func noStore(c *gin.Context) {
	c.Writer.Header()["Cache-Control"] = noStoreValue
	c.Next()
}

var noStoreValue = []string{"no-store"}

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
