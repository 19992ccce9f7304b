package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// ceiling measures moto itself: HeadObject and CopyObject (onto itself, to SSE-KMS) per second at
// 32 in flight, without the proxy.
func (b *bench) ceiling(ctx context.Context, w io.Writer) {
	b.reset(ctx)
	key := b.createKey(ctx, keyAlias)
	b.createBucket(ctx)
	const n = 200
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := 0; i < n; i++ {
		g.Go(func() error {
			_, err := b.s3.PutObject(gctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("c/%d", i)), Body: bytes.NewReader(make([]byte, 1024))})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		fail("seed ceiling objects: %v", err)
	}
	rate := func(op func(i int) error) float64 {
		var count atomic.Int64
		start := time.Now()
		g, _ := errgroup.WithContext(ctx)
		for w := 0; w < 32; w++ {
			g.Go(func() error {
				for time.Since(start) < 3*time.Second {
					if err := op(int(count.Add(1)) % n); err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			fail("ceiling: %v", err)
		}
		return float64(count.Load()) / time.Since(start).Seconds()
	}
	b.headCeil = rate(func(i int) error {
		_, err := b.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(fmt.Sprintf("c/%d", i))})
		return err
	})
	b.copyCeil = rate(func(i int) error {
		k := fmt.Sprintf("c/%d", i)
		_, err := b.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String(k), CopySource: aws.String(bucket + "/" + k),
			ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(key.arn), MetadataDirective: types.MetadataDirectiveCopy})
		return err
	})
	logf("moto ceiling: %.0f HeadObject/s, %.0f CopyObject/s", b.headCeil, b.copyCeil)
	fmt.Fprintf(w, "moto's own ceiling on this machine (direct, 32 in flight, no added latency): **%.0f HeadObject/s, %.0f CopyObject/s**.\n\n", b.headCeil, b.copyCeil)
}
