package iampolicy

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	distA = "arn:aws:cloudfront::111122223333:distribution/EDFDVBD632BHDS5"
	distB = "arn:aws:cloudfront::111122223333:distribution/E2QWRUHAPOMQZL"
	// distOther is in an account that is neither home nor trusted.
	distOther = "arn:aws:cloudfront::999988887777:distribution/E3OTHER"
)

// awsDocCloudFront is the example statement of "Restrict access to an Amazon S3 origin" (SSE-KMS),
// as a user who followed the page by hand has it.
var awsDocCloudFront = `{"Sid":"AllowCloudFrontServicePrincipalSSE-KMS","Effect":"Allow","Principal":{"Service":["cloudfront.amazonaws.com"]},` +
	`"Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"AWS:SourceArn":"` + distA + `"}}}`

func TestCloudFrontStatement(t *testing.T) {
	t.Parallel()
	if _, ok := CloudFrontStatement(nil); ok {
		t.Error("no distributions: a statement")
	}
	s, ok := CloudFrontStatement([]string{distB, distA, distB})
	if !ok || s.Sid != SidCloudFront || !s.Owned() {
		t.Fatalf("statement %+v, %v", s, ok)
	}
	if got := s.Condition["StringEquals"][KeySourceArn]; !slices.Equal(got, []string{distB, distA}) {
		t.Errorf("source ARNs %v: want sorted, each once", got)
	}
	if !slices.Equal(s.Principal.Service, []string{ServiceCloudFront}) || !slices.Equal(s.Action, CloudFrontActions) {
		t.Errorf("statement %+v", s)
	}
}

