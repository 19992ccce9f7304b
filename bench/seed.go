package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// object is one seeded object and what it must still be afterwards.
type object struct {
	key, contentType, sum string
	size                  int64
	meta, tags            map[string]string
	sse                   types.ServerSideEncryption
	kmsKey                string
	needsFix              bool
}

var contentTypes = []string{"video/mp2t", "application/x-mpegURL", "video/mp4", "image/jpeg", "application/json", "text/plain"}

// seed uploads the objects of a scenario straight to moto: "all" — every object needs fixing
// (no encryption, SSE-S3, another KMS key in turn); "tenth" — one in ten does, the rest are
// already under the required key.
func (b *bench) seed(ctx context.Context, scenario string, required, other kmsKey) []object {
	n := b.cfg.objects + b.cfg.big
	objs := make([]object, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for i := range objs {
		o := object{
			key:         fmt.Sprintf("videos/%03d/segment-%06d.ts", i%97, i),
			contentType: contentTypes[i%len(contentTypes)],
			meta:        map[string]string{"episode": strconv.Itoa(i % 50), "source": "bench"},
			tags:        map[string]string{"team": "media", "tier": strconv.Itoa(i % 3)},
			size:        int64(512 + (i*7919)%4096),
		}
		if i < b.cfg.big {
			o.key = fmt.Sprintf("masters/master-%03d.mp4", i)
			o.size = b.cfg.bigSize
		}
		// Which of the three non-compliant kinds: the objects that need fixing take turns.
		turn := i % 3
		if scenario == "tenth" {
			turn = (i / 10) % 3
		}
		switch {
		case scenario == "tenth" && i%10 != 0:
			o.sse, o.kmsKey = types.ServerSideEncryptionAwsKms, required.arn
		case turn == 0:
			o.needsFix = true
		case turn == 1:
			o.sse, o.needsFix = types.ServerSideEncryptionAes256, true
		default:
			o.sse, o.kmsKey, o.needsFix = types.ServerSideEncryptionAwsKms, other.arn, true
		}
		body := make([]byte, o.size)
		rand.Read(body)
		h := sha256.Sum256(body)
		o.sum = hex.EncodeToString(h[:])
		objs[i] = o
		g.Go(func() error {
			in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key), Body: bytes.NewReader(body),
				ContentType: aws.String(o.contentType), Metadata: o.meta, Tagging: aws.String(tagging(o.tags)), ServerSideEncryption: o.sse}
			if o.kmsKey != "" {
				in.SSEKMSKeyId = aws.String(o.kmsKey)
			}
			_, err := b.s3.PutObject(gctx, in)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		fail("seed: %v", err)
	}
	return objs
}

// tagging renders tags for PutObject's x-amz-tagging header.
func tagging(tags map[string]string) string {
	var parts []string
	for k, v := range tags {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

// verify reads every object back (straight from moto) and counts what is not as required.
func (b *bench) verify(ctx context.Context, objs []object, required kmsKey) map[string]int {
	bad := map[string]int{}
	var mu sync.Mutex
	note := func(what string) { mu.Lock(); bad[what]++; mu.Unlock() }
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for _, o := range objs {
		g.Go(func() error {
			out, err := b.s3.GetObject(gctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(o.key)})
			if err != nil {
				note("missing")
				return nil
			}
			h := sha256.New()
			_, err = io.Copy(h, out.Body)
			out.Body.Close()
			if err != nil {
				return err
			}
			if hex.EncodeToString(h.Sum(nil)) != o.sum {
				note("bytes")
			}
			if k := aws.ToString(out.SSEKMSKeyId); out.ServerSideEncryption != types.ServerSideEncryptionAwsKms || (k != required.arn && k != required.id && k != keyAlias) {
				note("encryption")
			}
			if aws.ToString(out.ContentType) != o.contentType {
				note("content-type")
			}
			if !maps.Equal(out.Metadata, o.meta) {
				note("metadata")
			}
			tags, err := b.s3.GetObjectTagging(gctx, &s3.GetObjectTaggingInput{Bucket: aws.String(bucket), Key: aws.String(o.key)})
			if err != nil {
				return err
			}
			got := map[string]string{}
			for _, t := range tags.TagSet {
				got[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if !maps.Equal(got, o.tags) {
				note("tags")
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		fail("verify: %v", err)
	}
	return bad
}
