package main

import (
	"context"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// kmsKey is a key the bench created: its id and ARN.
type kmsKey struct{ id, arn string }

// reset wipes moto.
func (b *bench) reset(ctx context.Context) {
	if err := b.srv.Reset(ctx); err != nil {
		fail("%v", err)
	}
}

// createKey creates a KMS key with alias.
func (b *bench) createKey(ctx context.Context, alias string) kmsKey {
	out, err := b.kms.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(alias)})
	if err != nil {
		fail("create key: %v", err)
	}
	if _, err := b.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
		fail("create alias: %v", err)
	}
	return kmsKey{id: aws.ToString(out.KeyMetadata.KeyId), arn: aws.ToString(out.KeyMetadata.Arn)}
}

// createBucket makes the bench bucket with ACLs disabled (Object Ownership BucketOwnerEnforced),
// the default for new buckets since April 2023.
func (b *bench) createBucket(ctx context.Context) {
	if _, err := b.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket), ObjectOwnership: types.ObjectOwnershipBucketOwnerEnforced}); err != nil {
		fail("create bucket: %v", err)
	}
}

// bench is one bench run: its settings, moto, the latency proxy in front of it, and clients that
// talk to moto directly (for seeding and checking, never through the proxy).
type bench struct {
	cfg   config
	srv   *motoserver.Server
	proxy *latencyProxy
	s3    *s3.Client
	kms   *kms.Client
	// ceilings measured directly against moto, requests per second.
	headCeil, copyCeil float64
}

// creds are the throwaway credentials moto accepts.
var creds = credentials.NewStaticCredentialsProvider("testing", "testing", "testing")

// s3At is an S3 client for endpoint, with a connection pool large enough for the seeding.
func s3At(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(endpoint), UsePathStyle: true, Credentials: creds,
		HTTPClient: awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns, t.MaxIdleConnsPerHost = 256, 256
		}),
	})
}

// kmsAt is a KMS client for endpoint.
func kmsAt(endpoint string) *kms.Client {
	return kms.New(kms.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint), Credentials: creds})
}
