package objects

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/sseguard/sseguard/internal/awserr"
	"github.com/sseguard/sseguard/internal/iampolicy"
)

// bucketPolicy is a bucket's policy, parsed on first use to explain a refused copy.
type bucketPolicy struct {
	text string
	once sync.Once
	doc  *iampolicy.Document
}

func newBucketPolicy(text string) *bucketPolicy {
	return &bucketPolicy{text: text}
}

// document is the parsed policy, nil when there is none or it does not parse (then nothing can
// be explained from it).
func (p *bucketPolicy) document() *iampolicy.Document {
	p.once.Do(func() {
		if strings.TrimSpace(p.text) == "" {
			return
		}
		if doc, err := iampolicy.Parse(p.text); err == nil {
			p.doc = doc
		}
	})
	return p.doc
}

// explainRefusal names the bucket policy statements that deny the copy of key, when S3 refused
// it with AccessDenied; "" when it did not, or when the bucket policy names none (the refusal
// then comes from elsewhere: an IAM policy, a KMS key policy, an SCP...).
//
// A copy is authorised as s3:PutObject on the destination object, with the request's encryption
// headers as the condition keys s3:x-amz-server-side-encryption and
// s3:x-amz-server-side-encryption-aws-kms-key-id (Amazon S3 User Guide, "Bucket policy examples
// using condition keys", https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html; Service
// Authorization Reference, "Actions, resources, and condition keys for Amazon S3",
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html), over
// TLS (aws:SecureTransport true). The caller is not known here, so the request is evaluated as
// made by no particular principal: statements for everyone ("*") apply, those naming principals
// do not.
func (r *runner) explainRefusal(err error, key string) string {
	if !awserr.Is(err, awserr.CodeAccessDenied) {
		return ""
	}
	doc := r.policy.document()
	if doc == nil {
		return ""
	}
	ctx := map[string][]string{
		iampolicy.KeySSEHeader:       {r.t.Algorithm},
		iampolicy.KeySecureTransport: {"true"},
	}
	if r.t.Algorithm == AlgorithmKMS {
		ctx[iampolicy.KeySSEKMSKeyIDHeader] = []string{r.t.KeyARN}
	}
	res := doc.Explain(iampolicy.Request{
		Action:   "s3:PutObject",
		Resource: fmt.Sprintf("arn:%s:s3:::%s/%s", r.t.partition(), r.t.Bucket, key),
		Context:  ctx,
	}, iampolicy.EvalOptions{})
	var parts []string
	if s := refs(res.Denied); s != "" {
		parts = append(parts, "refused by bucket policy "+s)
	}
	if s := refs(res.MaybeDenied); s != "" {
		parts = append(parts, "possibly refused by bucket policy "+s+" (a condition sseguard cannot judge)")
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

// refs renders statements as `statement "Sid"` or `statements "A", "B"` (statement #n for one
// without a Sid; Sids are quoted, so whatever the policy's author wrote shows as text).
func refs(rs []iampolicy.StatementRef) string {
	if len(rs) == 0 {
		return ""
	}
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = r.String()
	}
	sort.Strings(s)
	if len(s) == 1 {
		return "statement " + s[0]
	}
	return "statements " + strings.Join(s, ", ")
}

// partition is the ARN partition of the target's bucket: the required key's, when it is named by
// ARN, else the one its region belongs to (IAM User Guide, "Identify AWS resources with Amazon
// Resource Names (ARNs)", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html: aws, aws-cn for the China
// Regions, aws-us-gov for AWS GovCloud (US)).
func (t Target) partition() string {
	if p, ok := strings.CutPrefix(t.KeyARN, "arn:"); ok {
		if i := strings.IndexByte(p, ':'); i > 0 {
			return p[:i]
		}
	}
	switch {
	case strings.HasPrefix(t.Region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(t.Region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}
