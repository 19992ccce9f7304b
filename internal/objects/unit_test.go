package objects

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/awserr"
)

const (
	arnA = "arn:aws:kms:us-east-1:123456789012:key/aaaa"
	arnB = "arn:aws:kms:us-east-1:123456789012:key/bbbb"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	kms := Target{Algorithm: AlgorithmKMS, KeyARN: arnA, BucketKey: true}
	kmsNoBK := Target{Algorithm: AlgorithmKMS, KeyARN: arnA}
	sses3 := Target{Algorithm: AlgorithmAES256}
	tests := map[string]struct {
		e    encryption
		t    Target
		want string
	}{
		"none to kms":              {encryption{}, kms, KindUnencrypted},
		"none to sse-s3":           {encryption{}, sses3, KindUnencrypted},
		"sse-s3 to kms":            {encryption{sse: "AES256"}, kms, KindSSES3},
		"sse-s3 ok":                {encryption{sse: "AES256"}, sses3, ""},
		"kms to sse-s3":            {encryption{sse: "aws:kms", keyARN: arnA}, sses3, KindSSEKMS},
		"other key":                {encryption{sse: "aws:kms", keyARN: arnB, bucketKey: true}, kms, KindOtherKMSKey},
		"unresolved ref":           {encryption{sse: "aws:kms", keyARN: "alias/gone"}, kms, KindOtherKMSKey},
		"bucket key off":           {encryption{sse: "aws:kms", keyARN: arnA}, kms, KindBucketKeyOff},
		"bucket key not required":  {encryption{sse: "aws:kms", keyARN: arnA}, kmsNoBK, ""},
		"bucket key on, required":  {encryption{sse: "aws:kms", keyARN: arnA, bucketKey: true}, kms, ""},
		"dsse":                     {encryption{sse: "aws:kms:dsse", keyARN: arnA}, kms, KindDSSEKMS},
		"unknown algorithm stands": {encryption{sse: "aws:fancy"}, kms, "other-aws:fancy"},
	}
	for name, tc := range tests {
		if got := classify(tc.e, tc.t); got != tc.want {
			t.Errorf("%s: classify = %q, want %q", name, got, tc.want)
		}
	}
	for kind, want := range map[string]bool{KindSSES3: true, KindOtherKMSKey: true, KindBucketKeyOff: true, KindUnencrypted: false, KindDSSEKMS: false, KindSSEKMS: false} {
		if got := updateSupports(kind, kms); got != want {
			t.Errorf("updateSupports(%s) = %v", kind, got)
		}
		if updateSupports(kind, sses3) {
			t.Errorf("updateSupports(%s) toward SSE-S3", kind)
		}
	}
}

func TestArchivedAndLocked(t *testing.T) {
	t.Parallel()
	now := time.Now()
	tests := map[string]struct {
		h              s3.HeadObjectOutput
		archived, lock bool
	}{
		"standard":             {s3.HeadObjectOutput{}, false, false},
		"glacier":              {s3.HeadObjectOutput{StorageClass: "GLACIER"}, true, false},
		"glacier restoring":    {s3.HeadObjectOutput{StorageClass: "GLACIER", Restore: aws.String(`ongoing-request="true"`)}, true, false},
		"glacier restored":     {s3.HeadObjectOutput{StorageClass: "GLACIER", Restore: aws.String(`ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`)}, false, false},
		"deep archive":         {s3.HeadObjectOutput{StorageClass: "DEEP_ARCHIVE"}, true, false},
		"glacier instant":      {s3.HeadObjectOutput{StorageClass: "GLACIER_IR"}, false, false},
		"int-tiering archived": {s3.HeadObjectOutput{StorageClass: "INTELLIGENT_TIERING", ArchiveStatus: "ARCHIVE_ACCESS"}, true, false},
		"retained":             {s3.HeadObjectOutput{ObjectLockMode: "COMPLIANCE", ObjectLockRetainUntilDate: aws.Time(now.Add(time.Hour))}, false, true},
		"retention expired":    {s3.HeadObjectOutput{ObjectLockMode: "GOVERNANCE", ObjectLockRetainUntilDate: aws.Time(now.Add(-time.Hour))}, false, false},
		"legal hold":           {s3.HeadObjectOutput{ObjectLockLegalHoldStatus: "ON"}, false, true},
	}
	for name, tc := range tests {
		if got := archived(&tc.h); got != tc.archived {
			t.Errorf("%s: archived = %v", name, got)
		}
		if got := locked(&tc.h, now); got != tc.lock {
			t.Errorf("%s: locked = %v", name, got)
		}
	}
}

