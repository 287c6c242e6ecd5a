// Package baseline is the plain Gin handler the vote path is measured
// against: the same route and request body, decoded the plain way, and a 202
// with a receipt-sized answer, with nothing behind it. The ratio of the vote
// path's throughput to this one's is what the benchmark reports, because on
// one machine it says how much the real work costs regardless of how fast
// that machine is.
package baseline

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/gin-gonic/gin"
)

// zeros pads vote ids to the 36 characters of a UUID.
const zeros = "000000000000000000000000000000000000"

type voteRequest struct {
	ProjectID string `json:"project_id"`
}

type voteResponse struct {
	VoteID   string `json:"vote_id"`
	Status   string `json:"status"`
	Category string `json:"category"`
}

type errorBody struct {
	Error struct {
		Code string `json:"code"`
	} `json:"error"`
}

// New returns the baseline handler: POST /api/v1/editions/:edition/votes
// decodes {"project_id":"..."} with encoding/json and answers 202 with a
// vote id, or 422 invalid_request when the body does not decode. Gin runs
// with no middleware at all, no logger and no recovery, as the plainest
// handler would. The caller sets Gin's process-wide release mode.
func New() http.Handler {
	var seq atomic.Int64
	e := gin.New()
	e.POST("/api/v1/editions/:edition/votes", func(c *gin.Context) {
		var req voteRequest
		if err := json.NewDecoder(c.Request.Body).Decode(&req); err != nil || req.ProjectID == "" {
			var body errorBody
			body.Error.Code = "invalid_request"
			c.JSON(http.StatusUnprocessableEntity, body)
			return
		}
		// A zero-padded counter stands in for the vote id: the receipt has
		// the size of a real one (a UUID) without the work of minting it.
		id := strconv.FormatInt(seq.Add(1), 10)
		if len(id) < len(zeros) {
			id = zeros[len(id):] + id
		}
		c.JSON(http.StatusAccepted, voteResponse{VoteID: id, Status: "accepted"})
	})
	e.GET("/healthz", func(c *gin.Context) { c.String(http.StatusOK, "ok") })
	return e
}
