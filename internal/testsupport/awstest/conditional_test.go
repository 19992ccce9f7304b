package awstest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestConditionalCopies: conditional copies are answered 412 when the condition fails, as S3
// documents; moto ignores the conditions and copies.
func TestConditionalCopies(t *testing.T) {
	t.Parallel()
	moto, layer := both(shared, "testing")
	ctx := context.Background()
	bucket := unique("cond")
	mustBucket(t, layer, bucket)
	mustPut(t, layer, bucket, "src", "source")
	mustPut(t, layer, bucket, "dst", "destination")
	const stale = `"00000000000000000000000000000000"`
	head, err := layer.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("src")})
	if err != nil {
		t.Fatal(err)
	}
	copyIn := func(mod func(*s3.CopyObjectInput)) *s3.CopyObjectInput {
		in := &s3.CopyObjectInput{Bucket: aws.String(bucket), Key: aws.String("dst"), CopySource: aws.String(bucket + "/src")}
		mod(in)
		return in
	}
	mpu := func(c clients, mod func(*s3.CompleteMultipartUploadInput), partMod func(*s3.UploadPartCopyInput)) error {
		cm, err := c.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("dst")})
		if err != nil {
			return err
		}
		pc := &s3.UploadPartCopyInput{Bucket: aws.String(bucket), Key: aws.String("dst"), UploadId: cm.UploadId, PartNumber: aws.Int32(1), CopySource: aws.String(bucket + "/src")}
		if partMod != nil {
			partMod(pc)
		}
		part, err := c.s3.UploadPartCopy(ctx, pc)
		if err != nil {
			return err
		}
		in := &s3.CompleteMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String("dst"), UploadId: cm.UploadId,
			MultipartUpload: &s3types.CompletedMultipartUpload{Parts: []s3types.CompletedPart{{ETag: part.CopyPartResult.ETag, PartNumber: aws.Int32(1)}}}}
		if mod != nil {
			mod(in)
		}
		_, err = c.s3.CompleteMultipartUpload(ctx, in)
		return err
	}
	tests := map[string]struct {
		do   func(c clients) error
		want string
	}{
		"CopyObject x-amz-copy-source-if-match stale": {func(c clients) error {
			_, err := c.s3.CopyObject(ctx, copyIn(func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = aws.String(stale) }))
			return err
		}, "PreconditionFailed"},
		"CopyObject x-amz-copy-source-if-match current": {func(c clients) error {
			_, err := c.s3.CopyObject(ctx, copyIn(func(in *s3.CopyObjectInput) { in.CopySourceIfMatch = head.ETag }))
			return err
		}, ""},
		"CopyObject If-Match on the destination stale": {func(c clients) error {
			_, err := c.s3.CopyObject(ctx, copyIn(func(in *s3.CopyObjectInput) { in.IfMatch = aws.String(stale) }))
			return err
		}, "PreconditionFailed"},
		"UploadPartCopy x-amz-copy-source-if-match stale": {func(c clients) error {
			return mpu(c, nil, func(in *s3.UploadPartCopyInput) { in.CopySourceIfMatch = aws.String(stale) })
		}, "PreconditionFailed"},
		"CompleteMultipartUpload If-Match stale": {func(c clients) error {
			return mpu(c, func(in *s3.CompleteMultipartUploadInput) { in.IfMatch = aws.String(stale) }, nil)
		}, "PreconditionFailed"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := errorCode(tc.do(layer)); got != tc.want {
				t.Errorf("through the layer: got %q, want %q", got, tc.want)
			}
			if tc.want != "" {
				if err := tc.do(moto); err != nil {
					t.Errorf("moto alone: %v (the rule exists because moto ignores the condition)", err)
				}
			}
		})
	}
}

// TestConsistencyDelay: with a delay, reads of a bucket configuration answer the previous value
// until the delay has passed; moto shows every write at once.
func TestConsistencyDelay(t *testing.T) {
	t.Parallel()
	const delay = time.Second
	l := newLayer(t, Options{ConsistencyDelay: delay})
	c := clientsAt(l.URL, "testing")
	ctx := context.Background()
	keyARN := mustKey(t, c, "")
	bucket := unique("delay")
	mustBucket(t, c, bucket)

	start := time.Now()
	if _, err := c.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String(keyARN)}}}}}); err != nil {
		t.Fatal(err)
	}
	if err := putPolicy(c, bucket, tlsPolicy(bucket)); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	alg, _, _, err := getEncryption(t, c, bucket)
	_, polErr := c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if time.Since(start) < delay {
		if err != nil || alg != "AES256" {
			t.Errorf("encryption read during the delay: got %q %v, want the previous AES256", alg, err)
		}
		if errorCode(polErr) != "NoSuchBucketPolicy" {
			t.Errorf("policy read during the delay: got %v, want the previous NoSuchBucketPolicy", polErr)
		}
	}
	// moto alone shows the write at once.
	if alg, _, _, err := getEncryption(t, clientsAt(l.Upstream(), "testing"), bucket); err != nil || alg != "aws:kms" {
		t.Errorf("moto alone: got %q %v, want aws:kms at once", alg, err)
	}
	time.Sleep(time.Until(written.Add(delay + 50*time.Millisecond)))
	if alg, _, _, err := getEncryption(t, c, bucket); err != nil || alg != "aws:kms" {
		t.Errorf("encryption read after the delay: got %q %v, want aws:kms", alg, err)
	}
	if _, err := c.s3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)}); err != nil {
		t.Errorf("policy read after the delay: %v", err)
	}
}
