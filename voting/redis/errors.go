package redis

import (
	"fmt"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/internal/unavailable"
)

// wrap names the operation that failed and translates err into the voting
// vocabulary, keeping the driver's error in the chain for the log.
func wrap(op string, err error) error {
	if unavailable.Redis(err) {
		return fmt.Errorf("%s: %w: %w", op, kind.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}
