package api

// The external tests check these internals against the slower, reference
// implementations they stand in for.
var (
	ScanVote         = scanVote
	DecodeVoteJSON   = decodeVoteJSON
	AppendJSONString = appendJSONString
)
