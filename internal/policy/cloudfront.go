package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// distributionIDRE is a CloudFront distribution id: upper-case letters and digits, as in the
// ARN CloudFront returns ("Distribution", ARN,
// https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_Distribution.html: "For example:
// arn:aws:cloudfront::123456789012:distribution/EDFDVBD632BHDS5"). No wildcard: the key policy
// names each distribution exactly.
var distributionIDRE = regexp.MustCompile(`^[A-Z0-9]+$`)

// distributions checks a bucket's cloudfront_distributions: a non-empty list of distribution
// ARNs, each in the home account or a trusted one (CloudFront acts for the distribution's owner).
func (c *checker) distributions(f field, tr trust) []string {
	if c.emptyList(f, "cloudfront_distributions is empty; list the distributions' ARNs (arn:aws:cloudfront::ACCOUNT:distribution/ID), or remove the field") {
		return nil
	}
	list, nodes, _ := c.strList(f, "cloudfront_distributions")
	var out []string
	for i, s := range list {
		acct, p := parseDistribution(s)
		if p != "" {
			c.errorf(nodes[i], "%s", p)
			continue
		}
		if why := tr.outside("cloudfront_distributions entry", s, acct); why != "" {
			c.errorf(nodes[i], "%s", why)
			continue
		}
		out = append(out, s)
	}
	return out
}

// parseDistribution checks a CloudFront distribution ARN, arn:PARTITION:cloudfront::ACCOUNT:distribution/ID
// (CloudFront is global: the ARN has no region), and returns its account.
func parseDistribution(s string) (string, string) {
	const want = "a CloudFront distribution ARN (arn:aws:cloudfront::ACCOUNT:distribution/ID)"
	a, err := arn.Parse(s)
	if err != nil {
		return "", fmt.Sprintf("cloudfront_distributions entry %q must be %s", s, want)
	}
	if p := arnProblem(a, "cloudfront"); p != "" {
		return "", fmt.Sprintf("cloudfront_distributions entry %q: %s; it must be %s", s, p, want)
	}
	if a.Region != "" {
		return "", fmt.Sprintf("cloudfront_distributions entry %q: CloudFront ARNs have no region (arn:aws:cloudfront::ACCOUNT:distribution/ID)", s)
	}
	id, ok := strings.CutPrefix(a.Resource, "distribution/")
	switch {
	case !ok:
		return "", fmt.Sprintf("cloudfront_distributions entry %q must be %s", s, want)
	case !distributionIDRE.MatchString(id):
		return "", fmt.Sprintf("cloudfront_distributions entry %q: %q is not a distribution id (upper-case letters and digits, like EDFDVBD632BHDS5)", s, id)
	}
	return a.AccountID, ""
}
