package awserr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

func TestCodes(t *testing.T) {
	t.Parallel()
	s3Denied := fmt.Errorf("get policy: %w", &smithy.GenericAPIError{Code: "AccessDenied", Message: "Access Denied"})
	kmsDenied := fmt.Errorf("describe: %w", &smithy.GenericAPIError{Code: "AccessDeniedException"})
	withStatus := &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 412}},
		Err: &smithy.GenericAPIError{Code: "PreconditionFailed"}}}
	for name, tc := range map[string]struct {
		err        error
		code       string
		denied     bool
		status     int
		isNotFound bool
	}{
		"S3 access denied":  {err: s3Denied, code: CodeAccessDenied, denied: true},
		"KMS access denied": {err: kmsDenied, code: CodeKMSAccessDenied, denied: true},
		"with a status":     {err: withStatus, code: CodePreconditionFailed, status: 412},
		"not an API error":  {err: errors.New("dial tcp: refused")},
		"nil":               {},
		"not found":         {err: &smithy.GenericAPIError{Code: "NoSuchBucketPolicy"}, code: CodeNoSuchBucketPolicy, isNotFound: true},
	} {
		if got := Code(tc.err); got != tc.code {
			t.Errorf("%s: Code = %q, want %q", name, got, tc.code)
		}
		if got := IsAccessDenied(tc.err); got != tc.denied {
			t.Errorf("%s: IsAccessDenied = %v", name, got)
		}
		if got := HTTPStatus(tc.err); got != tc.status {
			t.Errorf("%s: HTTPStatus = %d, want %d", name, got, tc.status)
		}
		if got := Is(tc.err, CodeNoSuchBucketPolicy, CodeNotFound); got != tc.isNotFound {
			t.Errorf("%s: Is(not found) = %v", name, got)
		}
	}
}
