package objects

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// allWrong returns n small objects none of which is under the required key.
func allWrong(prefix string, n int, required, other key) []spec {
	specs := small(prefix, n, required, &other)
	for i := range specs {
		if specs[i].Kind == "" || specs[i].Kind == KindBucketKeyOff {
			specs[i].SSE, specs[i].KMSKey, specs[i].BucketKey, specs[i].Kind = types.ServerSideEncryptionAes256, "", false, KindSSES3
		}
	}
	return specs
}

func TestListingCopyHalvesRequestsOnAMostlyWrongBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	c := e.s3
	ctx := context.Background()
	required, other := createKey(t, e.kms, "alias/lc-required"), createKey(t, e.kms, "alias/lc-other")
	target := Target{Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN}
	opts := Options{Concurrency: 8, CopyFromListing: true, CopyFromListingSample: 20}
	enforced := func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipBucketOwnerEnforced }

	t.Run("eligible bucket", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "listing-copy", enforced) // ACLs disabled, unversioned, no lock, no website
		specs := allWrong("w", 60, required, other)     // more than the sample and what is in flight
		seed(t, c, bucket, specs)
		tg := target
		tg.Bucket = bucket
		var unread int
		o := opts
		o.OnFinding = func(f Finding) {
			if f.Kind == KindUnread {
				unread++
			}
		}
		fix, err := Fix(ctx, c, e.resolver(), tg, o)
		if err != nil {
			t.Fatal(err)
		}
		if fix.Fixed != len(specs) || fix.Failed != 0 {
			t.Fatalf("fixed %d failed %d of %d", fix.Fixed, fix.Failed, len(specs))
		}
		// The sample is read (plus what was in flight when it completed); the rest is copied
		// straight from the listing.
		if h := fix.Requests[opHead]; h > o.CopyFromListingSample+o.Concurrency {
			t.Errorf("%d HeadObject for %d objects, want at most %d (sample + in flight)", h, len(specs), o.CopyFromListingSample+o.Concurrency)
		}
		if unread == 0 || unread+fix.Requests[opHead] < len(specs) {
			t.Errorf("%d objects copied from the listing, %d read", unread, fix.Requests[opHead])
		}
		verifyFixed(t, e.moto, bucket, specs, required, false)
	})

	t.Run("a website bucket is always read first", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "listing-copy-website", enforced)
		if _, err := c.PutBucketWebsite(ctx, &s3.PutBucketWebsiteInput{Bucket: aws.String(bucket),
			WebsiteConfiguration: &types.WebsiteConfiguration{IndexDocument: &types.IndexDocument{Suffix: aws.String("index.html")}}}); err != nil {
			t.Fatal(err)
		}
		specs := allWrong("w", 30, required, other) // more than the sample
		seed(t, c, bucket, specs)
		tg := target
		tg.Bucket = bucket
		fix, err := Fix(ctx, c, e.resolver(), tg, opts)
		if err != nil {
			t.Fatal(err)
		}
		if fix.Fixed != len(specs) || fix.Requests[opHead] != len(specs) {
			t.Errorf("fixed %d with %d HeadObject, want every one of %d read (a copy would drop website redirects)", fix.Fixed, fix.Requests[opHead], len(specs))
		}
		verifyFixed(t, e.moto, bucket, specs, required, false)
	})

	t.Run("off unless asked", func(t *testing.T) {
		t.Parallel()
		bucket := e.bucket(t, "listing-copy-off", enforced)
		specs := allWrong("w", 30, required, other) // more than the sample
		seed(t, c, bucket, specs)
		tg := target
		tg.Bucket = bucket
		o := opts
		o.CopyFromListing = false
		fix, err := Fix(ctx, c, e.resolver(), tg, o)
		if err != nil {
			t.Fatal(err)
		}
		if fix.Requests[opHead] != len(specs) {
			t.Errorf("%d HeadObject, want %d", fix.Requests[opHead], len(specs))
		}
	})
}

// An object overwritten after it was listed keeps the newer bytes: the copy from the listing
// carries If-Match with the listing's ETag, S3 answers 412, and the object is read and decided
// again.
func TestListingCopyKeepsNewerBytes(t *testing.T) {
	t.Parallel()
	l := ownLayer(t, awstest.Options{}) // for its Before hook
	e := newEnv(t, l)
	direct := e.moto
	ctx := context.Background()
	required, other := createKey(t, e.kms, "alias/lcr-required"), createKey(t, e.kms, "alias/lcr-other")
	bucket := e.bucket(t, "listing-copy-race", func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipBucketOwnerEnforced })
	specs := allWrong("w", 30, required, other)
	seed(t, e.s3, bucket, specs)

	const raced = "w/0025.txt"
	newer := []byte("newer bytes, written after the listing")
	var once sync.Once
	l.SetBefore(func(op string, r *http.Request) {
		if op != "CopyObject" || strings.TrimPrefix(r.URL.Path, "/"+bucket+"/") != raced {
			return
		}
		once.Do(func() {
			if _, err := direct.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(raced),
				Body: bytes.NewReader(newer), ContentType: aws.String("application/x-newer")}); err != nil {
				t.Errorf("overwrite: %v", err)
			}
		})
	})
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN}
	sum, err := Fix(ctx, e.s3, e.resolver(), target, Options{Concurrency: 1, CopyFromListing: true, CopyFromListingSample: 10})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Fixed != len(specs) || sum.Failed != 0 {
		t.Fatalf("fixed %d failed %d", sum.Fixed, sum.Failed)
	}
	// 10 read for the sample, then one more: the raced object, read again after the 412.
	if h := sum.Requests[opHead]; h != 11 {
		t.Errorf("%d HeadObject, want 11 (the sample and the raced object)", h)
	}
	checkNewer(t, direct, bucket, raced, newer, required.ARN)
	var rest []spec
	for _, s := range specs {
		if s.Key != raced {
			rest = append(rest, s)
		}
	}
	verifyFixed(t, direct, bucket, rest, required, false)
}