func TestCheckKeyPolicyCloudFront(t *testing.T) {
	t.Parallel()
	root := stmt("Allow", `{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, `"*"`, "")
	req := KeyRequirements{Account: acct, KeyARN: keyARN, CloudFrontDistributions: []string{distA, distB}}
	type finding struct{ Code, Principal string }
	for name, tc := range map[string]struct {
		doc     string
		req     KeyRequirements
		want    []finding
		blocker bool
	}{
		"none granted": {doc: doc(root), req: req, want: []finding{
			{CodeCloudFrontMissing, "CloudFront distribution " + distB}, {CodeCloudFrontMissing, "CloudFront distribution " + distA}}},
		"aws's example statement covers its distribution only": {doc: doc(root, awsDocCloudFront), req: req, want: []finding{
			{CodeCloudFrontMissing, "CloudFront distribution " + distB}}},
		"aws's example statement is enough for it": {doc: doc(root, awsDocCloudFront), req: KeyRequirements{Account: acct, KeyARN: keyARN, CloudFrontDistributions: []string{distA}}},
		"decrypt only is not enough": {doc: doc(root, stmt("Allow", `{"Service":"cloudfront.amazonaws.com"}`, `"kms:Decrypt"`, `"*"`, `{"StringEquals":{"aws:sourcearn":"`+distA+`"}}`)),
			req: KeyRequirements{Account: acct, KeyARN: keyARN, CloudFrontDistributions: []string{distA}}, want: []finding{{CodeCloudFrontMissing, "CloudFront distribution " + distA}}},
		"another distribution's grant does not count": {doc: doc(root, stmt("Allow", `{"Service":"cloudfront.amazonaws.com"}`, `"kms:*"`, `"*"`, `{"StringEquals":{"AWS:SourceArn":"`+distB+`"}}`)),
			req: KeyRequirements{Account: acct, KeyARN: keyARN, CloudFrontDistributions: []string{distA}}, want: []finding{{CodeCloudFrontMissing, "CloudFront distribution " + distA}}},
		"a foreign deny blocks": {doc: doc(root, awsDocCloudFront, stmt("Deny", `{"Service":"cloudfront.amazonaws.com"}`, `"kms:Decrypt"`, `"*"`, "")),
			req: KeyRequirements{Account: acct, KeyARN: keyARN, CloudFrontDistributions: []string{distA}}, want: []finding{{CodeCloudFrontDenied, "CloudFront distribution " + distA}}, blocker: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d, err := Parse(tc.doc)
			if err != nil {
				t.Fatal(err)
			}
			var got []finding
			blocker := false
			for _, f := range CheckKeyPolicy(d, tc.req) {
				got = append(got, finding{f.Code, f.Principal})
				blocker = blocker || f.Blocker
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if blocker != tc.blocker {
				t.Errorf("blocker %v, want %v", blocker, tc.blocker)
			}
		})
	}
}

// sseguard's statement, merged in, satisfies the check and is not taken for the key being open to
// outsiders: its AWS:SourceArn pins the home (or a trusted) account. A distribution of another
// account is an outsider unless trusted.
func TestCloudFrontStatementPassesCheck(t *testing.T) {
	t.Parallel()
	spec := KeyPolicySpec{Account: acct, Users: []string{transcoder}, CloudFrontDistributions: []string{distA, distB}}
	req := KeyRequirements{Account: acct, KeyARN: keyARN, Users: []string{transcoder}, CloudFrontDistributions: []string{distB, distA}}
	if fs := CheckKeyPolicy(KeyPolicy(spec), req); len(fs) != 0 {
		t.Errorf("findings %+v", fs)
	}
	spec.CloudFrontDistributions = append(spec.CloudFrontDistributions, distOther)
	req.CloudFrontDistributions = spec.CloudFrontDistributions
	if got := codes(CheckKeyPolicy(KeyPolicy(spec), req)); !slices.Equal(got, []string{CodeOutsiderKey}) {
		t.Errorf("untrusted distribution: findings %v, want [%s]", got, CodeOutsiderKey)
	}
	req.TrustedAccounts = []string{"999988887777"}
	if fs := CheckKeyPolicy(KeyPolicy(spec), req); len(fs) != 0 {
		t.Errorf("trusted distribution: findings %+v", fs)
	}
}

func TestCloudFrontStale(t *testing.T) {
	t.Parallel()
	owned := func(dists ...string) string {
		s, _ := CloudFrontStatement(dists)
		d := &Document{Version: Version2012, Statements: []Statement{s}}
		text, err := d.JSON()
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	for name, tc := range map[string]struct {
		doc   string
		want  []string
		stale bool
	}{
		"as asked":                 {doc: owned(distA, distB), want: []string{distB, distA}},
		"no longer asked":          {doc: owned(distA), stale: true},
		"a distribution removed":   {doc: owned(distA, distB), want: []string{distA}, stale: true},
		"a distribution added":     {doc: owned(distA), want: []string{distA, distB}, stale: true},
		"someone else's statement": {doc: doc(awsDocCloudFront)},
		"none, none asked":         {doc: doc(stmt("Allow", `{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, `"*"`, ""))},
		"none, asked: not stale":   {doc: doc(stmt("Allow", `{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, `"*"`, "")), want: []string{distA}},
	} {
		d, err := Parse(tc.doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := CloudFrontStale(d, tc.want); got != tc.stale {
			t.Errorf("%s: stale %v, want %v", name, got, tc.stale)
		}
	}
	if CloudFrontStale(nil, []string{distA}) {
		t.Error("nil document: stale")
	}
}

func TestOriginAccessIdentities(t *testing.T) {
	t.Parallel()
	oai := func(id string) string {
		return `{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ` + id + `"}`
	}
	get := stmt("Allow", oai("E2QWRUHAPOMQZL"), `"s3:GetObject"`, `"arn:aws:s3:::media-hls/*"`, "")
	for name, tc := range map[string]struct {
		doc  string
		want []string
	}{
		"oai": {doc: doc(get, get), want: []string{"origin access identity E2QWRUHAPOMQZL"}},
		"canonical user and oai": {doc: doc(get, stmt("Allow", `{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, `"s3:GetObject"`, `"*"`, "")),
			want: []string{"canonical user 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be (how an origin access identity may be named)", "origin access identity E2QWRUHAPOMQZL"}},
		"deny names no grant": {doc: doc(stmt("Deny", oai("E1"), `"s3:GetObject"`, `"*"`, ""))},
		"oac is not an oai":   {doc: doc(stmt("Allow", `{"Service":"cloudfront.amazonaws.com"}`, `"s3:GetObject"`, `"*"`, `{"StringEquals":{"AWS:SourceArn":"`+distA+`"}}`))},
	} {
		d, err := Parse(tc.doc)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var got []string
		for _, o := range OriginAccessIdentities(d) {
			got = append(got, o.String())
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if got := OriginAccessIdentities(nil); got != nil {
		t.Errorf("nil document: %v", got)
	}
}
