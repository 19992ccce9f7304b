package objects

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
)

// withoutUpdateEncryption is an identity policy that allows everything but s3:UpdateObjectEncryption.
const withoutUpdateEncryption = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
{"Effect":"Deny","Action":"s3:UpdateObjectEncryption","Resource":"*"}]}`

// TestUpdateObjectEncryptionRefusedFallsBackToCopy: S3 answers the first UpdateObjectEncryption
// 403 AccessDenied (a caller whose IAM policy does not allow s3:UpdateObjectEncryption; the layer
// checks it): no other is sent, every object is copied instead, and nothing fails.
func TestUpdateObjectEncryptionRefusedFallsBackToCopy(t *testing.T) {
	t.Parallel()
	l := ownLayer(t, awstest.Options{}) // for its counts
	e := newEnv(t, l)
	if err := l.SetIdentityPolicy(e.akid, withoutUpdateEncryption); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	required, other := createKey(t, e.kms, "alias/uoe403-required"), createKey(t, e.kms, "alias/uoe403-other")
	bucket := e.legacyBucket(t, "uoe-403", true)
	specs := small("d", 25, required, &other)
	seed(t, e.moto, bucket, specs)
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: required.ARN, BucketKey: true}
	sum, err := Fix(ctx, e.s3, e.resolver(), target, Options{UpdateObjectEncryption: UpdateEncryptionAlways, Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	toFix := 0
	for _, s := range specs {
		if s.Kind != "" {
			toFix++
		}
	}
	if sum.UpdateObjectEncryption != "refused: AccessDenied" || sum.Failed != 0 || sum.Fixed != toFix || sum.Requests[opCopy] != toFix {
		t.Errorf("UpdateObjectEncryption %q, fixed %d failed %d, requests %v; want refused: AccessDenied, %d fixed by copy: %+v",
			sum.UpdateObjectEncryption, sum.Fixed, sum.Failed, sum.Requests, toFix, sum.Sample)
	}
	if n, seen := sum.Requests[opUpdateEncryption], l.Counts()["UpdateObjectEncryption"]; n != 1 || seen != 1 {
		t.Errorf("%d UpdateObjectEncryption sent (%d seen), want exactly one: the first, refused", n, seen)
	}
	if refused := l.Refused(); len(refused) != 1 || refused[0].Action != "s3:UpdateObjectEncryption" {
		t.Errorf("the layer refused %v; want the one UpdateObjectEncryption", refused)
	}
	verifyFixed(t, e.moto, bucket, specs, required, true)
}

// awsFake is a fake whose endpoint is AWS's own (so mode auto uses UpdateObjectEncryption) and
// whose UpdateObjectEncryption answers updateErr.
type awsFake struct {
	*fake
	mu        sync.Mutex
	updates   int
	updateErr error
}

func (f *awsFake) Options() s3.Options {
	return s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("https://s3.us-east-1.amazonaws.com")}
}

func (f *awsFake) UpdateObjectEncryption(context.Context, *s3.UpdateObjectEncryptionInput, ...func(*s3.Options)) (*s3.UpdateObjectEncryptionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates++
	return nil, f.updateErr
}

// TestUpdateObjectEncryptionRefusalModes: a refusal (any error S3 answers that is not transient,
// a precondition or not-found) turns UpdateObjectEncryption off and the objects are copied, in
// auto (against AWS's endpoint) and always alike; never sends none; a transient error is not a
// refusal (the object fails, the next one tries again).
func TestUpdateObjectEncryptionRefusalModes(t *testing.T) {
	t.Parallel()
	const n = 20
	tests := map[string]struct {
		mode        string
		err         error
		wantUpdates int
		wantState   string
		wantFixed   int
	}{
		"auto, 403":               {UpdateEncryptionAuto, statusErr(403, "AccessDenied"), 1, "refused: AccessDenied", n},
		"always, 403":             {UpdateEncryptionAlways, statusErr(403, "AccessDenied"), 1, "refused: AccessDenied", n},
		"auto, KMS refused":       {UpdateEncryptionAuto, statusErr(400, "KMS.DisabledException"), 1, "refused: KMS.DisabledException", n},
		"auto, odd code":          {UpdateEncryptionAuto, statusErr(400, "Bad\x1b[31m::Code"), 1, "refused: Bad31mCode", n},
		"never":                   {UpdateEncryptionNever, statusErr(403, "AccessDenied"), 0, "unused", n},
		"auto, transient 503":     {UpdateEncryptionAuto, statusErr(503, "SlowDown"), n, "unused", 0},
		"always, transient 500":   {UpdateEncryptionAlways, statusErr(500, "InternalError"), n, "unused", 0},
		"auto, not implemented":   {UpdateEncryptionAuto, statusErr(501, "NotImplemented"), 1, "not-implemented", n},
		"always, no such key 404": {UpdateEncryptionAlways, statusErr(404, "NoSuchKey"), n, "unused", 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := &awsFake{fake: &fake{}, updateErr: tc.err}
			for i := 0; i < n; i++ {
				f.keys = append(f.keys, fmt.Sprintf("k%02d", i))
			}
			f.head = func(string) (*s3.HeadObjectOutput, error) {
				return &s3.HeadObjectOutput{ETag: aws.String(`"e"`), ContentLength: aws.Int64(10), ServerSideEncryption: types.ServerSideEncryptionAes256}, nil
			}
			var mu sync.Mutex
			copies := 0
			f.copy = func(*s3.CopyObjectInput) error {
				mu.Lock()
				copies++
				mu.Unlock()
				return nil
			}
			sum, err := Fix(context.Background(), f, nil, Target{Bucket: "b", Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: arnA},
				Options{UpdateObjectEncryption: tc.mode, Concurrency: 4})
			if err != nil {
				t.Fatal(err)
			}
			if f.updates != tc.wantUpdates || sum.UpdateObjectEncryption != tc.wantState || sum.Fixed != tc.wantFixed || copies != tc.wantFixed {
				t.Errorf("UpdateObjectEncryption sent %d (%q), fixed %d by %d copies; want %d (%q), %d", f.updates, sum.UpdateObjectEncryption, sum.Fixed, copies, tc.wantUpdates, tc.wantState, tc.wantFixed)
			}
			if tc.wantFixed == 0 && sum.Failed+sum.Gone != n {
				t.Errorf("failed %d, gone %d of %d", sum.Failed, sum.Gone, n)
			}
		})
	}
}
