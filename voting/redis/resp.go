package redis

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// parseReadReply parses the raw reply of an XREADGROUP on one stream, in
// RESP2 (an array of [stream, entries] pairs) or RESP3 (a map of stream to
// entries), or the null of a read that found nothing. Each entry is an
// array of its id and its field-value array, which is null for an entry
// deleted while pending.
func parseReadReply(s string) ([]message, error) {
	r := resp{s: s}
	var msgs []message
	switch kind, n := r.aggregate(); {
	case kind == '_' || n < 0:
		// Nothing arrived within the block.
	case kind == '%' || kind == '*':
		for range n {
			if kind == '*' && r.expect('*') != 2 {
				r.fail("stream pair")
			}
			r.str() // the stream's name
			count := r.expect('*')
			if count > len(r.s) {
				r.fail("entry count")
				break
			}
			msgs = slices.Grow(msgs, count)
			for range count {
				msgs = append(msgs, r.message())
			}
		}
	default:
		r.fail("reply type")
	}
	if r.err == nil && len(r.s) != 0 {
		r.fail("trailing bytes")
	}
	if r.err != nil {
		return nil, r.err
	}
	return msgs, nil
}

// resp reads RESP from the front of s. After the first failure every read
// returns a zero value, so the caller checks err once at the end.
type resp struct {
	s     string
	err   error
	votes []string
}

func (r *resp) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("parse stream reply: bad %s", what)
	}
	r.s = ""
}

// header reads a type byte and the rest of its line.
func (r *resp) header() (byte, string) {
	i := strings.Index(r.s, "\r\n")
	if i < 1 {
		r.fail("line")
		return 0, ""
	}
	kind, text := r.s[0], r.s[1:i]
	r.s = r.s[i+2:]
	return kind, text
}

// aggregate reads the header of an array, map or null, and returns its type
// and length (-1 for a null).
func (r *resp) aggregate() (byte, int) {
	kind, text := r.header()
	if kind == '_' {
		return kind, -1
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < -1 {
		r.fail("length")
		return 0, 0
	}
	return kind, n
}

// expect reads the header of an aggregate of the given type and returns its
// length; a null counts as empty.
func (r *resp) expect(kind byte) int {
	got, n := r.aggregate()
	if got == '_' || n < 0 {
		return 0
	}
	if got != kind {
		r.fail("aggregate type")
		return 0
	}
	return n
}

// str reads a bulk or simple string.
func (r *resp) str() string {
	kind, text := r.header()
	switch kind {
	case '+':
		return text
	case '$':
		n, err := strconv.Atoi(text)
		if err != nil || n < 0 || n+2 > len(r.s) || r.s[n:n+2] != "\r\n" {
			r.fail("bulk string")
			return ""
		}
		v := r.s[:n]
		r.s = r.s[n+2:]
		return v
	}
	r.fail("string type")
	return ""
}

// message reads one stream entry.
func (r *resp) message() message {
	if r.expect('*') != 2 {
		r.fail("entry")
		return message{}
	}
	m := message{id: r.str()}
	kind, n := r.aggregate()
	if kind == '_' || n < 0 {
		return m
	}
	if kind != '*' || n%2 != 0 || n > len(r.s) {
		r.fail("fields")
		return m
	}
	// The votes of all entries share one backing array, which spares an
	// allocation per entry; each message keeps its own stretch of it.
	start := len(r.votes)
	fields := r.s
	other := false
	m.votes = r.votes
	for i := 0; i < n; i += 2 {
		if f, v := r.str(), r.str(); !m.field(f, v) {
			other = true
		}
	}
	r.votes = m.votes
	if other && r.err == nil {
		// Something the append script does not write: the whole entry is kept, should it go
		// to the dead-letter stream.
		again := resp{s: fields}
		m.fields = make([]string, n)
		for i := range m.fields {
			m.fields[i] = again.str()
		}
	}
	m.votes = r.votes[start:len(r.votes):len(r.votes)]
	return m
}