func TestAWSEndpoint(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := map[string]struct {
		o    s3.Options
		want bool
	}{
		"default resolver":       {s3.Options{Region: "eu-west-1"}, true},
		"default resolver china": {s3.Options{Region: "cn-north-1"}, true},
		"path style default":     {s3.Options{Region: "us-east-1", UsePathStyle: true}, true},
		"aws base endpoint":      {s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("https://s3.us-east-1.amazonaws.com")}, true},
		"dualstack":              {s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("https://s3.dualstack.us-east-1.amazonaws.com")}, true},
		"moto":                   {s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:5000")}, false},
		"minio":                  {s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("https://minio.example.com")}, false},
		"lookalike":              {s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("https://amazonaws.com.evil.example")}, false},
		"plain http aws":         {s3.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://s3.amazonaws.com")}, false},
	}
	for name, tc := range tests {
		if got := isAWSEndpoint(ctx, s3.New(tc.o), "bucket", ""); got != tc.want {
			t.Errorf("%s: isAWSEndpoint = %v, want %v", name, got, tc.want)
		}
	}
	if isAWSEndpoint(ctx, &fake{}, "bucket", "us-east-1") {
		t.Error("a test double is AWS")
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"a/b c/d+e ü.txt": "b/a/b%20c/d%2Be%20%C3%BC.txt",
		"x%y?z#w&v=1":     "b/x%25y%3Fz%23w&v=1",
	} {
		if got := copySource("b", key); got != want {
			t.Errorf("copySource(%q) = %q, want %q", key, got, want)
		}
	}
	for _, tc := range []struct{ size, want, part int64 }{
		{6 << 20, 5 << 20, 5 << 20},
		{6 << 20, 1 << 20, 5 << 20},
		{5 << 40, 512 << 20, 525 << 20},
		{100 << 30, 512 << 20, 512 << 20},
	} {
		if got := partSize(tc.size, tc.want); got != tc.part || (tc.size+got-1)/got > 10000 {
			t.Errorf("partSize(%d, %d) = %d, want %d", tc.size, tc.want, got, tc.part)
		}
	}
	tags := []types.Tag{{Key: aws.String("b key"), Value: aws.String("x&y=z")}, {Key: aws.String("a"), Value: aws.String("1+1")}}
	if got, want := encodeTags(tags), "a=1%2B1&b%20key=x%26y%3Dz"; got != want {
		t.Errorf("encodeTags = %q, want %q", got, want)
	}
	if d := cmp.Diff([]string{"a/", "b"}, (Target{Prefixes: []string{"b", "a/x", "a/", "bc"}}).prefixes()); d != "" {
		t.Errorf("prefixes (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{""}, (Target{}).prefixes()); d != "" {
		t.Errorf("no prefixes (-want +got):\n%s", d)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, tc := range map[string]struct {
		t Target
		o Options
	}{
		"no bucket":       {Target{Algorithm: AlgorithmAES256}, Options{}},
		"aes with key":    {Target{Bucket: "b", Algorithm: AlgorithmAES256, KeyARN: arnA}, Options{}},
		"bad algorithm":   {Target{Bucket: "b", Algorithm: "sse-kms"}, Options{}},
		"bad update mode": {Target{Bucket: "b", Algorithm: AlgorithmAES256}, Options{UpdateObjectEncryption: "sometimes"}},
		"alias, no keys":  {Target{Bucket: "b", Algorithm: AlgorithmKMS, KeyARN: "alias/x"}, Options{}},
	} {
		if _, err := Scan(ctx, &fake{}, nil, tc.t, tc.o); err == nil {
			t.Errorf("%s: Scan accepted it", name)
		}
	}
	// A Scan may have no key yet (TestScanForAKeyNotCreatedYet); a Fix may not.
	if _, err := Fix(ctx, &fake{}, nil, Target{Bucket: "b", Algorithm: AlgorithmKMS}, Options{}); err == nil {
		t.Error("kms no key: Fix accepted it")
	}
}

// fake is an S3API double for cases moto cannot produce (SSE-C answers, refusals).
type fake struct {
	S3API
	keys []string
	head func(key string) (*s3.HeadObjectOutput, error)
	copy func(in *s3.CopyObjectInput) error
}

func (f *fake) ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, _ ...func(*s3.Options)) (*s3.ListObjectsV2Output, error) {
	out := &s3.ListObjectsV2Output{}
	for _, k := range f.keys {
		out.Contents = append(out.Contents, types.Object{Key: aws.String(k), Size: aws.Int64(10), ETag: aws.String(`"e"`)})
	}
	return out, nil
}

