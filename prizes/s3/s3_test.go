package s3_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes/blobtest"
	"github.com/wsisvote/prizes/prizes/s3"
)

// fakeS3 starts an S3-protocol server in process with one bucket and
// returns the config that reaches it.
func fakeS3(t testing.TB, bucket string) s3.Config {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return s3.Config{Endpoint: strings.TrimPrefix(srv.URL, "http://"), Region: "us-east-1",
		AccessKey: "test", SecretKey: "testsecret", Bucket: bucket, Prefix: "files/", PathStyle: true}
}

func TestStore(t *testing.T) {
	s, err := s3.New(context.Background(), fakeS3(t, "prizes"))
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Run(t, s)
}

func TestNew_missingBucket(t *testing.T) {
	cfg := fakeS3(t, "prizes")
	cfg.Bucket = "other"
	if _, err := s3.New(context.Background(), cfg); kind.Of(err) != kind.Invalid {
		t.Fatalf("New on a missing bucket = %v; want kind invalid", err)
	}
}
