package awstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"
)

func getEncryption(t *testing.T, c clients, bucket string) (alg, key string, blocked []s3types.EncryptionType, err error) {
	t.Helper()
	out, err := c.s3.GetBucketEncryption(context.Background(), &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if err != nil {
		return "", "", nil, err
	}
	r := out.ServerSideEncryptionConfiguration.Rules[0]
	if r.ApplyServerSideEncryptionByDefault != nil {
		alg = string(r.ApplyServerSideEncryptionByDefault.SSEAlgorithm)
		key = aws.ToString(r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID)
	}
	if r.BlockedEncryptionTypes != nil {
		blocked = r.BlockedEncryptionTypes.EncryptionType
	}
	return alg, key, blocked, nil
}

func sseC(in *s3.PutObjectInput) {
	in.SSECustomerAlgorithm = aws.String("AES256")
	in.SSECustomerKey = aws.String("MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=") // base64 of 32 bytes
	in.SSECustomerKeyMD5 = aws.String("JMwgiexXqwuPqIPjYFmIZQ==")
}

// TestDefaultEncryption: a new bucket answers SSE-S3 with SSE-C blocked, and objects uploaded
// without headers are SSE-S3; moto answers ServerSideEncryptionConfigurationNotFoundError and
// stores them unencrypted.
func TestDefaultEncryption(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	viaMoto, viaLayer := unique("enc-moto"), unique("enc-layer")
	mustBucket(t, moto, viaMoto)
	mustBucket(t, layer, viaLayer)

	if _, _, _, err := getEncryption(t, moto, viaMoto); errorCode(err) != "ServerSideEncryptionConfigurationNotFoundError" {
		t.Errorf("moto alone: got %v, want ServerSideEncryptionConfigurationNotFoundError (the difference this rule removes)", err)
	}
	alg, _, blocked, err := getEncryption(t, layer, viaLayer)
	if err != nil || alg != "AES256" || !cmp.Equal(blocked, []s3types.EncryptionType{"SSE-C"}) {
		t.Errorf("layer: got %q %v %v, want AES256 with SSE-C blocked", alg, blocked, err)
	}
	// A bucket the layer did not create (made in moto directly) still reads as SSE-S3.
	if alg, _, blocked, err := getEncryption(t, layer, viaMoto); err != nil || alg != "AES256" || blocked != nil {
		t.Errorf("layer, bucket created in moto: got %q %v %v, want AES256 and no BlockedEncryptionTypes", alg, blocked, err)
	}

	mustPut(t, moto, viaMoto, "k", "x")
	mustPut(t, layer, viaLayer, "k", "x")
	hm, _ := moto.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(viaMoto), Key: aws.String("k")})
	hl, err := layer.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(viaLayer), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	if hm == nil || hm.ServerSideEncryption != "" {
		t.Errorf("moto alone: an object uploaded without headers reads %v, want unencrypted", hm)
	}
	if hl.ServerSideEncryption != s3types.ServerSideEncryptionAes256 {
		t.Errorf("layer: an object uploaded without headers reads %q, want AES256", hl.ServerSideEncryption)
	}
}

// TestBlockedEncryptionTypes: PutBucketEncryption sets them, GetBucketEncryption returns them, an
// SSE-C write to a bucket that blocks SSE-C is refused with 403 AccessDenied; moto drops them and
// accepts SSE-C everywhere.
func TestBlockedEncryptionTypes(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	keyARN := mustKey(t, layer, "")
	viaMoto, viaLayer := unique("blk-moto"), unique("blk-layer")
	mustBucket(t, moto, viaMoto)
	mustBucket(t, layer, viaLayer)

	if err := put(moto, viaMoto, "c", sseC); err != nil {
		t.Errorf("moto alone refused an SSE-C upload: %v (the rule exists because it accepts it)", err)
	}
	if err := put(layer, viaLayer, "c", sseC); errorCode(err) != "AccessDenied" {
		t.Errorf("layer: SSE-C upload to a new bucket: got %v, want AccessDenied", err)
	}
	if err := put(layer, viaLayer, "plain", nil); err != nil {
		t.Errorf("layer: upload without SSE-C: %v", err)
	}

	putEnc := func(c clients, bucket string, blocked []s3types.EncryptionType) {
		t.Helper()
		rule := s3types.ServerSideEncryptionRule{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyARN)},
			BucketKeyEnabled:                   aws.Bool(true),
		}
		if blocked != nil {
			rule.BlockedEncryptionTypes = &s3types.BlockedEncryptionTypes{EncryptionType: blocked}
		}
		if _, err := c.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
			ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{rule}}}); err != nil {
			t.Fatalf("PutBucketEncryption: %v", err)
		}
	}
	putEnc(moto, viaMoto, []s3types.EncryptionType{"SSE-C"})
	if _, _, blocked, err := getEncryption(t, moto, viaMoto); err != nil || blocked != nil {
		t.Errorf("moto alone: BlockedEncryptionTypes read back %v (%v), want dropped (the difference this rule removes)", blocked, err)
	}

	steps := []struct {
		name    string
		write   []s3types.EncryptionType
		want    []s3types.EncryptionType
		sseCErr string
	}{
		{"unblock with NONE", []s3types.EncryptionType{"NONE"}, []s3types.EncryptionType{"NONE"}, ""},
		{"block again", []s3types.EncryptionType{"SSE-C"}, []s3types.EncryptionType{"SSE-C"}, "AccessDenied"},
		{"rule without BlockedEncryptionTypes", nil, nil, ""},
	}
	for _, s := range steps {
		putEnc(layer, viaLayer, s.write)
		alg, key, blocked, err := getEncryption(t, layer, viaLayer)
		if err != nil || alg != "aws:kms" || key != keyARN || !cmp.Equal(blocked, s.want) {
			t.Errorf("%s: read back %q %q %v (%v), want aws:kms %s %v", s.name, alg, key, blocked, err, keyARN, s.want)
		}
		if err := put(layer, viaLayer, unique("c"), sseC); errorCode(err) != s.sseCErr {
			t.Errorf("%s: SSE-C upload: got %v, want %q", s.name, err, s.sseCErr)
		}
	}

	// DeleteBucketEncryption resets to SSE-S3 (and the bucket's SSE-C default).
	if _, err := layer.s3.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String(viaLayer)}); err != nil {
		t.Fatal(err)
	}
	alg, _, blocked, err := getEncryption(t, layer, viaLayer)
	if err != nil || alg != "AES256" || !cmp.Equal(blocked, []s3types.EncryptionType{"SSE-C"}) {
		t.Errorf("after DeleteBucketEncryption: got %q %v %v, want AES256 with SSE-C blocked", alg, blocked, err)
	}
	if got := shared.BlockedEncryptionTypes(viaLayer); !cmp.Equal(got, []string{"SSE-C"}) {
		t.Errorf("BlockedEncryptionTypes(%s) = %v", viaLayer, got)
	}
}