func (f *fake) GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	return &s3.GetBucketVersioningOutput{}, nil
}

func (f *fake) GetBucketOwnershipControls(context.Context, *s3.GetBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	return &s3.GetBucketOwnershipControlsOutput{OwnershipControls: &types.OwnershipControls{Rules: []types.OwnershipControlsRule{{ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}}}}, nil
}

func (f *fake) GetObjectLockConfiguration(context.Context, *s3.GetObjectLockConfigurationInput, ...func(*s3.Options)) (*s3.GetObjectLockConfigurationOutput, error) {
	return nil, statusErr(404, awserr.CodeNoLockConfig)
}

func (f *fake) GetBucketWebsite(context.Context, *s3.GetBucketWebsiteInput, ...func(*s3.Options)) (*s3.GetBucketWebsiteOutput, error) {
	return nil, statusErr(404, awserr.CodeNoWebsite)
}

func (f *fake) HeadObject(_ context.Context, in *s3.HeadObjectInput, _ ...func(*s3.Options)) (*s3.HeadObjectOutput, error) {
	return f.head(aws.ToString(in.Key))
}

func (f *fake) CopyObject(_ context.Context, in *s3.CopyObjectInput, _ ...func(*s3.Options)) (*s3.CopyObjectOutput, error) {
	return &s3.CopyObjectOutput{}, f.copy(in)
}

// statusErr is an error as the SDK returns it for an HTTP status.
func statusErr(status int, code string) error {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: status}}
	var err error = &smithy.GenericAPIError{Code: code, Message: code}
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: resp, Err: err}}
}

func TestSSECIsSkipped(t *testing.T) {
	t.Parallel()
	f := &fake{keys: []string{"ssec-answered", "ssec-refused", "plain"}}
	f.head = func(key string) (*s3.HeadObjectOutput, error) {
		switch key {
		case "ssec-answered":
			return &s3.HeadObjectOutput{ETag: aws.String(`"e"`), ContentLength: aws.Int64(10), SSECustomerAlgorithm: aws.String("AES256")}, nil
		case "ssec-refused":
			// S3 refuses to HEAD an SSE-C object without its key: 400, no body.
			return nil, statusErr(400, "BadRequest")
		}
		return &s3.HeadObjectOutput{ETag: aws.String(`"e"`), ContentLength: aws.Int64(10)}, nil
	}
	var copied []string
	f.copy = func(in *s3.CopyObjectInput) error {
		copied = append(copied, aws.ToString(in.Key))
		if aws.ToString(in.CopySourceIfMatch) != `"e"` || aws.ToString(in.IfMatch) != `"e"` || in.MetadataDirective != types.MetadataDirectiveCopy || in.TaggingDirective != types.TaggingDirectiveCopy ||
			in.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(in.SSEKMSKeyId) != arnA || !aws.ToBool(in.BucketKeyEnabled) {
			return fmt.Errorf("copy request %+v", in)
		}
		return nil
	}
	sum, err := Fix(context.Background(), f, nil, Target{Bucket: "b", Algorithm: AlgorithmKMS, KeyARN: arnA, BucketKey: true}, Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]int{ReasonSSEC: 2}, sum.Skipped); d != "" || sum.Fixed != 1 || sum.Failed != 0 {
		t.Errorf("skipped (-want +got):\n%s\nfixed %d failed %d %+v", d, sum.Fixed, sum.Failed, sum.Sample)
	}
	if d := cmp.Diff([]string{"plain"}, copied); d != "" {
		t.Errorf("copied (-want +got):\n%s", d)
	}
}

