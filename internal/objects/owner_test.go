package objects

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/awserr"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

const ownerAccount = motoserver.Account

// TestEveryRequestCarriesTheExpectedBucketOwner: a Fix that uses every kind of request (listing,
// versions, HEAD, ACLs, tags, UpdateObjectEncryption, CopyObject, multipart copy) sends the
// expected owner on each, and the source's expected owner on copies; a wrong owner stops the run at
// its first request, with nothing changed.
func TestEveryRequestCarriesTheExpectedBucketOwner(t *testing.T) {
	t.Parallel()
	l := ownLayer(t, awstest.Options{UpdateObjectEncryption: awstest.UOEImplement}) // for its Before hook
	e := newEnv(t, l)
	ctx := context.Background()
	required, other := createKey(t, e.kms, "alias/owner-required"), createKey(t, e.kms, "alias/owner-other")
	bucket := e.legacyBucket(t, "owner", false) // ACLs on: every object's ACL is read
	versioned(t, e.moto, bucket)
	specs := small("o", 20, required, &other)
	big := make([]byte, 5<<20+64<<10)
	rand.Read(big)
	specs = append(specs, spec{Key: "o/big", Body: big, ContentType: "video/mp4", Tags: map[string]string{"a": "b"}, Kind: KindUnencrypted})
	seed(t, e.moto, bucket, specs)

	type seen struct{ op, owner, source string }
	var mu sync.Mutex
	var requests []seen
	l.SetBefore(func(op string, r *http.Request) {
		if strings.Contains(op, ":") {
			return // KMS (the resolver's DescribeKey), not S3
		}
		mu.Lock()
		defer mu.Unlock()
		requests = append(requests, seen{op, r.Header.Get("X-Amz-Expected-Bucket-Owner"), r.Header.Get("X-Amz-Source-Expected-Bucket-Owner")})
	})
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN, BucketKey: true}

	t.Run("wrong owner", func(t *testing.T) {
		wrong := target
		wrong.ExpectedBucketOwner = "210987654321"
		sum, err := Fix(ctx, e.s3, e.resolver(), wrong, Options{UpdateObjectEncryption: UpdateEncryptionAlways})
		if err == nil || !awserr.Is(err, awserr.CodeAccessDenied) || sum.Scanned != 0 {
			t.Errorf("Fix with another account as the expected owner: err %v, scanned %d; want AccessDenied before any object", err, sum.Scanned)
		}
		if len(requests) != 1 || requests[0].op != "GetBucketVersioning" || requests[0].owner != wrong.ExpectedBucketOwner {
			t.Errorf("requests %+v; want one GetBucketVersioning, refused", requests)
		}
	})

	requests = nil
	target.ExpectedBucketOwner = ownerAccount
	sum, err := Fix(ctx, e.s3, e.resolver(), target, Options{UpdateObjectEncryption: UpdateEncryptionAlways, MultipartThreshold: 5 << 20, PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	toFix := 0
	for _, n := range expectedKinds(specs) {
		toFix += n
	}
	if sum.Failed != 0 || sum.Fixed != toFix {
		t.Errorf("fixed %d failed %d, want %d fixed: %+v", sum.Fixed, sum.Failed, toFix, sum.Sample)
	}
	ops := map[string]bool{}
	for _, r := range requests {
		ops[r.op] = true
		copies := r.op == "CopyObject" || r.op == "UploadPartCopy"
		if r.owner != ownerAccount || (copies && r.source != ownerAccount) || (!copies && r.source != "") {
			t.Errorf("%s: expected owner %q, source owner %q; want %s", r.op, r.owner, r.source, ownerAccount)
		}
	}
	var got []string
	for op := range ops {
		got = append(got, op)
	}
	sort.Strings(got)
	want := []string{"CompleteMultipartUpload", "CopyObject", "CreateMultipartUpload", "GetBucketOwnershipControls", "GetBucketVersioning",
		"GetObjectAcl", "GetObjectTagging", "HeadObject", "ListObjectVersions", "ListObjectsV2", "UpdateObjectEncryption", "UploadPartCopy"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("operations seen (-want +got):\n%s", d)
	}
	verifyFixed(t, e.moto, bucket, specs, required, false)
}

// errSent stops a request once it is built: the test looks at what would have been sent.
var errSent = errors.New("request captured")

// TestClientSetsTheExpectedOwnerOnEveryOperation: every operation the run's client wraps sends
// x-amz-expected-bucket-owner (and copies x-amz-source-expected-bucket-owner), as the SDK
// serialises them; a new operation without it fails here.
func TestClientSetsTheExpectedOwnerOnEveryOperation(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	headers := map[string]http.Header{}
	api := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), UsePathStyle: true, Credentials: credsFor("testing"),
		HTTPClient: smithyhttp.ClientDoFunc(func(r *http.Request) (*http.Response, error) {
			mu.Lock()
			defer mu.Unlock()
			op := awstest.Operation(r)
			headers[op] = r.Header.Clone()
			return nil, errSent
		}),
	})
	c := newClient(api, Options{Retryer: aws.NopRetryer{}}, ownerAccount)
	ctx := context.Background()
	b, key, id := aws.String("b"), aws.String("k"), aws.String("u")
	calls := map[string]func() error{
		opList: func() error { _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b}); return err },
		opVersions: func() error {
			_, err := c.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: b})
			return err
		},
		opHead: func() error { _, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: key}); return err },
		opCopy: func() error {
			_, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: key, CopySource: aws.String("b/k")})
			return err
		},
		opCreateMPU: func() error {
			_, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: b, Key: key})
			return err
		},
		opPartCopy: func() error {
			_, err := c.UploadPartCopy(ctx, &s3.UploadPartCopyInput{Bucket: b, Key: key, UploadId: id, PartNumber: aws.Int32(1), CopySource: aws.String("b/k")})
			return err
		},
		opComplete: func() error {
			_, err := c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: b, Key: key, UploadId: id})
			return err
		},
		opAbort: func() error {
			_, err := c.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: b, Key: key, UploadId: id})
			return err
		},
		opTagging: func() error {
			_, err := c.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: b, Key: key})
			return err
		},
		opACL: func() error { _, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: b, Key: key}); return err },
		opVersioning: func() error {
			_, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: b})
			return err
		},
		opOwnership: func() error {
			_, err := c.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: b})
			return err
		},
		opUpdateEncryption: func() error {
			_, err := c.UpdateObjectEncryption(ctx, &s3.UpdateObjectEncryptionInput{Bucket: b, Key: key,
				ObjectEncryption: &types.ObjectEncryptionMemberSSEKMS{Value: types.SSEKMSEncryption{KMSKeyArn: aws.String(arnA)}}})
			return err
		},
		opLock: func() error {
			_, err := c.GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: b})
			return err
		},
		opWebsite: func() error { _, err := c.GetBucketWebsite(ctx, &s3.GetBucketWebsiteInput{Bucket: b}); return err },
	}
	for _, op := range opNames {
		call, ok := calls[op]
		if !ok {
			t.Errorf("%s: no call in this test", op)
			continue
		}
		if err := call(); !errors.Is(err, errSent) {
			t.Errorf("%s: %v, want the request captured", op, err)
			continue
		}
		h := headers[op]
		if h == nil {
			t.Errorf("%s: no request seen under that name (seen: %v)", op, keys(headers))
			continue
		}
		copies := op == opCopy || op == opPartCopy
		if got := h.Get("X-Amz-Expected-Bucket-Owner"); got != ownerAccount {
			t.Errorf("%s: x-amz-expected-bucket-owner %q", op, got)
		}
		if got := h.Get("X-Amz-Source-Expected-Bucket-Owner"); (got == ownerAccount) != copies {
			t.Errorf("%s: x-amz-source-expected-bucket-owner %q", op, got)
		}
	}

	// Without an owner, none is sent.
	c = newClient(api, Options{Retryer: aws.NopRetryer{}}, "")
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: b, Key: key, CopySource: aws.String("b/k")}); !errors.Is(err, errSent) {
		t.Fatalf("CopyObject: %v", err)
	}
	if h := headers[opCopy]; h.Get("X-Amz-Expected-Bucket-Owner") != "" || h.Get("X-Amz-Source-Expected-Bucket-Owner") != "" {
		t.Errorf("no owner given, yet CopyObject sent %q and %q", h.Get("X-Amz-Expected-Bucket-Owner"), h.Get("X-Amz-Source-Expected-Bucket-Owner"))
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
