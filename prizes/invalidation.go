package prizes

// MostlyInvalidated reports whether most of a project's support was
// invalidated by fraud review: more of its votes invalidated than count. Such
// a project is flagged for an organiser's disqualification decision in the
// case list and in the results; the flag decides nothing by itself.
func MostlyInvalidated(counted, invalidated int64) bool {
	return invalidated > counted
}

// UnspecifiedReason is the reason code under which an invalidated vote
// recorded without any reason is counted.
const UnspecifiedReason = "unspecified"
