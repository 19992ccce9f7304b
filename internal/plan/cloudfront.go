package plan

import (
	"slices"
	"sort"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
)

// WarnCloudFrontOAI: the bucket policy of an SSE-KMS bucket grants a CloudFront origin access
// identity, which cannot decrypt SSE-KMS objects ("Restrict access to an Amazon S3 origin",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html:
// origin access control supports SSE-KMS, "OAI doesn't"): downloads through it fail.
const WarnCloudFrontOAI = "cloudfront-oai-sse-kms"

// sortedSet returns the keys of a set, sorted.
func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// keyPolicyBefore says what an update-key-policy change fixes: what the policy lacks, or only
// sseguard's own CloudFront statement being out of date.
func keyPolicyBefore(fixable []iampolicy.Finding, stale bool) string {
	switch {
	case len(fixable) > 0 && stale:
		return keyFindingsSummary(fixable) + "; sseguard's CloudFront statement names other distributions than the policy file"
	case len(fixable) > 0:
		return keyFindingsSummary(fixable)
	}
	return "sseguard's CloudFront statement names other distributions than the policy file (or none are asked for any more)"
}

// warnOAI warns when an SSE-KMS bucket's policy grants CloudFront origin access identities: the
// bucket's objects are encrypted under a KMS key, and an OAI cannot decrypt them.
func (bc *bucketPlan) warnOAI() {
	if bc.b.Encryption != policy.SSEKMS || bc.observed == nil || bc.observed.Policy == "" {
		return
	}
	doc, err := iampolicy.Parse(bc.observed.Policy)
	if err != nil {
		return // the bucket policy step blocks a policy it cannot judge, and says why
	}
	oais := iampolicy.OriginAccessIdentities(doc)
	if len(oais) == 0 {
		return
	}
	names := make([]string, len(oais))
	for i, o := range oais {
		names[i] = o.String()
	}
	bc.warn(WarnCloudFrontOAI, "the bucket policy of %s grants CloudFront %s, but the bucket is SSE-KMS: an origin access identity cannot decrypt SSE-KMS objects, so downloads through it fail. Switch the distribution to origin access control (OAC) and list its ARN under cloudfront_distributions so the key policy lets CloudFront use the key",
		bc.b.Name, strings.Join(names, ", "))
}

// distributionsTrusted blocks the bucket when a CloudFront distribution it lists is in an account
// that is neither the home account nor trusted: the key policy would let CloudFront use the key
// for another account's distribution. With account: set, validation already refused it.
func (bc *bucketPlan) distributionsTrusted() bool {
	ok := true
	for _, d := range bc.b.CloudFrontDistributions {
		acct := iampolicy.AccountOf(d)
		if acct == "" || acct == bc.c.st.Account || slices.Contains(bc.c.pol.TrustedAccounts, acct) {
			continue
		}
		bc.block(BlockPrincipalOtherAccount, "CloudFront distribution %s is in account %s, not this account (%s) nor one listed under trusted_accounts: sseguard does not let it use the key; list %s under trusted_accounts if it may",
			d, acct, bc.c.st.Account, acct)
		ok = false
	}
	return ok
}
