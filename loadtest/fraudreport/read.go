package fraudreport

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/wsisvote/prizes/antifraud"
)

// voteLine is what the report reads of an export line; the rest of the
// line is skipped.
type voteLine struct {
	VoteID    string `json:"vote_id"`
	ProjectID string `json:"project_id"`
	Category  string `json:"category"`
}

// ReadFiles judges the verdicts at verdicts on the export at votes with the
// labels at labels, each a file of one JSON object per line.
func ReadFiles(votes, labels, verdicts string, t Targets) (*Report, error) {
	j := NewJudge(t)
	err := eachLine(votes, func(line []byte) error {
		var v voteLine
		if err := json.Unmarshal(line, &v); err != nil {
			return err
		}
		return j.Vote(antifraud.Vote{VoteID: v.VoteID, ProjectID: v.ProjectID, Category: v.Category})
	})
	if err != nil {
		return nil, err
	}
	err = eachLine(labels, func(line []byte) error {
		var l antifraud.Label
		if err := json.Unmarshal(line, &l); err != nil {
			return err
		}
		return j.Label(l)
	})
	if err != nil {
		return nil, err
	}
	err = eachLine(verdicts, func(line []byte) error {
		var v antifraud.Verdict
		if err := json.Unmarshal(line, &v); err != nil {
			return err
		}
		return j.Verdict(v)
	})
	if err != nil {
		return nil, err
	}
	return j.Report()
}

// eachLine calls fn with every non-empty line of the file at path.
func eachLine(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read %w", err)
	}
	defer f.Close()
	if err := Lines(f, fn); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return nil
}

// Lines calls fn with every non-empty line of r, and names the line of the
// first error.
func Lines(r io.Reader, fn func([]byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	n := 0
	for sc.Scan() {
		n++
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	return sc.Err()
}