func TestRunOfFailuresStops(t *testing.T) {
	t.Parallel()
	f := &fake{}
	for i := 0; i < 500; i++ {
		f.keys = append(f.keys, fmt.Sprintf("k%03d", i))
	}
	f.head = func(string) (*s3.HeadObjectOutput, error) {
		return &s3.HeadObjectOutput{ETag: aws.String(`"e"`), ContentLength: aws.Int64(10)}, nil
	}
	f.copy = func(*s3.CopyObjectInput) error { return statusErr(403, "AccessDenied") }
	sum, err := Fix(context.Background(), f, nil, Target{Bucket: "b", Algorithm: AlgorithmAES256}, Options{Concurrency: 4})
	if !errors.Is(err, errFatal) || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("err = %v", err)
	}
	if sum.Failed < maxConsecutiveFailures || sum.Failed > maxConsecutiveFailures+4 || sum.Stopped != StoppedError {
		t.Errorf("failed %d, stopped %q", sum.Failed, sum.Stopped)
	}
}

func TestPreconditionRetriesAreBounded(t *testing.T) {
	t.Parallel()
	f := &fake{keys: []string{"busy"}}
	heads := 0
	f.head = func(string) (*s3.HeadObjectOutput, error) {
		heads++
		return &s3.HeadObjectOutput{ETag: aws.String(fmt.Sprintf(`"e%d"`, heads)), ContentLength: aws.Int64(10)}, nil
	}
	f.copy = func(*s3.CopyObjectInput) error { return statusErr(412, "PreconditionFailed") }
	sum, err := Fix(context.Background(), f, nil, Target{Bucket: "b", Algorithm: AlgorithmAES256}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if heads != maxAttempts || sum.Failed != 1 || sum.Fixed != 0 || !strings.Contains(sum.Sample[0].Err, "kept changing") {
		t.Errorf("heads %d, failed %d, fixed %d, sample %+v", heads, sum.Failed, sum.Fixed, sum.Sample)
	}
}

func TestProgressString(t *testing.T) {
	t.Parallel()
	p := Progress{Listed: 1000, ListingDone: true, Scanned: 400, ToFix: 100, Fixed: 90, Rate: 40, ETA: 15 * time.Second}
	if got, want := p.String(), "scanned 400/1000, to fix 100, fixed 90, failed 0, skipped 0, 40.0 objects/s, ETA 15s"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// A plan that creates the required key scans with no key yet: every KMS object is under another
// key (TestValidation checks that Fix refuses such a target).
func TestScanForAKeyNotCreatedYet(t *testing.T) {
	t.Parallel()
	f := &fake{keys: []string{"kms", "kms-no-id", "s3"}}
	f.head = func(key string) (*s3.HeadObjectOutput, error) {
		h := &s3.HeadObjectOutput{ETag: aws.String(`"e"`), ContentLength: aws.Int64(10)}
		switch key {
		case "kms":
			h.ServerSideEncryption, h.SSEKMSKeyId = types.ServerSideEncryptionAwsKms, aws.String(arnA)
		case "kms-no-id":
			h.ServerSideEncryption = types.ServerSideEncryptionAwsKms
		case "s3":
			h.ServerSideEncryption = types.ServerSideEncryptionAes256
		}
		return h, nil
	}
	target := Target{Bucket: "b", Algorithm: AlgorithmKMS}
	sum, err := Scan(context.Background(), f, nil, target, Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]int{KindOtherKMSKey: 2, KindSSES3: 1}, sum.ToFix); d != "" || sum.Compliant != 0 {
		t.Errorf("to fix (-want +got):\n%s\ncompliant %d", d, sum.Compliant)
	}
}
