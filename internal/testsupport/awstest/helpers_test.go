package awstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// One moto_server and one layer serve the whole package; tests use their own buckets and keys.
// Tests that change layer-wide settings start a second layer over the same moto (newLayer).
var shared *Layer

func TestMain(m *testing.M) {
	l, stop := StartMain()
	shared = l
	code := m.Run()
	stop()
	os.Exit(code)
}

// newLayer starts another layer in front of the shared moto, with its own settings.
func newLayer(t *testing.T, opts Options) *Layer {
	t.Helper()
	opts.Upstream = shared.Upstream()
	l, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

func unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// clients are aws-sdk-go-v2 clients pointed at one endpoint (moto itself or a layer).
type clients struct {
	s3  *s3.Client
	kms *kms.Client
	iam *iam.Client
	sts *sts.Client
}

func clientsAt(endpoint, akid string) clients {
	creds := credentials.NewStaticCredentialsProvider(akid, "testing", "")
	cfg := aws.Config{Region: "us-east-1", Credentials: creds, RetryMaxAttempts: 1}
	ep := aws.String(endpoint)
	return clients{
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true }),
		kms: kms.NewFromConfig(cfg, func(o *kms.Options) { o.BaseEndpoint = ep }),
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = ep }),
		sts: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep }),
	}
}

// both returns clients for moto alone and for the layer, with the same access key.
func both(l *Layer, akid string) (moto, layer clients) {
	return clientsAt(l.Upstream(), akid), clientsAt(l.URL, akid)
}

// errorCode returns the AWS error code of err ("" for nil or a non-API error).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "non-API error: " + err.Error()
	}
	return ""
}

func errorMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return ""
}

func mustBucket(t *testing.T, c clients, name string) {
	t.Helper()
	if _, err := c.s3.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

func mustPut(t *testing.T, c clients, bucket, key, body string, mod ...func(*s3.PutObjectInput)) {
	t.Helper()
	in := &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)}
	for _, m := range mod {
		m(in)
	}
	if _, err := c.s3.PutObject(context.Background(), in); err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

func mustKey(t *testing.T, c clients, policy string) string {
	t.Helper()
	in := &kms.CreateKeyInput{}
	if policy != "" {
		in.Policy = aws.String(policy)
	}
	out, err := c.kms.CreateKey(context.Background(), in)
	if err != nil {
		t.Fatalf("create key: %v", err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

// runTool runs a command (the AWS CLI, python3) with the layer's environment.
func runTool(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out.String()
}
