package observe_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// One moto_server behind one strict AWS layer serves the whole package; every test uses buckets
// and aliases of its own (unique), so tests run in parallel.
var layer *awstest.Layer

func TestMain(m *testing.M) {
	l, stop := awstest.StartMain()
	layer = l
	code := m.Run()
	stop()
	os.Exit(code)
}

var seq atomic.Int64

// unique returns base with a suffix no other name in this run has (a bucket name, or an alias).
func unique(base string) string { return fmt.Sprintf("%s-%d", base, seq.Add(1)) }

func clientsAt(t *testing.T, endpoint string) *awsclient.Clients {
	t.Helper()
	c, err := awsclient.ForEndpoint(context.Background(), endpoint)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

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

// TestObserveAgainstTheLayer: buckets across regions, a key named by alias or id, and a bucket
// that does not exist are read concurrently within the bound, each key once, as AWS answers them
// (through the strict layer); a bucket never configured reads as SSE-S3 on AWS and as having no
// rule on moto alone, and both are understood.
func TestObserveAgainstTheLayer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clients := clientsAt(t, layer.URL)
	kc := clients.KMS("us-east-1")
	key, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(key.KeyMetadata.Arn)
	alias := unique("alias/shared")
	if _, err := kc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}

	pol := &policy.Policy{}
	use := clients.S3("us-east-1")
	const n = 12
	names := make([]string, n)
	for i := range n {
		name := unique(fmt.Sprintf("bucket-%02d", i))
		names[i] = name
		if _, err := use.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		// The buckets store the key by alias, by id and by ARN in turn: the same key each way.
		ref := alias
		switch i % 3 {
		case 1:
			ref = aws.ToString(key.KeyMetadata.KeyId)
		case 2:
			ref = keyARN
		}
		if _, err := use.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(name),
			ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(ref)},
				BucketKeyEnabled:                   aws.Bool(true)}}}}); err != nil {
			t.Fatal(err)
		}
		pol.Buckets = append(pol.Buckets, policy.Bucket{Name: name, Encryption: policy.SSEKMS, KMSKey: alias, BucketKey: true})
	}
	ireland, neverCreated := unique("in-ireland"), unique("never-created")
	if _, err := clients.S3("eu-west-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(ireland),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatal(err)
	}
	pol.Buckets = append(pol.Buckets,
		policy.Bucket{Name: ireland, Encryption: policy.SSES3},
		policy.Bucket{Name: neverCreated, Encryption: policy.SSES3})

	cc := &counting{c: clients}
	st, err := observe.New(cc, observe.Options{Concurrency: 4, HomeRegion: "us-east-1"}).Observe(ctx, pol)
	if err != nil {
		t.Fatal(err)
	}
	if st.Account != motoserver.Account {
		t.Errorf("account = %q", st.Account)
	}
	for _, name := range names {
		b := st.Buckets[name]
		if !b.Exists || b.Region != "us-east-1" || b.Encryption == nil || b.Encryption.KeyARN != keyARN || !b.Encryption.BucketKey {
			t.Errorf("%s = %+v %+v, want us-east-1 and key %s resolved", name, b, b.Encryption, keyARN)
		}
	}
	if b := st.Buckets[ireland]; !b.Exists || b.Region != "eu-west-1" || b.Encryption == nil || b.Encryption.Algorithm != "AES256" || b.Encryption.KeyARN != "" {
		t.Errorf("%s = %+v %+v, want eu-west-1 with SSE-S3 (never configured: every bucket's default since 2023)", ireland, b, b.Encryption)
	}
	if b := st.Buckets[neverCreated]; b.Exists || b.Err != "" {
		t.Errorf("%s = %+v, want not existing and no error", neverCreated, b)
	}
	// One DescribeKey per distinct key: alias/shared, which every bucket wants, answers for the
	// key id and the ARN that others name.
	if got := cc.describes.Load(); got != 1 {
		t.Errorf("DescribeKey called %d times for %d buckets, want 1 (cached per key, whether named by alias or id)", got, n)
	}
	if m := cc.maxInFlight.Load(); m > 4 || m < 2 {
		t.Errorf("max buckets read at once = %d, want between 2 and the bound 4", m)
	}
	k := st.Keys[state.KeyRef{Region: "us-east-1", Ref: alias}]
	if k == nil || !k.Found || k.State != "Enabled" || k.Manager != "CUSTOMER" || k.Policy == "" || k.Rotation == nil {
		t.Errorf("%s = %+v, want found, enabled, customer managed, with policy and rotation read", alias, k)
	}

	// A bucket created in moto itself was never configured there: moto alone answers
	// ServerSideEncryptionConfigurationNotFoundError (no rule), the layer SSE-S3 as AWS does.
	motoClients := clientsAt(t, layer.Upstream())
	legacy := unique("never-configured")
	if _, err := motoClients.S3("us-east-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(legacy)}); err != nil {
		t.Fatal(err)
	}
	one := &policy.Policy{Buckets: []policy.Bucket{{Name: legacy, Encryption: policy.SSES3}}}
	for name, c := range map[string]*awsclient.Clients{"moto": motoClients, "layer": clients} {
		got, err := observe.New(&counting{c: c}, observe.Options{HomeRegion: "us-east-1"}).Observe(ctx, one)
		if err != nil {
			t.Fatal(err)
		}
		b := got.Buckets[legacy]
		if !b.Exists || b.Err != "" || (name == "moto") != (b.Encryption == nil) || (b.Encryption != nil && b.Encryption.Algorithm != "AES256") {
			t.Errorf("%s, read from %s = %+v %+v; want no rule from moto, SSE-S3 from the layer", legacy, name, b, b.Encryption)
		}
	}
}

func TestObserveRefusesOtherAccountWithoutReadingIt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cc := &counting{c: clientsAt(t, layer.URL)}
	st, err := observe.New(cc, observe.Options{}).Observe(ctx, &policy.Policy{Account: "999988887777",
		Buckets: []policy.Bucket{{Name: "some-bucket", Encryption: policy.SSES3}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Buckets) != 0 || cc.maxInFlight.Load() != 0 {
		t.Errorf("read %d buckets of an account the policy is not for", len(st.Buckets))
	}
}
