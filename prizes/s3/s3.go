// Package s3 keeps entries' files in a bucket of an S3-compatible object
// store (AWS S3, MinIO, Ceph, Garage, ...) through the MinIO Go client, for
// deployments of several nodes that share no disk. The blob named h is the
// object <prefix>h; an object store's PUT is atomic, so a reader sees a
// whole blob or none.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/wsisvote/prizes/internal/kind"
	"github.com/wsisvote/prizes/prizes"
)

// Config says which bucket to use and how to reach it.
type Config struct {
	// Endpoint is the host and port of the service, without a scheme.
	Endpoint string
	// Secure uses HTTPS.
	Secure    bool
	Region    string
	AccessKey string
	SecretKey string
	Bucket    string
	// Prefix is put before every object's name, such as "files/".
	Prefix string
	// PathStyle addresses the bucket in the path rather than in the host
	// name, which most self-hosted services need.
	PathStyle bool
}

// Store is a blob store in a bucket.
type Store struct {
	client *minio.Client
	bucket string
	prefix string
}

var _ prizes.Blobs = (*Store)(nil)

// New returns a store on cfg's bucket, which must exist; it checks that it
// does.
func New(ctx context.Context, cfg Config) (*Store, error) {
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.Secure, Region: cfg.Region, BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: %w", err)
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: bucket %q: %w", cfg.Bucket, translate(err))
	}
	if !ok {
		return nil, fmt.Errorf("s3: bucket %q does not exist: %w", cfg.Bucket, kind.ErrInvalid)
	}
	return &Store{client: c, bucket: cfg.Bucket, prefix: cfg.Prefix}, nil
}

// translate turns the client's errors into the project's kinds: a missing
// object is prizes.ErrBlobNotFound, a service that cannot be reached or
// answers 5xx is kind.ErrUnavailable.
func translate(err error) error {
	if err == nil {
		return nil
	}
	resp := minio.ToErrorResponse(err)
	switch {
	case resp.Code == minio.NoSuchKey:
		return fmt.Errorf("%w: %w", prizes.ErrBlobNotFound, err)
	case resp.StatusCode >= 500:
		return fmt.Errorf("%w: %w", kind.ErrUnavailable, err)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", kind.ErrUnavailable, err)
	}
	return err
}

func (s *Store) key(hash string) string { return s.prefix + hash }

// Put uploads b in one request.
func (s *Store) Put(ctx context.Context, b prizes.Blob) error {
	if prizes.NewBlob(b.Data).Hash != b.Hash {
		return fmt.Errorf("put blob %q: the name is not the data's SHA-256: %w", b.Hash, kind.ErrInvalid)
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.key(b.Hash), bytes.NewReader(b.Data), int64(len(b.Data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return fmt.Errorf("put blob %s: %w", b.Hash, translate(err))
	}
	return nil
}

// Get opens the object of hash; the body is read as it is used.
func (s *Store) Get(ctx context.Context, hash string) (io.ReadCloser, int64, error) {
	if !prizes.ValidHash(hash) {
		return nil, 0, fmt.Errorf("get blob %q: %w", hash, prizes.ErrBlobNotFound)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.key(hash), minio.GetObjectOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("get blob %s: %w", hash, translate(err))
	}
	st, err := obj.Stat()
	if err != nil {
		obj.Close()
		return nil, 0, fmt.Errorf("get blob %s: %w", hash, translate(err))
	}
	return obj, st.Size, nil
}

// Delete removes the object of hash; S3 answers a missing one as removed.
func (s *Store) Delete(ctx context.Context, hash string) error {
	if !prizes.ValidHash(hash) {
		return nil
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.key(hash), minio.RemoveObjectOptions{}); err != nil {
		if errors.Is(translate(err), prizes.ErrBlobNotFound) {
			return nil
		}
		return fmt.Errorf("delete blob %s: %w", hash, translate(err))
	}
	return nil
}

// List lists the objects under the prefix whose names are hashes.
func (s *Store) List(ctx context.Context, fn func(hash string, modified time.Time) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("list blobs: %w", translate(obj.Err))
		}
		hash := strings.TrimPrefix(obj.Key, s.prefix)
		if !prizes.ValidHash(hash) {
			continue
		}
		if err := fn(hash, obj.LastModified); err != nil {
			return err
		}
	}
	return nil
}
