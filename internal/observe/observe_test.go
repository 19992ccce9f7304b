package observe_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/motoserver"
	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/policy"
)

// counting wraps the real clients, counting DescribeKey calls and bucket reads in flight.
type counting struct {
	c           *awsclient.Clients
	describes   atomic.Int32
	inFlight    atomic.Int32
	maxInFlight atomic.Int32
}

func (c *counting) S3(region string) observe.S3API   { return &countS3{S3API: c.c.S3(region), c: c} }
func (c *counting) KMS(region string) observe.KMSAPI { return &countKMS{KMSAPI: c.c.KMS(region), c: c} }
func (c *counting) STS() observe.STSAPI              { return c.c.STS() }
func (c *counting) IAM() observe.IAMAPI              { return c.c.IAM() }

type countKMS struct {
	observe.KMSAPI
	c *counting
}

func (k *countKMS) DescribeKey(ctx context.Context, in *kms.DescribeKeyInput, o ...func(*kms.Options)) (*kms.DescribeKeyOutput, error) {
	k.c.describes.Add(1)
	return k.KMSAPI.DescribeKey(ctx, in, o...)
}

type countS3 struct {
	observe.S3API
	c *counting
}

func (s *countS3) GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, o ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	n := s.c.inFlight.Add(1)
	defer s.c.inFlight.Add(-1)
	for {
		m := s.c.maxInFlight.Load()
		if n <= m || s.c.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond) // hold the slot so concurrency is visible
	return s.S3API.GetBucketLocation(ctx, in, o...)
}

func TestObserveAgainstMoto(t *testing.T) {
	srv := motoserver.ForTest(t)
	ctx := context.Background()
	clients, err := awsclient.ForEndpoint(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	kc := clients.KMS("us-east-1")
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	if _, err := kc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/shared"), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}

	pol := &policy.Policy{}
	use := clients.S3("us-east-1")
	const n = 24
	for i := range n {
		name := fmt.Sprintf("bucket-%02d", i)
		if _, err := use.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		// Half store the key by alias, half by id: the same key either way.
		ref := "alias/shared"
		if i%2 == 1 {
			ref = aws.ToString(key.KeyMetadata.KeyId)
		}
		if _, err := use.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(name),
			ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(ref)},
				BucketKeyEnabled:                   aws.Bool(true)}}}}); err != nil {
			t.Fatal(err)
		}
		pol.Buckets = append(pol.Buckets, policy.Bucket{Name: name, Encryption: policy.SSEKMS, KMSKey: "alias/shared", BucketKey: true})
	}
	if _, err := clients.S3("eu-west-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("in-ireland"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatal(err)
	}
	pol.Buckets = append(pol.Buckets,
		policy.Bucket{Name: "in-ireland", Encryption: policy.SSES3},
		policy.Bucket{Name: "never-created", Encryption: policy.SSES3})

	cc := &counting{c: clients}
	st, err := observe.New(cc, observe.Options{Concurrency: 4, HomeRegion: "us-east-1"}).Observe(ctx, pol)
	if err != nil {
		t.Fatal(err)
	}
	if st.Account != motoserver.Account {
		t.Errorf("account = %q", st.Account)
	}
	for i := range n {
		b := st.Buckets[fmt.Sprintf("bucket-%02d", i)]
		if !b.Exists || b.Region != "us-east-1" || b.Encryption == nil || b.Encryption.KeyARN != keyARN || !b.Encryption.BucketKey {
			t.Errorf("bucket-%02d = %+v %+v, want us-east-1 and key %s resolved", i, b, b.Encryption, keyARN)
		}
	}
	if b := st.Buckets["in-ireland"]; !b.Exists || b.Region != "eu-west-1" || b.Encryption != nil {
		t.Errorf("in-ireland = %+v %+v, want eu-west-1 with no rule (never configured)", b, b.Encryption)
	}
	if b := st.Buckets["never-created"]; b.Exists || b.Err != "" {
		t.Errorf("never-created = %+v, want not existing and no error", b)
	}
	// One DescribeKey per distinct (region, reference): alias/shared and the key id.
	if got := cc.describes.Load(); got != 2 {
		t.Errorf("DescribeKey called %d times for %d buckets, want 2 (cached per key reference)", got, n)
	}
	if m := cc.maxInFlight.Load(); m > 4 || m < 2 {
		t.Errorf("max buckets read at once = %d, want between 2 and the bound 4", m)
	}
	k := st.Keys[observe.KeyRef{Region: "us-east-1", Ref: "alias/shared"}]
	if k == nil || !k.Found || k.State != "Enabled" || k.Manager != "CUSTOMER" || k.Policy == "" || k.Rotation == nil {
		t.Errorf("alias/shared = %+v, want found, enabled, customer managed, with policy and rotation read", k)
	}
}

func TestObserveRefusesOtherAccountWithoutReadingIt(t *testing.T) {
	srv := motoserver.ForTest(t)
	ctx := context.Background()
	clients, err := awsclient.ForEndpoint(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cc := &counting{c: clients}
	st, err := observe.New(cc, observe.Options{}).Observe(ctx, &policy.Policy{Account: "999988887777",
		Buckets: []policy.Bucket{{Name: "some-bucket", Encryption: policy.SSES3}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Buckets) != 0 || cc.maxInFlight.Load() != 0 {
		t.Errorf("read %d buckets of an account the policy is not for", len(st.Buckets))
	}
}
