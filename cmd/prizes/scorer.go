package main

import (
	"fmt"
	"time"

	"github.com/wsisvote/prizes/antifraud"
	"github.com/wsisvote/prizes/voting"
)

// scorer returns the vote path's fraud scorer (PRIZES_FRAUD_SCORER): the
// ingest scorer, which reads each edition's thresholds from cat, or one
// that counts every vote.
func (c *config) scorer(cat *voting.Catalogue) (voting.Scorer, error) {
	switch c.FraudScorer {
	case "on":
		return antifraud.NewIngest(cat, antifraud.IngestOptions{Now: time.Now}), nil
	case "off":
		return voting.CountAll{}, nil
	}
	return nil, fmt.Errorf("PRIZES_FRAUD_SCORER (--fraud-scorer) is %q; want on or off", c.FraudScorer)
}
