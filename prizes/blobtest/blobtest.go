// Package blobtest is the conformance test every prizes.Blobs adapter
// passes, so that the local disk and an object store behave alike.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// Run checks b, which must start empty.
func Run(t *testing.T, b prizes.Blobs) {
	ctx := context.Background()
	one := prizes.NewBlob([]byte("%PDF-1.4 one"))
	two := prizes.NewBlob(bytes.Repeat([]byte("two "), 100_000))

	t.Run("missing", func(t *testing.T) {
		if _, _, err := b.Get(ctx, one.Hash); !errors.Is(err, prizes.ErrBlobNotFound) {
			t.Fatalf("Get of a missing blob = %v; want ErrBlobNotFound", err)
		}
		if _, _, err := b.Get(ctx, "../../etc/passwd"); !errors.Is(err, prizes.ErrBlobNotFound) {
			t.Fatalf("Get of a name that is no hash = %v; want ErrBlobNotFound", err)
		}
		if err := b.Delete(ctx, one.Hash); err != nil {
			t.Fatalf("Delete of a missing blob = %v", err)
		}
	})
	t.Run("wrong hash", func(t *testing.T) {
		bad := prizes.Blob{Hash: two.Hash, Data: one.Data}
		if err := b.Put(ctx, bad); !errors.Is(err, kind.ErrInvalid) {
			t.Fatalf("Put under another data's hash = %v; want kind.ErrInvalid", err)
		}
		if _, _, err := b.Get(ctx, two.Hash); !errors.Is(err, prizes.ErrBlobNotFound) {
			t.Fatalf("a refused Put left a blob: %v", err)
		}
	})
	t.Run("put get list delete", func(t *testing.T) {
		before := time.Now().Add(-time.Minute)
		for _, bl := range []prizes.Blob{one, two, one} {
			if err := b.Put(ctx, bl); err != nil {
				t.Fatal(err)
			}
		}
		for _, bl := range []prizes.Blob{one, two} {
			r, size, err := b.Get(ctx, bl.Hash)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, bl.Data) || size != int64(len(bl.Data)) {
				t.Fatalf("Get = %d bytes (size %d), %v; want %d", len(got), size, err, len(bl.Data))
			}
		}
		listed := map[string]time.Time{}
		if err := b.List(ctx, func(h string, m time.Time) error { listed[h] = m; return nil }); err != nil {
			t.Fatal(err)
		}
		if len(listed) != 2 || listed[one.Hash].Before(before) || listed[two.Hash].IsZero() {
			t.Fatalf("List = %v; want the two blobs with their times", listed)
		}
		stop := errors.New("stop")
		if err := b.List(ctx, func(string, time.Time) error { return stop }); !errors.Is(err, stop) {
			t.Fatalf("List stopped by fn = %v; want fn's error", err)
		}
		if err := b.Delete(ctx, one.Hash); err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.Get(ctx, one.Hash); !errors.Is(err, prizes.ErrBlobNotFound) {
			t.Fatalf("Get after Delete = %v", err)
		}
		if err := b.Delete(ctx, two.Hash); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("concurrent puts of one blob", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Go(func() { errs <- b.Put(ctx, two) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		r, size, err := b.Get(ctx, two.Hash)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(r)
		r.Close()
		if !bytes.Equal(got, two.Data) || size != int64(len(two.Data)) {
			t.Fatalf("after concurrent puts the blob has %d bytes; want %d", len(got), len(two.Data))
		}
		_ = b.Delete(ctx, two.Hash)
	})
}
