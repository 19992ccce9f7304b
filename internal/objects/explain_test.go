package objects

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
)

// oldKeyPolicy is a bucket policy whose upload-enforcing statements still name the old key (as
// sseguard's own would before the policy change), plus statements that must not be blamed.
const oldKeyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "DenyOtherKMSKeys", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
     "Resource": "arn:aws:s3:::media/*",
     "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "` + arnB + `"},
                   "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "false"}}},
    {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::media", "arn:aws:s3:::media/*"],
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    {"Sid": "DenyOneRole", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:role/Other"}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::media/*"},
    {"Sid": "AllowReaders", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::media/*"}
  ]
}`

func TestExplainRefusal(t *testing.T) {
	t.Parallel()
	kms := Target{Bucket: "media", Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: arnA}
	tests := map[string]struct {
		t    Target
		err  error
		want string
	}{
		"names the statement": {withPolicy(kms, oldKeyPolicy), statusErr(403, "AccessDenied"),
			`; refused by bucket policy statement "DenyOtherKMSKeys"`},
		"several, sorted, one without a Sid": {withPolicy(kms, `{"Version":"2012-10-17","Statement":[
			{"Sid":"Z","Effect":"Deny","Principal":"*","Action":"s3:Put*","Resource":"arn:aws:s3:::media/*"},
			{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"*","Resource":"*"},
			{"Sid":"A\u001b[31m","Effect":"Deny","Principal":"*","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::media/*"}]}`),
			statusErr(403, "AccessDenied"), `; refused by bucket policy statements "A\x1b[31m", "Z", statement #2`},
		"a condition it cannot judge": {withPolicy(kms, `{"Version":"2012-10-17","Statement":[
			{"Sid":"Odd","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::media/*","Condition":{"FancyNewOperator":{"s3:x":"y"}}}]}`),
			statusErr(403, "AccessDenied"), `; possibly refused by bucket policy statement "Odd" (a condition sseguard cannot judge)`},
		"the policy allows it":     {withPolicy(kms, `{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`), statusErr(403, "AccessDenied"), ""},
		"no policy":                {kms, statusErr(403, "AccessDenied"), ""},
		"not a policy":             {withPolicy(kms, `{"Statement": "nope`), statusErr(403, "AccessDenied"), ""},
		"not AccessDenied":         {withPolicy(kms, oldKeyPolicy), statusErr(400, "InvalidRequest"), ""},
		"another bucket's objects": {withPolicy(Target{Bucket: "other", Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: arnA}, oldKeyPolicy), statusErr(403, "AccessDenied"), ""},
		"SSE-S3 asked, KMS required by the policy": {withPolicy(Target{Bucket: "media", Algorithm: AlgorithmAES256}, `{"Version":"2012-10-17","Statement":[
			{"Sid":"KMSOnly","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::media/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}}]}`),
			statusErr(403, "AccessDenied"), `; refused by bucket policy statement "KMSOnly"`},
		"China partition, from the key": {withPolicy(Target{Bucket: "media", Region: "cn-north-1", Algorithm: AlgorithmKMS, KeyARN: "arn:aws-cn:kms:cn-north-1:123456789012:key/aaaa"}, `{"Version":"2012-10-17","Statement":[
			{"Sid":"CN","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws-cn:s3:::media/*"},
			{"Sid":"NotCN","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::media/*"}]}`),
			statusErr(403, "AccessDenied"), `; refused by bucket policy statement "CN"`},
		"GovCloud partition, from the region": {withPolicy(Target{Bucket: "media", Region: "us-gov-west-1", Algorithm: AlgorithmAES256}, `{"Version":"2012-10-17","Statement":[
			{"Sid":"Gov","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws-us-gov:s3:::media/*"}]}`),
			statusErr(403, "AccessDenied"), `; refused by bucket policy statement "Gov"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := &runner{t: tc.t, policy: newBucketPolicy(tc.t.BucketPolicy)}
			if got := r.explainRefusal(tc.err, "videos/a.mp4"); got != tc.want {
				t.Errorf("explainRefusal = %q\nwant            %q", got, tc.want)
			}
		})
	}
}

func withPolicy(t Target, policy string) Target {
	t.BucketPolicy = policy
	return t
}

// mpuFake is a fake whose CreateMultipartUpload answers createErr.
type mpuFake struct {
	*fake
	createErr error
}

func (f *mpuFake) CreateMultipartUpload(context.Context, *s3.CreateMultipartUploadInput, ...func(*s3.Options)) (*s3.CreateMultipartUploadOutput, error) {
	return nil, f.createErr
}

// TestRefusedCopyNamesTheStatement: a CopyObject and a CreateMultipartUpload refused with
// AccessDenied fail with an error naming the bucket policy statement that denies them.
func TestRefusedCopyNamesTheStatement(t *testing.T) {
	t.Parallel()
	f := &mpuFake{fake: &fake{keys: []string{"small", "big"}}, createErr: statusErr(403, "AccessDenied")}
	f.head = func(key string) (*s3.HeadObjectOutput, error) {
		size := int64(10)
		if key == "big" {
			size = 6 << 20
		}
		return &s3.HeadObjectOutput{ETag: aws.String(`"e"`), ContentLength: aws.Int64(size), TagCount: aws.Int32(0)}, nil
	}
	f.copy = func(*s3.CopyObjectInput) error { return statusErr(403, "AccessDenied") }
	target := Target{Bucket: "media", Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: arnA, BucketPolicy: oldKeyPolicy}
	errs := map[string]string{}
	sum, err := Fix(context.Background(), f, nil, target, Options{Concurrency: 1, MultipartThreshold: 5 << 20,
		OnFinding: func(fd Finding) { errs[fd.Key] = fd.Err }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 2 {
		t.Fatalf("failed %d, want 2", sum.Failed)
	}
	for key, prefix := range map[string]string{"small": "copy object onto itself: ", "big": "start multipart copy: "} {
		if !strings.HasPrefix(errs[key], prefix) || !strings.Contains(errs[key], "AccessDenied") ||
			!strings.HasSuffix(errs[key], `; refused by bucket policy statement "DenyOtherKMSKeys"`) {
			t.Errorf("%s: error %q; want it to name statement DenyOtherKMSKeys", key, errs[key])
		}
	}
}

// TestRefusedCopyNamesTheStatementThroughTheLayer: the strict layer holds a bucket policy whose
// upload-enforcing statement still names the old key and refuses sseguard's copies to the new one
// (403, as S3 judges CopyObject as s3:PutObject with the request's SSE headers); the failures name
// the statement, and nothing is changed.
func TestRefusedCopyNamesTheStatementThroughTheLayer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, shared)
	ctx := context.Background()
	oldKey, newKey := createKey(t, e.kms, "alias/explain-old"), createKey(t, e.kms, "alias/explain-new")
	bucket := e.bucket(t, "explain", nil)
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
{"Sid":"DenyOtherKMSKeys","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::%s/*",
 "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":%q},"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"false"}}}]}`,
		bucket, oldKey.ARN)
	if _, err := e.s3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	specs := []spec{
		{Key: "a", Body: []byte("a"), SSE: types.ServerSideEncryptionAwsKms, KMSKey: oldKey.ARN},
		{Key: "b", Body: []byte("b")}, // no headers: SSE-S3, and allowed (the key-id condition is absent)
	}
	seed(t, e.s3, bucket, specs)
	before := snapshot(t, e.s3, bucket)

	errs := map[string]string{}
	target := Target{Bucket: bucket, Region: "us-east-1", Algorithm: AlgorithmKMS, KeyARN: newKey.ARN, BucketPolicy: policy}
	sum, err := Fix(ctx, e.s3, e.resolver(), target, Options{Concurrency: 1, OnFinding: func(f Finding) { errs[f.Key] = f.Err }})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != len(specs) || sum.Fixed != 0 {
		t.Errorf("fixed %d failed %d, want every copy refused", sum.Fixed, sum.Failed)
	}
	for _, s := range specs {
		if got := errs[s.Key]; !strings.Contains(got, "AccessDenied") || !strings.HasSuffix(got, `; refused by bucket policy statement "DenyOtherKMSKeys"`) {
			t.Errorf("%s: error %q; want AccessDenied naming statement DenyOtherKMSKeys", s.Key, got)
		}
	}
	if d := cmp.Diff(before, snapshot(t, e.s3, bucket)); d != "" {
		t.Errorf("objects changed (-before +after):\n%s", d)
	}
}
