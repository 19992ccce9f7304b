// Package demo holds what cmd/demo (and tests) need to show sseguard against a local AWS
// emulator: clients for it, and the drifted state the example policy is written for. Nothing
// outside the emulator is touched.
package demo

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/awsclient"
)

// Seed creates, in the emulator behind c, the drifted state the example policy is written for (behind
// the strict AWS layer, c must point at the layer: it holds bucket policies itself):
//   - media-hls: AES256 default, old objects under videos/ under SSE-S3 (not the CMK), a bucket
//     policy with a CloudFront read statement that must survive; alias/hls-adaptive-key missing;
//   - media-thumbnails: encrypted with the AWS managed aws/s3 key, where the policy wants SSE-S3;
//   - media-masters-eu (eu-west-1): no default encryption; alias/archive-key exists with rotation off;
//   - the IAM roles the policy names (key administrator and the two transcoder roles).
func Seed(ctx context.Context, c *awsclient.Clients, account string) error {
	ic := c.IAM()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"elastictranscoder.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	for _, role := range []string{"KeyAdmin", "Elastic_Transcoder_Default_Role", "MediaConvert_Default_Role"} {
		if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			return fmt.Errorf("create role %s: %w", role, err)
		}
	}

	use := c.S3("us-east-1")
	for _, b := range []string{"media-hls", "media-thumbnails"} {
		if _, err := use.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			return fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	if err := putRule(ctx, use, "media-hls", s3types.ServerSideEncryptionAes256, ""); err != nil {
		return err
	}
	cloudfront := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"AllowCloudFrontRead","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::media-hls/*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::%s:distribution/EDFDVBD6EXAMPLE"}}}]}`, account)
	if _, err := use.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("media-hls"), Policy: aws.String(cloudfront)}); err != nil {
		return fmt.Errorf("put bucket policy of media-hls: %w", err)
	}
	for i := range 12 {
		key := fmt.Sprintf("videos/episode-%02d/index.m3u8", i)
		if _, err := use.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("media-hls"), Key: aws.String(key), Body: bytes.NewReader([]byte("#EXTM3U\n")),
			ContentType: aws.String("application/vnd.apple.mpegurl"), Metadata: map[string]string{"episode": fmt.Sprint(i)},
		}); err != nil {
			return fmt.Errorf("put object %s: %w", key, err)
		}
	}
	if err := putRule(ctx, use, "media-thumbnails", s3types.ServerSideEncryptionAwsKms, ""); err != nil {
		return err
	}

	eu := c.S3("eu-west-1")
	if _, err := eu.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("media-masters-eu"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintEuWest1}}); err != nil {
		return fmt.Errorf("create bucket media-masters-eu: %w", err)
	}
	kc := c.KMS("eu-west-1")
	k, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("Masters archive in Ireland")})
	if err != nil {
		return fmt.Errorf("create archive key: %w", err)
	}
	if _, err := kc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/archive-key"), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
		return fmt.Errorf("create alias/archive-key: %w", err)
	}
	return nil
}

func putRule(ctx context.Context, c *s3.Client, bucket string, alg s3types.ServerSideEncryption, key string) error {
	def := &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: alg}
	if key != "" {
		def.KMSMasterKeyID = aws.String(key)
	}
	_, err := c.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String(bucket),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
			Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: def}}}})
	if err != nil {
		return fmt.Errorf("set default encryption of %s: %w", bucket, err)
	}
	return nil
}

// WritePolicy writes the example policy into a new temporary directory and returns its path.
func WritePolicy(example []byte) (string, func(), error) {
	dir, err := os.MkdirTemp("", "sseguard-demo-")
	if err != nil {
		return "", nil, fmt.Errorf("write the example policy: %w", err)
	}
	path := filepath.Join(dir, "policy.example.yaml")
	if err := os.WriteFile(path, example, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("write the example policy: %w", err)
	}
	return path, func() { os.RemoveAll(dir) }, nil
}
