package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/wsisvote/prizes/api"
	"github.com/wsisvote/prizes/internal/poller"
	"github.com/wsisvote/prizes/prizes"
	"github.com/wsisvote/prizes/prizes/localdisk"
	ppg "github.com/wsisvote/prizes/prizes/postgres"
	"github.com/wsisvote/prizes/prizes/s3"
)

// sweepEvery is how often serve removes blobs no file refers to.
const sweepEvery = time.Hour

// filesConfig says where entries' files are kept: a local directory, or an
// S3-compatible bucket when an endpoint is given (for several nodes that
// share no disk).
type filesConfig struct {
	Dir         string
	S3Endpoint  string
	S3Bucket    string
	S3Region    string
	S3Prefix    string
	S3AccessKey string
	S3SecretKey string
	S3Insecure  bool
	S3PathStyle bool
	SweepOff    bool
	SweepGrace  time.Duration
}

func (c *filesConfig) bind(fs *flag.FlagSet, e env) error {
	b := binder{fs: fs, e: e}
	for _, err := range []error{
		b.str(&c.Dir, "files-dir", "FILES_DIR", "files", "directory of entries' logos and attachments, by content hash (when no S3 endpoint is set)"),
		b.str(&c.S3Endpoint, "files-s3-endpoint", "FILES_S3_ENDPOINT", "",
			"host:port of an S3-compatible service that keeps entries' files instead of the directory"),
		b.str(&c.S3Bucket, "files-s3-bucket", "FILES_S3_BUCKET", "prizes", "bucket of entries' files; it must exist"),
		b.str(&c.S3Region, "files-s3-region", "FILES_S3_REGION", "", "region of the bucket"),
		b.str(&c.S3Prefix, "files-s3-prefix", "FILES_S3_PREFIX", "files/", "prefix of the objects' names in the bucket"),
		b.str(&c.S3AccessKey, "files-s3-access-key", "FILES_S3_ACCESS_KEY", "", "access key of the bucket"),
		b.str(&c.S3SecretKey, "files-s3-secret-key", "FILES_S3_SECRET_KEY", "", "secret key of the bucket"),
		b.dur(&c.SweepGrace, "files-sweep-grace", "FILES_SWEEP_GRACE", prizes.SweepGrace,
			"how old a blob without a file must be before serve removes it"),
	} {
		if err != nil {
			return err
		}
	}
	fs.BoolVar(&c.S3Insecure, "files-s3-insecure", false, "reach the S3 service over plain HTTP")
	fs.BoolVar(&c.S3PathStyle, "files-s3-path-style", false, "name the bucket in the path, as most self-hosted services want")
	fs.BoolVar(&c.SweepOff, "files-sweep-off", false, "do not remove blobs without a file from serve (run it on one node only, say)")
	return nil
}

// blobs opens the configured blob store.
func (c *filesConfig) blobs(ctx context.Context) (prizes.Blobs, error) {
	if c.S3Endpoint == "" {
		return localdisk.New(c.Dir)
	}
	return s3.New(ctx, s3.Config{Endpoint: c.S3Endpoint, Secure: !c.S3Insecure, Region: c.S3Region,
		AccessKey: c.S3AccessKey, SecretKey: c.S3SecretKey, Bucket: c.S3Bucket, Prefix: c.S3Prefix, PathStyle: c.S3PathStyle})
}

// wireFiles builds the files service into cfg and sweeps blobs without a
// file every sweepEvery.
func (a *app) wireFiles(ctx context.Context, st *stack, store *ppg.Store, cfg *api.Config) error {
	blobs, err := a.cfg.Files.blobs(ctx)
	if err != nil {
		return fmt.Errorf("entries' files: %w", err)
	}
	files := &prizes.Files{Blobs: blobs, Store: store, Now: time.Now}
	cfg.Prizes.Files = files
	if !a.cfg.Files.SweepOff {
		st.background(func(ctx context.Context) {
			p := poller.Poller{
				Every: sweepEvery,
				Fn: func(ctx context.Context, _ time.Time) error {
					n, err := files.Sweep(ctx, a.cfg.Files.SweepGrace)
					if n > 0 {
						a.log.Info("blobs without a file removed", "count", n)
					}
					return err
				},
				OnError: func(err error) { a.log.Warn("sweep blobs", "err", err) },
			}
			p.Run(ctx)
		})
	}
	return nil
}
