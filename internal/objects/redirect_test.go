package objects

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// redirectOf reads an object's website redirect.
func redirectOf(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("head %s: %v", key, err)
	}
	return aws.ToString(h.WebsiteRedirectLocation)
}

// TestWebsiteRedirectSurvivesReencryption: objects carrying x-amz-website-redirect-location, in a
// bucket without a website configuration (any object of any bucket can carry one), keep it when
// re-encrypted by copy and by multipart copy. The layer drops a redirect a copy does not send
// again, as S3 does (awsrules_test.go); copying from the listing (opt-in) cannot send it, and
// loses it.
func TestWebsiteRedirectSurvivesReencryption(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	ctx := context.Background()
	required, other := createKey(t, e.kms, "alias/redirect-required"), createKey(t, e.kms, "alias/redirect-other")

	seedBucket := func(t *testing.T, base string) (string, []spec) {
		// ACLs disabled, unversioned, no lock, no website
		bucket := e.bucket(t, base, func(in *s3.CreateBucketInput) { in.ObjectOwnership = types.ObjectOwnershipBucketOwnerEnforced })
		specs := allWrong("w", 20, required, other)
		for i := range specs {
			if i%2 == 0 {
				specs[i].Redirect = fmt.Sprintf("/elsewhere/%d.html", i)
			}
		}
		big := make([]byte, 5<<20+64<<10)
		rand.Read(big)
		specs = append(specs, spec{Key: "w/big.mp4", Body: big, ContentType: "video/mp4", SSE: types.ServerSideEncryptionAes256, Kind: KindSSES3, Redirect: "https://example.com/big"})
		seed(t, e.s3, bucket, specs)
		return bucket, specs
	}

	t.Run("kept by default", func(t *testing.T) {
		t.Parallel()
		bucket, specs := seedBucket(t, "redirects")
		target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN}
		sum, err := Fix(ctx, e.s3, e.resolver(), target, Options{Concurrency: 4, CopyFromListingSample: 10, MultipartThreshold: 5 << 20, PartSize: 5 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Fixed != len(specs) || sum.Failed != 0 || sum.Requests[opCreateMPU] != 1 || sum.Requests[opHead] != len(specs) {
			t.Errorf("fixed %d failed %d of %d, requests %v; want every object read, one multipart copy", sum.Fixed, sum.Failed, len(specs), sum.Requests)
		}
		for _, s := range specs {
			if got := redirectOf(t, e.moto, bucket, s.Key); got != s.Redirect {
				t.Errorf("%s: website redirect %q after re-encryption, want %q", s.Key, got, s.Redirect)
			}
		}
		verifyFixed(t, e.moto, bucket, specs, required, false)
	})

	t.Run("lost when copying from the listing is asked for", func(t *testing.T) {
		t.Parallel()
		bucket, specs := seedBucket(t, "redirects-listing-copy")
		target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN}
		sum, err := Fix(ctx, e.s3, e.resolver(), target, Options{Concurrency: 1, CopyFromListing: true, CopyFromListingSample: 10, MultipartThreshold: 5 << 20, PartSize: 5 << 20})
		if err != nil {
			t.Fatal(err)
		}
		lost := 0
		for _, s := range specs {
			if s.Redirect != "" && redirectOf(t, e.moto, bucket, s.Key) == "" {
				lost++
			}
		}
		if sum.Fixed != len(specs) || lost == 0 || redirectOf(t, e.moto, bucket, "w/big.mp4") == "" {
			t.Errorf("fixed %d of %d, %d redirects lost; want the ones copied from the listing lost, and the big object's (read first) kept", sum.Fixed, len(specs), lost)
		}
	})
}

// TestExpiresIsCarriedOver: the Expires header goes over to a multipart copy as read (the raw
// header, ExpiresString): a date as a date, anything else verbatim.
func TestExpiresIsCarriedOver(t *testing.T) {
	t.Parallel()
	date := time.Date(2037, 10, 21, 7, 28, 0, 0, time.UTC)
	for name, tc := range map[string]struct {
		raw      *string
		wantTime *time.Time
		wantRaw  bool
	}{
		"none":       {nil, nil, false},
		"http date":  {aws.String("Wed, 21 Oct 2037 07:28:00 GMT"), &date, false},
		"not a date": {aws.String("never"), nil, true},
	} {
		got, optFns := expires(&s3.HeadObjectOutput{ExpiresString: tc.raw})
		if (got == nil) != (tc.wantTime == nil) || (got != nil && !got.Equal(*tc.wantTime)) || (len(optFns) > 0) != tc.wantRaw {
			t.Errorf("%s: expires = %v, %d options; want %v, raw header %v", name, got, len(optFns), tc.wantTime, tc.wantRaw)
		}
	}
}
