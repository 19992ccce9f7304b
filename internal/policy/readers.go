package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// A bucket's readers are the principals that read its objects and must still be able to once the
// bucket is encrypted under its KMS key: reading an SSE-KMS object needs kms:Decrypt on the key as
// well as s3:GetObject. sseguard finds the readers a bucket policy grants and refuses a switch that
// would lock one out, unless the bucket lists it under readers (the key policy then lets it decrypt
// through S3) or under accept_lost_readers (its loss of access is intended).

var (
	// servicePrincipalRE is an AWS service principal as a bucket policy names it
	// (logging.s3.amazonaws.com, cloudfront.amazonaws.com, delivery.logs.amazonaws.com).
	servicePrincipalRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.amazonaws\.com(\.cn)?$`)
	// canonicalUserRE is an S3 canonical user id (how an origin access identity may be named).
	canonicalUserRE = regexp.MustCompile(`^[0-9a-f]{64}$`)
	// oaiRE is an origin access identity's principal ARN.
	oaiRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::cloudfront:user/CloudFront Origin Access Identity [A-Z0-9]+$`)
)

// readers checks a bucket's readers: role, user or account root ARNs of the home account or a
// trusted one (the key policy grants each of them decrypt), each once.
func (c *checker) readers(f field, tr trust) []string {
	if c.emptyList(f, "readers is empty; list the principals that read the bucket (role, user or account root ARNs), or remove the field") {
		return nil
	}
	list, nodes, _ := c.strList(f, "readers")
	var out []string
	for i, s := range list {
		acct, p := parsePrincipal("readers entry", s, true)
		if accountRE.MatchString(s) {
			p = fmt.Sprintf("readers entry %q is an account id; name the account by its root ARN (arn:aws:iam::%s:root)", s, s)
		}
		if p != "" {
			c.errorf(nodes[i], "%s", p)
			continue
		}
		if why := tr.outside("readers entry", s, acct); why != "" {
			c.errorf(nodes[i], "%s", why)
			continue
		}
		out = append(out, s)
	}
	return out
}

// lostReaders checks a bucket's accept_lost_readers: readers as the bucket policy names them,
// whose loss of access is intended. Any account may be listed (nothing is granted to it).
func (c *checker) lostReaders(f field) []string {
	if c.emptyList(f, "accept_lost_readers is empty; list the readers whose loss of access is intended, or remove the field") {
		return nil
	}
	list, nodes, _ := c.strList(f, "accept_lost_readers")
	var out []string
	for i, s := range list {
		if p := lostReaderProblem(s); p != "" {
			c.errorf(nodes[i], "%s", p)
			continue
		}
		out = append(out, s)
	}
	return out
}

// lostReaderProblem says why s cannot name a reader, or "" when it can: an IAM or STS principal
// ARN, an account id, "*" (everyone a bucket policy opens the bucket to), a service principal, an
// origin access identity (by ARN or canonical user id), or an S3 access point ARN.
func lostReaderProblem(s string) string {
	const want = "a reader as the bucket policy names it: a role, user or account root ARN, an account id, \"*\", a service principal (logging.s3.amazonaws.com), an origin access identity or an S3 access point ARN"
	switch {
	case s == "*", accountRE.MatchString(s), servicePrincipalRE.MatchString(s), canonicalUserRE.MatchString(s), oaiRE.MatchString(s):
		return ""
	case !strings.HasPrefix(s, "arn:"):
		return fmt.Sprintf("accept_lost_readers entry %q must be %s", s, want)
	}
	a, err := arn.Parse(s)
	if err != nil {
		return fmt.Sprintf("accept_lost_readers entry %q is not a valid ARN: %v", s, err)
	}
	switch a.Service {
	case "iam":
		if _, p := parsePrincipal("accept_lost_readers entry", s, true); p != "" {
			return p
		}
		return ""
	case "sts":
		if arnProblem(a, "sts") == "" && a.Region == "" && hasName(a.Resource, "assumed-role/") {
			return ""
		}
	case "s3":
		if arnProblem(a, "s3") == "" && regionRE.MatchString(a.Region) && hasName(a.Resource, "accesspoint/") {
			return ""
		}
	}
	return fmt.Sprintf("accept_lost_readers entry %q must be %s", s, want)
}

// readerFields checks readers and accept_lost_readers of a bucket, and that no principal is in both.
func (c *checker) readerFields(fs map[string]field, b *Bucket, tr trust) {
	rf, hasReaders := fs["readers"]
	if hasReaders {
		b.Readers = c.readers(rf, tr)
	}
	lf, hasLost := fs["accept_lost_readers"]
	if hasLost {
		b.AcceptLostReaders = c.lostReaders(lf)
	}
	for _, r := range b.Readers {
		if contains(b.AcceptLostReaders, r) {
			c.errorf(lf.at, "%q is under both readers (which keeps its access) and accept_lost_readers (which gives it up); keep it in one", r)
		}
	}
}
