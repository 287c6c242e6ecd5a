package localdisk_test

import (
	"os"
	"path/filepath"
	"testing"

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
