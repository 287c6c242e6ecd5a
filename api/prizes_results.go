package api

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/prizes"
)

// results is GET /editions/:edition/results: the signed results document,
// public once published and 404 before. The document is served as the
// exact bytes that were signed.
func (l *lifecycle) results(c *gin.Context) {
	signed, err := l.cfg.Results.Results(c.Request.Context(), c.Param("edition"))
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, signed)
}

// resultsCSV is GET /editions/:edition/results.csv: one row per nominee,
// taken from the signed document.
func (l *lifecycle) resultsCSV(c *gin.Context) {
	edition := c.Param("edition")
	signed, err := l.cfg.Results.Results(c.Request.Context(), edition)
	if err != nil {
		l.fail(c, err)
		return
	}
	res, err := signed.Results()
	if err != nil {
		l.fail(c, fmt.Errorf("results csv of %q: %w", edition, err))
		return
	}
	var buf bytes.Buffer
	if err := prizes.WriteResultsCSV(&buf, res); err != nil {
		l.fail(c, fmt.Errorf("results csv of %q: %w", edition, err))
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+res.Edition+`-results.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

type auditJSON struct {
	Edition string              `json:"edition"`
	Entries []prizes.AuditEntry `json:"entries"`
	// Next is the "after" value of the following page; 0 when this is the
	// last one.
	Next int64 `json:"next"`
}

// auditLog is GET /editions/:edition/audit[?after=SEQ&limit=N]: the audit
// log, oldest first, a page at a time.
func (l *lifecycle) auditLog(c *gin.Context) {
	edition := c.Param("edition")
	after, _ := strconv.ParseInt(c.Query("after"), 10, 64)
	limit, _ := strconv.Atoi(c.Query("limit"))
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	entries, err := l.cfg.Audit.AuditLog(c.Request.Context(), edition, after, limit)
	if err != nil {
		l.fail(c, err)
		return
	}
	out := auditJSON{Edition: edition, Entries: entries}
	if out.Entries == nil {
		out.Entries = []prizes.AuditEntry{}
	}
	if len(entries) == limit {
		out.Next = entries[len(entries)-1].Seq
	}
	c.JSON(http.StatusOK, out)
}

// verifyAudit is GET /editions/:edition/audit/verify: the chain checked end
// to end.
func (l *lifecycle) verifyAudit(c *gin.Context) {
	rep, err := l.cfg.Audit.VerifyAudit(c.Request.Context(), c.Param("edition"))
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, rep)
}
