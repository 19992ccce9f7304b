// Package batchops hands the re-encryption of a bucket's existing objects to S3 Batch Operations:
// it turns what must change into an s3control CreateJob request (operation, manifest generator
// filtered by object encryption, completion report, deterministic ClientRequestToken and tags),
// creates the job at most once, and finds it again on later runs to report its progress.
//
// AWS pages this package follows:
//   - Update object encryption (Batch Operations)
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-update-encryption.html
//   - Tracking job status and completion reports
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-job-status.html
//   - CreateJob, DescribeJob, ListJobs, UpdateJobStatus (S3 Control API reference)
//     https://docs.aws.amazon.com/AmazonS3/latest/API/API_control_CreateJob.html
package batchops

import (
	"context"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// API is the part of the s3control client this package uses, with the SDK's own signatures so
// the real client and a test double both fit.
type API interface {
	CreateJob(ctx context.Context, in *s3control.CreateJobInput, optFns ...func(*s3control.Options)) (*s3control.CreateJobOutput, error)
	DescribeJob(ctx context.Context, in *s3control.DescribeJobInput, optFns ...func(*s3control.Options)) (*s3control.DescribeJobOutput, error)
	ListJobs(ctx context.Context, in *s3control.ListJobsInput, optFns ...func(*s3control.Options)) (*s3control.ListJobsOutput, error)
}

// NewClient returns an s3control client for region built from cfg. The endpoint comes from the
// SDK's own settings (AWS_ENDPOINT_URL_S3_CONTROL, or AWS_ENDPOINT_URL, as the SDK's
// service-specific endpoint rules say: "Service-specific endpoints",
// https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
func NewClient(cfg aws.Config, region string) *s3control.Client {
	return s3control.NewFromConfig(cfg, func(o *s3control.Options) {
		if region != "" {
			o.Region = region
		}
		o.EndpointResolverV2 = loopbackResolver{next: s3control.NewDefaultEndpointResolverV2()}
	})
}

// loopbackResolver drops the account-id host label that S3 Control's endpoint rules put in front
// of the host ({AccountId}.s3-control.{Region}.amazonaws.com) when the endpoint is an IP address:
// "123456789012.127.0.0.1" resolves nowhere, and a local stand-in reads the account from the
// x-amz-account-id header, which the SDK always sends. Real endpoints (host names) keep it.
type loopbackResolver struct {
	next s3control.EndpointResolverV2
}

// ResolveEndpoint implements s3control.EndpointResolverV2.
func (r loopbackResolver) ResolveEndpoint(ctx context.Context, p s3control.EndpointParameters) (smithyendpoints.Endpoint, error) {
	e, err := r.next.ResolveEndpoint(ctx, p)
	if err != nil || p.AccountId == nil || *p.AccountId == "" {
		return e, err
	}
	if rest, ok := strings.CutPrefix(e.URI.Hostname(), *p.AccountId+"."); ok && net.ParseIP(rest) != nil {
		e.URI.Host = strings.TrimPrefix(e.URI.Host, *p.AccountId+".")
	}
	return e, nil
}
