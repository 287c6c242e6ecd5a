package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/wsisvote/prizes/internal/kind"
)

// sizeParam reads an optional tree size from the query; 0 when absent.
func sizeParam(c *gin.Context, name string) (uint64, error) {
	v := c.Query(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s must be a tree size, a whole number: %w", name, kind.ErrInvalid)
	}
	return n, nil
}

// checkpoint is GET /editions/:edition/log/checkpoint[?size=N]: the latest
// signed checkpoint of the vote log (or that of size N), as the note's
// exact bytes.
func (l *lifecycle) checkpoint(c *gin.Context) {
	size, err := sizeParam(c, "size")
	if err != nil {
		l.fail(c, err)
		return
	}
	cp, err := l.cfg.Log.Checkpoint(c.Request.Context(), c.Param("edition"), size)
	if err != nil {
		l.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "text/plain; charset=utf-8", cp.Note)
}

// inclusionProof is GET /editions/:edition/log/proof/inclusion?vote_id=ID
// [&size=N]: the proof that the vote is in the log at the latest checkpoint
// (or that of size N, with the consistency proof to the latest).
func (l *lifecycle) inclusionProof(c *gin.Context) {
	size, err := sizeParam(c, "size")
	if err != nil {
		l.fail(c, err)
		return
	}
	id := c.Query("vote_id")
	if id == "" {
		l.fail(c, fmt.Errorf("vote_id is required: %w", kind.ErrInvalid))
		return
	}
	p, err := l.cfg.Log.Inclusion(c.Request.Context(), c.Param("edition"), id, size)
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// consistencyProof is GET /editions/:edition/log/proof/consistency?from=N&to=M:
// the proof that the log at checkpoint M extends the log at checkpoint N.
func (l *lifecycle) consistencyProof(c *gin.Context) {
	from, err := sizeParam(c, "from")
	if err != nil {
		l.fail(c, err)
		return
	}
	to, err := sizeParam(c, "to")
	if err != nil {
		l.fail(c, err)
		return
	}
	if c.Query("from") == "" || c.Query("to") == "" {
		l.fail(c, fmt.Errorf("from and to are required: %w", kind.ErrInvalid))
		return
	}
	p, err := l.cfg.Log.Consistency(c.Request.Context(), c.Param("edition"), from, to)
	if err != nil {
		l.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

// ledgerFile is GET /editions/:edition/ledger.jsonl: the anonymised ledger
// of a published edition, one vote a line in leaf order, streamed. An error
// before the first byte is answered as usual; one after it cuts the file
// short, which its check against the signed results then shows.
func (l *lifecycle) ledgerFile(c *gin.Context) {
	edition := c.Param("edition")
	w := &lazyWriter{c: c, start: func() {
		c.Header("Content-Disposition", `attachment; filename="`+edition+`-ledger.jsonl"`)
		c.Header("Content-Type", "application/jsonl; charset=utf-8")
		c.Status(http.StatusOK)
	}}
	err := l.cfg.Ledger.WriteLedger(c.Request.Context(), edition, w)
	switch {
	case err != nil && !w.started:
		l.fail(c, err)
	case err != nil:
		l.log.Error("ledger file cut short", "edition", edition, "err", err)
		c.Abort()
	case !w.started:
		w.start()
	}
}

// lazyWriter writes the answer's headers at the first write.
type lazyWriter struct {
	c       *gin.Context
	start   func()
	started bool
}

func (w *lazyWriter) Write(p []byte) (int, error) {
	if !w.started {
		w.started = true
		w.start()
	}
	return w.c.Writer.Write(p)
}
