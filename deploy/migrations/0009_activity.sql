-- What each node's vote path and flusher did, minute by minute, for the
-- organisers' live dashboard. Every process keeps its own rows (node is a
-- name it picks at start) and rewrites a minute's row with its count so
-- far, so saving twice is harmless and nodes never contend; the dashboard
-- adds the nodes up. Flushers write under the edition '' (a batch carries
-- every edition's votes). These are operational figures, never the source of
-- a published number: that is the votes ledger.
CREATE TABLE vote_activity (
    edition_id  text NOT NULL,
    minute      timestamptz NOT NULL,
    node        text NOT NULL,
    accepted    bigint NOT NULL DEFAULT 0,
    flagged     bigint NOT NULL DEFAULT 0,
    rejected    bigint NOT NULL DEFAULT 0,
    duplicate   bigint NOT NULL DEFAULT 0,
    refused     bigint NOT NULL DEFAULT 0,
    flushed     bigint NOT NULL DEFAULT 0,
    lag_sum_ms  double precision NOT NULL DEFAULT 0,
    lag_max_ms  double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (edition_id, minute, node)
);
