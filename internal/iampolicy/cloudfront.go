package iampolicy

import (
	"fmt"
	"slices"
	"strings"
)

// CloudFront origin access control and SSE-KMS, as "Restrict access to an Amazon S3 origin"
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html)
// documents it: OAC supports "Amazon S3 server-side encryption with AWS KMS (SSE-KMS)", and
// "OAI doesn't". For SSE-KMS objects the key policy must let the CloudFront service principal
// (cloudfront.amazonaws.com) use the key, with kms:Decrypt, kms:Encrypt and kms:GenerateDataKey*
// (the page's example statement, "AllowCloudFrontServicePrincipalSSE-KMS"), on condition that
// AWS:SourceArn (StringEquals) is the distribution's ARN, so only requests on behalf of that
// distribution may use the key.

// ServiceCloudFront is CloudFront's service principal.
const ServiceCloudFront = "cloudfront.amazonaws.com"

// SidCloudFront is the Sid of sseguard's key policy statement for CloudFront origin access control.
const SidCloudFront = SidPrefix + "CloudFrontOriginAccessControl"

// KeySourceArn is the global condition key naming the resource a service acts for ("AWS global
// condition context keys", aws:SourceArn,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html);
// spelled as CloudFront's page spells it (condition key names are case-insensitive).
const KeySourceArn = "AWS:SourceArn"

// CloudFrontActions are the key actions CloudFront's page grants the service principal.
var CloudFrontActions = []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"}

// cloudFrontActionsConcrete are CloudFrontActions as the checks evaluate them.
var cloudFrontActionsConcrete = []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}

// Finding codes of the CloudFront checks.
const (
	// CodeCloudFrontMissing: the key policy does not let CloudFront use the key for a distribution.
	CodeCloudFrontMissing = "cloudfront-missing"
	// CodeCloudFrontDenied: a Deny sseguard does not own refuses CloudFront the key for a distribution.
	CodeCloudFrontDenied = "cloudfront-denied"
)

// CloudFrontStatement returns sseguard's statement letting CloudFront use the key for requests
// from the distributions (sorted, each once). It returns false when there are none.
func CloudFrontStatement(distributions []string) (Statement, bool) {
	dists := sortedUnique(distributions)
	if len(dists) == 0 {
		return Statement{}, false
	}
	return Statement{
		Sid: SidCloudFront, Effect: EffectAllow, Principal: &Principal{Service: []string{ServiceCloudFront}},
		Action: append([]string(nil), CloudFrontActions...), Resource: []string{"*"},
		Condition: map[string]map[string][]string{"StringEquals": {KeySourceArn: dists}},
	}, true
}

// CloudFrontStale reports whether doc holds sseguard's CloudFront statement and it is not the one
// the distributions ask for (none asked for, or other distributions): it must be rewritten or
// removed. Statements of others are never stale.
func CloudFrontStale(doc *Document, distributions []string) bool {
	want, ok := CloudFrontStatement(distributions)
	return ownedStale(doc, SidCloudFront, want, ok)
}

// checkCloudFront requires, for each distribution, that CloudFront acting for it may use the key.
func (c *checker) checkCloudFront(distributions []string, resource string) {
	for _, d := range sortedUnique(distributions) {
		who := "CloudFront distribution " + d
		extra := map[string][]string{KeySourceArn: {d}}
		if acct := AccountOf(d); acct != "" {
			extra["aws:SourceAccount"] = []string{acct}
		}
		var missing, denied []string
		var refs []StatementRef
		foreign := false
		for _, act := range cloudFrontActionsConcrete {
			res := c.eval(Request{Principal: ServiceCloudFront, Action: act, Resource: resource, Context: callerContext(ServiceCloudFront, extra)}, EvalOptions{})
			switch res.Decision {
			case ExplicitDeny:
				denied = append(denied, act)
				for _, r := range append(append([]StatementRef(nil), res.Denied...), res.MaybeDenied...) {
					if !slices.Contains(refs, r) {
						refs = append(refs, r)
					}
					foreign = foreign || !strings.HasPrefix(r.Sid, SidPrefix)
				}
			case ImplicitDeny:
				missing = append(missing, act)
			}
		}
		if len(denied) > 0 {
			c.findings = append(c.findings, Finding{
				Code: CodeCloudFrontDenied, Principal: who, Actions: denied, Sid: refsString(refs), Blocker: foreign,
				Message: fmt.Sprintf("an explicit Deny (%s) refuses %s (%s) %s, needed to serve SSE-KMS objects through origin access control; adding statements cannot fix that",
					refsString(refs), ServiceCloudFront, who, strings.Join(denied, ", ")),
			})
		}
		if len(missing) > 0 {
			c.findings = append(c.findings, Finding{
				Code: CodeCloudFrontMissing, Principal: who, Actions: missing, Sid: SidCloudFront,
				Message: fmt.Sprintf("the key policy does not allow %s %s for %s, needed to serve SSE-KMS objects through origin access control",
					ServiceCloudFront, strings.Join(missing, ", "), who),
			})
		}
	}
}

// OriginAccessIdentity is a CloudFront origin access identity (OAI) a bucket policy grants.
type OriginAccessIdentity struct {
	// ID is the identity's id (from its principal ARN), or the canonical user id when the policy
	// names it as a CanonicalUser.
	ID string
	// Canonical is true when the policy names a canonical user, which is how an OAI may be
	// named (and the only thing a canonical user principal can be in a bucket policy written for
	// CloudFront).
	Canonical bool
}

// String names the identity for people.
func (o OriginAccessIdentity) String() string {
	if o.Canonical {
		return "canonical user " + o.ID + " (how an origin access identity may be named)"
	}
	return "origin access identity " + o.ID
}

// oaiARNMarker is in the principal ARN of every origin access identity: bucket policies name an
// OAI as arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ID, or by its S3 canonical
// user id ("Restrict access to an Amazon S3 origin", above).
const oaiARNMarker = ":iam::cloudfront:user/CloudFront Origin Access Identity "

// OriginAccessIdentities lists the origin access identities the Allow statements of a bucket
// policy grant (nil doc: none), sorted, each once. An OAI cannot decrypt SSE-KMS objects: on an
// SSE-KMS bucket, downloads through it fail.
func OriginAccessIdentities(d *Document) []OriginAccessIdentity {
	var out []OriginAccessIdentity
	for _, g := range d.Grants() {
		if g.Effect != EffectAllow {
			continue
		}
		for _, p := range g.Principals {
			var o OriginAccessIdentity
			switch {
			case p.Type == "AWS" && strings.Contains(p.Value, oaiARNMarker):
				o = OriginAccessIdentity{ID: p.Value[strings.Index(p.Value, oaiARNMarker)+len(oaiARNMarker):]}
			case p.Type == "CanonicalUser":
				o = OriginAccessIdentity{ID: p.Value, Canonical: true}
			default:
				continue
			}
			if !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	slices.SortFunc(out, func(a, b OriginAccessIdentity) int { return strings.Compare(a.String(), b.String()) })
	return out
}
