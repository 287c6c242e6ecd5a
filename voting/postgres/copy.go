package postgres

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/voting"
)

// ledgerColumns are the votes columns the flusher writes, in COPY order. The
// binary encoding in appendLedgerRow writes exactly these, in this order, as
// the types the migrations give them: a change to either must change both,
// and the ledger tests fail on any mismatch.
var ledgerColumns = []string{
	"id", "edition_id", "voter_id", "project_id", "category_code", "slot", "status",
	"reasons", "cast_at", "client_net", "user_agent", "device_hint", "account_age_s",
}

// leafColumn is the column that follows ledgerColumns when the transparency
// log is on: each vote's leaf index in its edition's log.
const leafColumn = "leaf_index"

// copyInto returns the COPY statement that loads ledger rows, in
// PostgreSQL's binary format, into table (votes or its staging twin), with
// the leaf index column when logged.
func copyInto(table string, logged bool) string {
	cols := strings.Join(ledgerColumns, ", ")
	if logged {
		cols += ", " + leafColumn
	}
	return "COPY " + table + " (" + cols + ") FROM STDIN BINARY"
}

// copyHeader opens a binary COPY stream: the signature, no flags, and no
// header extension. copyTrailer closes it with a field count of -1.
var (
	copyHeader  = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	copyTrailer = []byte{0xff, 0xff}
)

// textOID is the type of the elements of the reasons array, which the binary
// array format names.
const textOID = 25

// postgresEpoch is where PostgreSQL counts timestamps from, in microseconds
// after the Unix epoch.
const postgresEpoch = 946_684_800 * 1_000_000

// rowSizeHint is about what one vote takes in the COPY stream, to size the
// buffer once rather than grow it row by row.
const rowSizeHint = 256

// appendCopy appends votes to dst as a whole binary COPY stream, header and
// trailer included. The rows are encoded here rather than handed to pgx as
// values: the generic path boxes thirteen values per row and looks up an
// encoder for each, which took a fifth of the flusher's CPU while it drained
// a backlog. It returns an error wrapping kind.ErrInvalid when a vote's
// id or project id is not a UUID.
//
// With leafAt non-nil, each row also has the leaf index column, written as
// zero: leafAt is filled with where each row's index goes, to be set with
// setLeaf once the log head is locked.
func appendCopy(dst []byte, votes []voting.Vote, leafAt []int) ([]byte, error) {
	dst = slices.Grow(dst, len(copyHeader)+len(votes)*rowSizeHint+len(copyTrailer))
	dst = append(dst, copyHeader...)
	for i := range votes {
		var err error
		if dst, err = appendLedgerRow(dst, &votes[i], leafAt != nil); err != nil {
			return dst, err
		}
		if leafAt != nil {
			dst = appendInt64(dst, 0)
			leafAt[i] = len(dst) - 8
		}
	}
	return append(dst, copyTrailer...), nil
}

// setLeaf writes a row's leaf index where appendCopy left room for it.
func setLeaf(buf []byte, at int, index uint64) { binary.BigEndian.PutUint64(buf[at:], index) }

// appendLedgerRow appends one vote as a binary COPY tuple of ledgerColumns,
// and announces one field more when logged (the caller appends it). Each
// field is its length as a 32-bit integer, then its bytes in the type's
// binary form (PostgreSQL's typsend).
func appendLedgerRow(dst []byte, v *voting.Vote, logged bool) ([]byte, error) {
	id, err := uuid.Parse(v.ID)
	if err != nil {
		return dst, fmt.Errorf("vote id %q: %w", v.ID, kind.ErrInvalid)
	}
	pid, err := uuid.Parse(v.ProjectID)
	if err != nil {
		return dst, fmt.Errorf("project id %q: %w", v.ProjectID, kind.ErrInvalid)
	}
	fields := len(ledgerColumns)
	if logged {
		fields++
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(fields))
	dst = appendBytes(dst, id[:])
	dst = appendText(dst, v.Edition)
	dst = appendInt64(dst, v.VoterID)
	dst = appendBytes(dst, pid[:])
	dst = appendText(dst, v.Category)
	dst = appendText(dst, v.Slot)
	dst = appendText(dst, string(v.Status))
	dst = appendTextArray(dst, v.Reasons)
	// PostgreSQL keeps microseconds; the nanoseconds below are dropped, as
	// pgx drops them.
	dst = appendInt64(dst, v.CastAt.Unix()*1_000_000+int64(v.CastAt.Nanosecond())/1000-postgresEpoch)
	dst = appendText(dst, v.Client.Network)
	dst = appendText(dst, v.Client.UserAgent)
	dst = appendText(dst, v.Client.DeviceHint)
	dst = appendInt64(dst, int64(v.Client.AccountAge/time.Second))
	return dst, nil
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
	return append(dst, b...)
}

func appendText(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

func appendInt64(dst []byte, n int64) []byte {
	dst = binary.BigEndian.AppendUint32(dst, 8)
	return binary.BigEndian.AppendUint64(dst, uint64(n))
}

// appendTextArray appends a text[] field: the number of dimensions (none for
// an empty array), a no-nulls flag, the element type, then for one dimension
// its length and lower bound (1), and each element as a field of its own.
func appendTextArray(dst []byte, elems []string) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0) // field length, set below
	ndim := uint32(0)
	if len(elems) > 0 {
		ndim = 1
	}
	dst = binary.BigEndian.AppendUint32(dst, ndim)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, textOID)
	if ndim == 1 {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(elems)))
		dst = binary.BigEndian.AppendUint32(dst, 1)
		for _, e := range elems {
			dst = appendText(dst, e)
		}
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
