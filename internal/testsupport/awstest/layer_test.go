package awstest

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// TestMultiAccount: moto's multi-account behaviour carries through the layer: credentials from
// STS AssumeRole act in the role's account. (They come from moto itself: moto assumes a role
// that does not exist, the layer does not — rule 11.)
func TestMultiAccount(t *testing.T) {
	t.Parallel()
	moto, _ := both(shared, "testing")
	ctx := context.Background()
	ar, err := moto.sts.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/deployer"), RoleSessionName: aws.String("ci")})
	if err != nil {
		t.Fatal(err)
	}
	other := clientsAt(shared.URL, aws.ToString(ar.Credentials.AccessKeyId))
	id, err := other.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "111122223333" || !strings.Contains(aws.ToString(id.Arn), "assumed-role/deployer/ci") {
		t.Errorf("caller through the layer: %s %s, want the assumed role in 111122223333", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
	key := mustKey(t, other, "")
	if !strings.Contains(key, ":111122223333:key/") {
		t.Errorf("key created with the assumed role's credentials: %s, want account 111122223333", key)
	}
	bucket := unique("other-acct")
	mustBucket(t, other, bucket)
	if err := put(other, bucket, "k", withKMS(key)); err != nil {
		t.Errorf("upload in the other account: %v", err)
	}
}

// TestHooksCountsLatency: Before sees each request first, Handle may answer it, requests are
// counted by operation, and the latency is added.
func TestHooksCountsLatency(t *testing.T) {
	t.Parallel()
	l := newLayer(t, Options{})
	c := clientsAt(l.URL, "testing")
	ctx := context.Background()
	bucket := unique("hooks")
	mustBucket(t, c, bucket)
	var before atomic.Int32
	l.SetBefore(func(op string, r *http.Request) {
		if op == "PutObject" && Operation(r) == op {
			before.Add(1)
		}
	})
	l.SetHandle(func(op string, w http.ResponseWriter, r *http.Request) bool {
		switch op {
		case "kms:ListKeys":
			WriteKMSError(w, "ThrottlingException", "Rate exceeded")
			return true
		case "GetObject":
			WriteS3Error(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
			return true
		}
		return false
	})
	l.ResetCounts()
	mustPut(t, c, bucket, "k", "x")
	if _, err := c.kms.ListKeys(ctx, &kms.ListKeysInput{}); errorCode(err) != "ThrottlingException" {
		t.Errorf("ListKeys answered by the hook: got %v", err)
	}
	if _, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); errorCode(err) != "SlowDown" {
		t.Errorf("GetObject answered by the hook: got %v", err)
	}
	if before.Load() != 1 {
		t.Errorf("Before saw %d PutObject requests, want 1", before.Load())
	}
	if got := FormatCounts(l.Counts()); got != "GetObject=1 PutObject=1 kms:ListKeys=1" {
		t.Errorf("counts: %s", got)
	}

	l.SetHandle(nil)
	l.SetLatency(150 * time.Millisecond)
	start := time.Now()
	if _, err := c.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("k")}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("HeadObject took %v with 150ms latency", d)
	}
}

// TestReset: Reset wipes moto and the layer's state, but keeps the action record.
func TestReset(t *testing.T) {
	t.Parallel()
	l := ForTest(t, Options{})
	c := clientsAt(l.URL, "testing")
	ctx := context.Background()
	bucket := unique("reset")
	mustBucket(t, c, bucket)
	if err := putPolicy(c, bucket, tlsPolicy(bucket)); err != nil {
		t.Fatal(err)
	}
	if err := l.SetIdentityPolicy("AKIARESET", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	if err := l.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if l.BucketPolicy(bucket) != "" || len(l.Counts()) != 0 {
		t.Errorf("after Reset: policy %q counts %v", l.BucketPolicy(bucket), l.Counts())
	}
	if _, err := c.s3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err == nil {
		t.Errorf("bucket %s survived Reset", bucket)
	}
	if _, err := clientsAt(l.URL, "AKIARESET").sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("identity policy survived Reset: %v", err)
	}
	if l.SeenActions()["s3:PutBucketPolicy"] != 1 {
		t.Errorf("the action record did not survive Reset: %v", l.SeenActions())
	}
	env := strings.Join(l.Env(), " ")
	if !strings.Contains(env, "AWS_ENDPOINT_URL="+l.URL) || !strings.Contains(env, "AWS_REGION=us-east-1") {
		t.Errorf("Env: %s", env)
	}
}

// TestIdentityPolicyErrors: SetIdentityPolicy refuses what is not an identity policy.
func TestIdentityPolicyErrors(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]string{
		"not JSON":      "allow all",
		"no Statement":  `{"Version":"2012-10-17"}`,
		"a Principal":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`,
		"bad statement": `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`,
	} {
		if err := shared.SetIdentityPolicy("AKIAUNUSED", p); err == nil {
			t.Errorf("%s: SetIdentityPolicy accepted %s", name, p)
		}
	}
}

// TestNotInShippedBinary: the shipped binary (the module's root package) never links the layer.
func TestNotInShippedBinary(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/sseguard/sseguard").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/sseguard/sseguard/internal/testsupport/awstest" {
			t.Fatal("the sseguard binary imports internal/testsupport/awstest; only tests and bench/ may")
		}
	}
}

// S3 returns user-metadata keys in lower case; Go's proxying must not capitalise them.
func TestMetadataKeysKeepTheirCase(t *testing.T) {
	env := append(os.Environ(), shared.Env()...)
	env = append(env, "BUCKET="+unique("meta-case"))
	script := `
import boto3, os, json
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
b = os.environ["BUCKET"]
s3.create_bucket(Bucket=b)
s3.put_object(Bucket=b, Key="k", Body=b"x", Metadata={"episode": "1"})
print(json.dumps(s3.head_object(Bucket=b, Key="k")["Metadata"]))
`
	cmd := exec.Command("python3", "-c", script)
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3: %v", err)
	}
	if got := strings.TrimSpace(string(out)); got != `{"episode": "1"}` {
		t.Errorf("metadata through the layer = %s, want {\"episode\": \"1\"} (S3 keeps keys lower case)", got)
	}
}
