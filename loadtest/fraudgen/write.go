package fraudgen

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"
	"unicode/utf8"
)

// WriteVotes writes every vote as one line of JSON, exactly as
// encoding/json writes an antifraud.Vote, in the order they were cast.
func (t *Traffic) WriteVotes(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var b []byte
	for i := range t.votes {
		b = t.appendVote(b[:0], i)
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("write votes: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write votes: %w", err)
	}
	return nil
}

// WriteLabels writes the label of every vote as one line of JSON (an
// antifraud.Label), in the order of WriteVotes.
func (t *Traffic) WriteLabels(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var b []byte
	for i, v := range t.votes {
		a := &t.accounts[v.account]
		b = append(b[:0], `{"vote_id":"`...)
		b = t.appendVoteID(b, i)
		b = append(b, `","label":`...)
		b = appendString(b, t.labels[a.label])
		b = append(b, `,"honest":`...)
		b = strconv.AppendBool(b, t.honest[a.label])
		b = append(b, "}\n"...)
		if _, err := bw.Write(b); err != nil {
			return fmt.Errorf("write labels: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write labels: %w", err)
	}
	return nil
}

func (t *Traffic) appendVote(b []byte, i int) []byte {
	v := &t.votes[i]
	a := &t.accounts[v.account]
	p := &t.projects[v.project]
	b = append(b, `{"vote_id":"`...)
	b = t.appendVoteID(b, i)
	b = append(b, `","voter_id":`...)
	b = strconv.AppendInt(b, a.id, 10)
	b = append(b, `,"project_id":`...)
	b = appendString(b, p.id)
	b = append(b, `,"category":`...)
	b = appendString(b, t.cats[p.cat])
	b = append(b, `,"cast_at":"`...)
	b = appendTime(b, v.at)
	b = append(b, `","network":"`...)
	b = v.net.appendTo(b)
	b = append(b, `","user_agent":`...)
	b = appendString(b, t.uas.s[v.ua])
	b = append(b, `,"device_hint":"`...)
	b = t.appendDevice(b, v.device)
	b = append(b, `","email_domain":`...)
	b = appendString(b, t.domains.s[a.domain])
	b = append(b, `,"account_created_at":"`...)
	b = appendTime(b, a.created)
	return append(b, "\"}\n"...)
}

// appendVoteID appends the id of vote i: a version 7 UUID, as the ledger
// gives every vote, from its time and bits drawn from the seed.
func (t *Traffic) appendVoteID(b []byte, i int) []byte {
	var u [16]byte
	ms := uint64(t.votes[i].at)
	for k := 0; k < 6; k++ {
		u[k] = byte(ms >> (40 - 8*k))
	}
	x, y := mix(t.cfg.Seed^uint64(i)*0x9e3779b97f4a7c15), mix(t.cfg.Seed+uint64(i)*0xbf58476d1ce4e5b9)
	u[6] = 0x70 | byte(x>>8)&0x0f
	u[7] = byte(x)
	binary.BigEndian.PutUint64(u[8:], y)
	u[8] = 0x80 | u[8]&0x3f
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return append(b, s[:]...)
}

// appendDevice appends a device's hint: 128 random bits in base64url, as a
// browser keeps in its storage; nothing for a client that sends none.
func (t *Traffic) appendDevice(b []byte, d uint64) []byte {
	if d == 0 {
		return b
	}
	var raw [16]byte
	binary.BigEndian.PutUint64(raw[:8], mix(t.cfg.Seed^d*0x94d049bb133111eb))
	binary.BigEndian.PutUint64(raw[8:], mix(mix(t.cfg.Seed)+d))
	return base64.RawURLEncoding.AppendEncode(b, raw[:])
}

// appendTime appends a time as encoding/json writes a time.Time in UTC.
func appendTime(b []byte, ms int64) []byte {
	return time.UnixMilli(ms).UTC().AppendFormat(b, time.RFC3339Nano)
}

// appendString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters included).
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
