package api

import (
	"bytes"
	"compress/gzip"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"
)

// gzipWriters keeps compressors between pages: a gzip writer holds several
// hundred kilobytes of state, too much to make per request.
var gzipWriters = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

// gzipped returns body compressed with gzip.
func gzipped(body []byte) []byte {
	var buf bytes.Buffer
	w := gzipWriters.Get().(*gzip.Writer)
	w.Reset(&buf)
	_, _ = w.Write(body)
	_ = w.Close()
	gzipWriters.Put(w)
	return buf.Bytes()
}

// acceptsGzip reports whether the client takes gzip-encoded answers.
func acceptsGzip(c *gin.Context) bool {
	for _, part := range strings.Split(c.GetHeader("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

// writeBody answers body, compressed when the client accepts it; gz, when
// given, is body compressed beforehand.
func writeBody(c *gin.Context, status int, contentType string, body, gz []byte) {
	c.Writer.Header().Add("Vary", "Accept-Encoding")
	if acceptsGzip(c) {
		if gz == nil {
			gz = gzipped(body)
		}
		c.Header("Content-Encoding", "gzip")
		c.Data(status, contentType, gz)
		return
	}
	c.Data(status, contentType, body)
}
