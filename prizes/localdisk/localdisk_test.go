package localdisk_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsisvote/prizes/prizes/blobtest"
	"github.com/wsisvote/prizes/prizes/localdisk"
)

func TestStore(t *testing.T) {
	dir := t.TempDir()
	s, err := localdisk.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, s)
	left, err := os.ReadDir(filepath.Join(dir, "tmp"))
	if err != nil || len(left) != 0 {
		t.Fatalf("temporary files left behind: %v, %v", left, err)
	}
}

func TestStore_List_noDirectory(t *testing.T) {
	s, err := localdisk.New(filepath.Join(t.TempDir(), "never-made"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.List(context.Background(), func(string, time.Time) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("List of a store never written = %d, %v", n, err)
	}
}
