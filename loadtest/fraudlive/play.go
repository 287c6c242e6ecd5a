package fraudlive

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/wsisvote/prizes/antifraud"
)

// Sent is what the play sent and how it was answered.
type Sent struct {
	Votes    int `json:"votes"`
	Accepted int `json:"accepted"`
	// Statuses counts the answers by HTTP status; 0 is a request that got
	// no answer.
	Statuses map[int]int `json:"statuses"`
	// Behind is how far behind its due time the most delayed vote was
	// sent: the play keeps time only as well as the machine lets it.
	Behind time.Duration `json:"behind"`
	// LastError is the last transport error, if any.
	LastError string `json:"last_error,omitempty"`
}

// play sends every vote, in order, when the clock says it is due, from an
// address inside its network, with its User-Agent (none when it has none),
// its device hint and its voter's token, at most workers at once.
func play(ctx context.Context, base, edition string, votes []antifraud.Vote, voters map[int64]Voter, c Clock,
	workers int, addrs *Addresses) (Sent, error) {
	endpoint := strings.TrimRight(base, "/") + "/api/v1/editions/" + url.PathEscape(edition) + "/votes"
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: workers, MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	type answer struct {
		status int
		err    error
	}
	jobs := make(chan int)
	answers := make([]answer, len(votes))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				status, err := send(ctx, client, endpoint, &votes[i], voters, addrs)
				answers[i] = answer{status, err}
			}
		}()
	}
	out := Sent{Statuses: map[int]int{}}
	var err error
	for i := range votes {
		due := c.Real(votes[i].CastAt)
		if wait := time.Until(due); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				err = ctx.Err()
			}
		} else {
			out.Behind = max(out.Behind, -wait)
		}
		if err != nil {
			break
		}
		jobs <- i
		out.Votes++
	}
	close(jobs)
	wg.Wait()
	for _, a := range answers[:out.Votes] {
		out.Statuses[a.status]++
		if a.status == http.StatusAccepted {
			out.Accepted++
		}
		if a.err != nil {
			out.LastError = a.err.Error()
		}
	}
	return out, err
}

// send casts one vote and returns the answer's status, 0 for none.
func send(ctx context.Context, client *http.Client, endpoint string, v *antifraud.Vote, voters map[int64]Voter, addrs *Addresses) (int, error) {
	voter, ok := voters[v.VoterID]
	if !ok {
		return 0, fmt.Errorf("vote %s: voter %d was not created", v.VoteID, v.VoterID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(`{"project_id":"`+v.ProjectID+`"}`))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+voter.Token)
	// An empty User-Agent present in the header map sends none at all,
	// where a missing one would send Go's own.
	req.Header["User-Agent"] = []string{v.UserAgent}
	if v.DeviceHint != "" {
		req.Header.Set("X-Device-Hint", v.DeviceHint)
	}
	if a, ok := addrs.Of(v.VoterID, v.Network); ok {
		req.Header.Set("X-Forwarded-For", a.String())
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("vote %s: %w", v.VoteID, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
