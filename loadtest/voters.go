package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// ReadVoters reads the voter_id<TAB>token lines that `prizes voters` writes;
// a third field (the key of `prizes voters --facts`) is skipped. Blank
// lines are skipped; anything else malformed is an error naming its line.
func ReadVoters(r io.Reader) ([]Voter, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var out []Voter
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		id, tok, ok := bytes.Cut(text, []byte{'\t'})
		tok, _, _ = bytes.Cut(tok, []byte{'\t'})
		if !ok || len(tok) == 0 {
			return nil, fmt.Errorf("read voters: line %d: want voter_id<TAB>token", line)
		}
		n, err := strconv.ParseInt(string(id), 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("read voters: line %d: voter id %q is not a positive integer", line, id)
		}
		out = append(out, Voter{ID: n, Token: string(tok)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read voters: %w", err)
	}
	return out, nil
}

// LoadVoters reads the voters file at path.
func LoadVoters(path string) ([]Voter, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load voters: %w", err)
	}
	defer f.Close()
	return ReadVoters(f)
}

// FetchProjects reads the ballot of an edition from the API: every nominee of
// every category.
func FetchProjects(ctx context.Context, c *http.Client, baseURL, edition string) ([]Project, error) {
	u := strings.TrimRight(baseURL, "/") + "/api/v1/editions/" + url.PathEscape(edition) + "/projects"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch projects: %w", err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch projects: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("fetch projects: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	var out struct {
		Projects []Project `json:"projects"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("fetch projects: decode: %w", err)
	}
	if len(out.Projects) == 0 {
		return nil, fmt.Errorf("fetch projects: edition %q has no nominees", edition)
	}
	return out.Projects, nil
}
