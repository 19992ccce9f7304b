// Package awserr reads AWS API errors the one way sseguard reads them: by the error code the
// service answered (smithy.APIError), never by the message, and by HTTP status where a service
// gives no code. S3 answers generic API errors (GetBucketEncryption's
// ServerSideEncryptionConfigurationNotFoundError, NoSuchBucketPolicy, AccessDenied); KMS answers
// its own codes (NotFoundException, AccessDeniedException, UnsupportedOperationException).
package awserr

import (
	"errors"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// Error codes sseguard tells apart.
const (
	// S3.
	CodeAccessDenied        = "AccessDenied"
	CodeNoSuchBucket        = "NoSuchBucket"
	CodeNoSuchBucketPolicy  = "NoSuchBucketPolicy"
	CodeNotFound            = "NotFound"
	CodeSSENotFound         = "ServerSideEncryptionConfigurationNotFoundError"
	CodeNoSuchKey           = "NoSuchKey"
	CodePreconditionFailed  = "PreconditionFailed"
	CodeConditionalConflict = "ConditionalRequestConflict"
	CodeNotImplemented      = "NotImplemented"
	CodeMethodNotAllowed    = "MethodNotAllowed"
	// S3, about objects (Amazon S3 API Reference, "Error responses",
	// https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): an archived object
	// not restored (either of the first two), ACLs disabled on the bucket (Object Ownership
	// BucketOwnerEnforced), no Object Lock configuration, no website configuration.
	CodeNotInActiveTier    = "ObjectNotInActiveTierError"
	CodeInvalidObjectState = "InvalidObjectState"
	CodeACLNotSupported    = "AccessControlListNotSupported"
	CodeNoLockConfig       = "ObjectLockConfigurationNotFoundError"
	CodeNoWebsite          = "NoSuchWebsiteConfiguration"
	// CodeNoReplication: the bucket has no replication configuration ("GetBucketReplication",
	// List of replication-related error codes, https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ReplicationErrorCodeList).
	CodeNoReplication = "ReplicationConfigurationNotFoundError"
	// KMS.
	CodeKMSAccessDenied = "AccessDeniedException"
	CodeKMSNotFound     = "NotFoundException"
	CodeUnsupported     = "UnsupportedOperationException"
	// IAM.
	CodeNoSuchEntity = "NoSuchEntity"
	// S3 Control: DescribeJob of a job AWS does not know (or no longer: ended jobs are deleted
	// after 90 days). The model names NotFoundException; "Troubleshooting S3 Batch Operations"
	// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshooting-batch-operations.html)
	// NoSuchJobException.
	CodeJobNotFound = "NotFoundException"
	CodeNoSuchJob   = "NoSuchJobException"
)

// Code returns the error code AWS answered with, or "" when err is not an API error.
func Code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Is reports whether err is an API error with one of codes.
func Is(err error, codes ...string) bool {
	c := Code(err)
	if c == "" {
		return false
	}
	for _, want := range codes {
		if c == want {
			return true
		}
	}
	return false
}

// HTTPStatus returns the HTTP status of the response err came with, or 0.
func HTTPStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// IsAccessDenied recognises a refusal by S3 (AccessDenied) or KMS (AccessDeniedException).
func IsAccessDenied(err error) bool {
	return Is(err, CodeAccessDenied, CodeKMSAccessDenied)
}
