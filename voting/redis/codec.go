package redis

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/wsisvote/prizes/voting"
)

// ErrCorrupt means a vote log entry could not be decoded. Such entries are
// moved to the dead-letter stream rather than dropped.
var ErrCorrupt = errors.New("corrupt vote encoding")

// codecVersion is the first byte of every encoded vote, so that a later
// layout can be told apart from this one while old entries are still in the
// log.
const codecVersion = 1

// statusCode gives the known statuses one byte each; code 0 is followed by
// the status spelled out, so an unknown status still survives the log.
func statusCode(s voting.Status) byte {
	switch s {
	case voting.StatusCounted:
		return 1
	case voting.StatusFlagged:
		return 2
	case voting.StatusRejected:
		return 3
	case voting.StatusInvalidated:
		return 4
	}
	return 0
}

func statusOf(code byte) (voting.Status, bool) {
	switch code {
	case 1:
		return voting.StatusCounted, true
	case 2:
		return voting.StatusFlagged, true
	case 3:
		return voting.StatusRejected, true
	case 4:
		return voting.StatusInvalidated, true
	}
	return "", false
}

// Encode appends the compact binary form of v to dst and returns the extended
// slice. Every field of the vote is kept, CastAt to the nanosecond; the time
// zone is not, and Decode returns CastAt in UTC.
func Encode(dst []byte, v *voting.Vote) []byte {
	dst = append(dst, codecVersion)
	dst = appendString(dst, v.ID)
	dst = appendString(dst, v.Edition)
	dst = binary.AppendVarint(dst, v.VoterID)
	dst = appendString(dst, v.ProjectID)
	dst = appendString(dst, v.Category)
	dst = appendString(dst, v.Slot)
	code := statusCode(v.Status)
	dst = append(dst, code)
	if code == 0 {
		dst = appendString(dst, string(v.Status))
	}
	dst = binary.AppendUvarint(dst, uint64(len(v.Reasons)))
	for _, r := range v.Reasons {
		dst = appendString(dst, r)
	}
	dst = binary.AppendVarint(dst, v.CastAt.Unix())
	dst = binary.AppendUvarint(dst, uint64(v.CastAt.Nanosecond()))
	dst = appendString(dst, v.Client.Network)
	dst = appendString(dst, v.Client.UserAgent)
	dst = appendString(dst, v.Client.DeviceHint)
	dst = binary.AppendVarint(dst, int64(v.Client.AccountAge))
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// Decode parses a vote written by Encode. It returns an error wrapping
// ErrCorrupt when b is not a complete, well-formed encoding.
func Decode(b []byte) (voting.Vote, error) {
	return decode(string(b))
}

// decode works on a string so that a log entry, which go-redis already hands
// over as a string, is parsed without another copy: the vote's strings are
// slices of it.
func decode(s string) (voting.Vote, error) {
	d := decoder{s: s}
	var v voting.Vote
	if version := d.byte(); version != codecVersion {
		if d.err != nil {
			return voting.Vote{}, d.err
		}
		return voting.Vote{}, fmt.Errorf("decode vote: version %d: %w", version, ErrCorrupt)
	}
	v.ID = d.string()
	v.Edition = d.string()
	v.VoterID = d.varint()
	v.ProjectID = d.string()
	v.Category = d.string()
	v.Slot = d.string()
	if code := d.byte(); code == 0 {
		v.Status = voting.Status(d.string())
	} else if st, ok := statusOf(code); ok {
		v.Status = st
	} else {
		d.fail("status code")
	}
	// Each reason takes at least one byte, which bounds the slice before it
	// is allocated, whatever count the input claims.
	if n := d.uvarint(); n > uint64(len(d.s)) {
		d.fail("reason count")
	} else if n > 0 {
		v.Reasons = make([]string, n)
		for i := range v.Reasons {
			v.Reasons[i] = d.string()
		}
	}
	sec, nsec := d.varint(), d.uvarint()
	if nsec >= uint64(time.Second) {
		d.fail("nanoseconds")
	}
	v.Client.Network = d.string()
	v.Client.UserAgent = d.string()
	v.Client.DeviceHint = d.string()
	v.Client.AccountAge = time.Duration(d.varint())
	if d.err == nil && len(d.s) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return voting.Vote{}, d.err
	}
	v.CastAt = time.Unix(sec, int64(nsec)).UTC()
	return v, nil
}

// decoder reads an encoded vote front to back. After the first failure every
// read returns a zero value, so decode checks the error once at the end.
type decoder struct {
	s   string
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("decode vote: bad %s: %w", what, ErrCorrupt)
	}
	d.s = ""
}

func (d *decoder) byte() byte {
	if len(d.s) == 0 {
		d.fail("length")
		return 0
	}
	b := d.s[0]
	d.s = d.s[1:]
	return b
}

func (d *decoder) uvarint() uint64 {
	var x uint64
	for i, shift := 0, uint(0); i < len(d.s) && i < binary.MaxVarintLen64; i, shift = i+1, shift+7 {
		b := d.s[i]
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				break
			}
			d.s = d.s[i+1:]
			return x | uint64(b)<<shift
		}
		x |= uint64(b&0x7f) << shift
	}
	d.fail("varint")
	return 0
}

func (d *decoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.s)) {
		d.fail("string length")
		return ""
	}
	s := d.s[:n]
	d.s = d.s[n:]
	return s
}
