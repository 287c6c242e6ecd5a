package loadtest

import (
	"math"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Count writes n as the reports write numbers: in English, with commas
// between groups of three digits.
func Count(n int64) string {
	return message.NewPrinter(language.English).Sprintf("%d", n)
}

// Round writes x rounded to a whole number, as Count does.
func Round(x float64) string { return Count(int64(math.Round(x))) }
