package transparency

import "github.com/wsisvote/prizes/internal/kind"

// The log's errors, on the project's kinds.
var (
	// ErrUnknownVote means the edition's log has no leaf for this vote id:
	// there is no such vote, or it has not reached the ledger yet (the
	// flusher's lag), or it is newer than the latest checkpoint.
	ErrUnknownVote = kind.New(kind.NotFound, "unknown_vote", "the log has no leaf for this vote id yet; a vote reaches the log within a second and a checkpoint within a minute or two")
	// ErrNoCheckpoint means the edition's log has no signed checkpoint (of
	// the size asked for).
	ErrNoCheckpoint = kind.New(kind.NotFound, "no_checkpoint", "the log has no signed checkpoint of this size")
	// ErrBadRange means a consistency proof was asked between sizes that are
	// not two checkpoints, smaller first.
	ErrBadRange = kind.New(kind.Invalid, "bad_range", "from and to must be the sizes of two signed checkpoints, from <= to")
	// ErrLogMismatch means the ledger's votes do not hash to the log head the
	// flusher kept: the ledger was changed behind the log's back.
	ErrLogMismatch = kind.New(kind.Conflict, "log_mismatch", "the ledger does not match its transparency log")
)
