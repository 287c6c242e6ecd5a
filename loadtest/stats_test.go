package loadtest_test

import (
	"testing"

	"github.com/wsisvote/prizes/loadtest"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		want float64
	}{
		{"none", nil, 0},
		{"one", []float64{7}, 7},
		{"odd", []float64{9, 1, 5}, 5},
		{"even", []float64{4, 1, 3, 2}, 2.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			xs := append([]float64(nil), tc.xs...)
			if got := loadtest.Median(xs); got != tc.want {
				t.Errorf("Median(%v) = %v, want %v", tc.xs, got, tc.want)
			}
			for i := range xs {
				if xs[i] != tc.xs[i] {
					t.Fatalf("Median reordered its argument: %v, was %v", xs, tc.xs)
				}
			}
		})
	}
}
