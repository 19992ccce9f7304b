package plan

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/state"
)

const (
	distA     = "arn:aws:cloudfront::111122223333:distribution/EDFDVBD632BHDS5"
	distB     = "arn:aws:cloudfront::111122223333:distribution/E2QWRUHAPOMQZL"
	distOther = "arn:aws:cloudfront::999988887777:distribution/E3OTHER"
)

// awsDocCloudFront is the example statement of "Restrict access to an Amazon S3 origin" (SSE-KMS),
// someone else's statement to sseguard.
const awsDocCloudFront = `{"Sid":"AllowCloudFrontServicePrincipalSSE-KMS","Effect":"Allow","Principal":{"Service":["cloudfront.amazonaws.com"]},` +
	`"Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"AWS:SourceArn":"` + distA + `"}}}`

// keyPolicyWith is the console's key policy for the transcoder, with sseguard's CloudFront
// statement for dists (none: without it) and extra statements of others.
func keyPolicyWith(t *testing.T, dists []string, extra ...string) string {
	t.Helper()
	text, err := iampolicy.KeyPolicy(iampolicy.KeyPolicySpec{Account: acct, Users: []string{role}, CloudFrontDistributions: dists}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range extra {
		text = strings.Replace(text, `"Statement": [`, `"Statement": [`+e+`,`, 1)
	}
	return text
}

// cloudFrontStatement returns the distributions of sseguard's CloudFront statement in a key
// policy (nil: none), and the Sids of every statement.
func cloudFrontStatement(t *testing.T, text string) ([]string, []string) {
	t.Helper()
	d, err := iampolicy.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	var dists, sids []string
	for _, s := range d.Statements {
		sids = append(sids, s.Sid)
		if s.Sid == iampolicy.SidCloudFront {
			dists = s.Condition["StringEquals"][iampolicy.KeySourceArn]
		}
	}
	return dists, sids
}

func TestCloudFrontKeyPolicy(t *testing.T) {
	t.Parallel()
	ref := state.KeyRef{Region: "us-east-1", Ref: "alias/media"}
	bucket := func(name string, dists ...string) policy.Bucket {
		b := kmsBucket(name, "alias/media")
		b.TranscoderPrincipal = role
		b.CloudFrontDistributions = dists
		return b
	}
	change := "update-key-policy/us-east-1/" + keyARN
	for name, tc := range map[string]struct {
		buckets []policy.Bucket
		policy  string
		trusted []string
		want    kinds
		// dists is sseguard's statement after the change (nil: none); kept are Sids that must remain.
		dists []string
		kept  []string
	}{
		"added to a policy without it": {
			buckets: []policy.Bucket{bucket("b", distA)}, policy: keyPolicyWith(t, nil),
			want: kinds{Changes: []string{change}}, dists: []string{distA}, kept: []string{iampolicy.SidKeyUse}},
		"in sync": {
			buckets: []policy.Bucket{bucket("b", distA)}, policy: keyPolicyWith(t, []string{distA}), want: kinds{}},
		"someone else's statement already grants it: in sync, left alone": {
			buckets: []policy.Bucket{bucket("b", distA)}, policy: keyPolicyWith(t, nil, awsDocCloudFront), want: kinds{}},
		"buckets sharing the key: distributions combined, sorted": {
			buckets: []policy.Bucket{bucket("b", distA), bucket("c", distB, distA)}, policy: keyPolicyWith(t, []string{distA}),
			want: kinds{Changes: []string{change}}, dists: []string{distB, distA}},
		"no longer asked for: sseguard's statement removed, others' kept": {
			buckets: []policy.Bucket{bucket("b")}, policy: keyPolicyWith(t, []string{distA, distB}, awsDocCloudFront),
			want: kinds{Changes: []string{change}}, kept: []string{"AllowCloudFrontServicePrincipalSSE-KMS", iampolicy.SidKeyUse, iampolicy.SidKeyGrants}},
		"one distribution dropped": {
			buckets: []policy.Bucket{bucket("b", distB)}, policy: keyPolicyWith(t, []string{distA, distB}),
			want: kinds{Changes: []string{change}}, dists: []string{distB}},
		"someone else's statement alone is never removed": {
			buckets: []policy.Bucket{bucket("b")}, policy: keyPolicyWith(t, nil, awsDocCloudFront), want: kinds{}},
		"a distribution of an untrusted account: blocked": {
			buckets: []policy.Bucket{bucket("b", distOther)}, policy: keyPolicyWith(t, nil),
			want: kinds{Blockers: []string{BlockPrincipalOtherAccount + "/b"}}},
		"a distribution of a trusted account": {
			buckets: []policy.Bucket{bucket("b", distOther)}, policy: keyPolicyWith(t, nil), trusted: []string{"999988887777"},
			want: kinds{Changes: []string{change}}, dists: []string{distOther}},
		"a foreign deny for cloudfront: blocked": {
			buckets: []policy.Bucket{bucket("b", distA)},
			policy:  keyPolicyWith(t, nil, `{"Sid":"NoCloudFront","Effect":"Deny","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"kms:*","Resource":"*"}`),
			want:    kinds{Blockers: []string{BlockKeyPolicyConflict + "/b"}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			buckets := map[string]*state.Bucket{}
			for _, b := range tc.buckets {
				buckets[b.Name] = existing(b.Name, "us-east-1", compliantRule())
			}
			st := newState(buckets, map[state.KeyRef]*state.Key{ref: keyWith(tc.policy, true)})
			p := Compute(&policy.Policy{Buckets: tc.buckets, TrustedAccounts: tc.trusted}, st)
			if got := view(p); !equalKinds(got, tc.want) {
				t.Fatalf("plan = %+v, want %+v\n%+v", got, tc.want, p.Blockers)
			}
			ch, ok := p.Change(change)
			if !ok {
				return
			}
			dists, sids := cloudFrontStatement(t, ch.Document)
			if diff := cmp.Diff(tc.dists, dists); diff != "" {
				t.Errorf("sseguard's CloudFront statement (-want +got):\n%s", diff)
			}
			for _, k := range append(tc.kept, iampolicy.SidRootEnableIAMPermissions) {
				if !slices.Contains(sids, k) {
					t.Errorf("statement %q dropped; document:\n%s", k, ch.Document)
				}
			}
			if tc.dists == nil && !strings.Contains(strings.Join(ch.Details, "\n"), "removed statement "+iampolicy.SidCloudFront) {
				t.Errorf("details do not say the statement is removed: %q", ch.Details)
			}
		})
	}
}

// The document does not depend on the order of the buckets in the file.
func TestCloudFrontKeyPolicyOrder(t *testing.T) {
	t.Parallel()
	ref := state.KeyRef{Region: "us-east-1", Ref: "alias/media"}
	b1, b2 := kmsBucket("b", "alias/media"), kmsBucket("c", "alias/media")
	b1.CloudFrontDistributions, b2.CloudFrontDistributions = []string{distA}, []string{distB}
	docs := map[string]bool{}
	for _, order := range [][]policy.Bucket{{b1, b2}, {b2, b1}} {
		st := newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", compliantRule()), "c": existing("c", "us-east-1", compliantRule())},
			map[state.KeyRef]*state.Key{ref: keyWith(rootOnly(), true)})
		p := Compute(&policy.Policy{Buckets: order}, st)
		ch, ok := p.Change("update-key-policy/us-east-1/" + keyARN)
		if !ok {
			t.Fatalf("no key policy change: %+v", view(p))
		}
		docs[ch.Document] = true
	}
	if len(docs) != 1 {
		t.Errorf("%d different documents for the same buckets in another order", len(docs))
	}
}

// A key created by the plan gets the statement in its first policy.
func TestCloudFrontNewKey(t *testing.T) {
	t.Parallel()
	ref := state.KeyRef{Region: "us-east-1", Ref: "alias/media"}
	b := kmsBucket("b", "alias/media")
	b.CloudFrontDistributions = []string{distA}
	st := newState(map[string]*state.Bucket{"b": existing("b", "us-east-1", nil)}, map[state.KeyRef]*state.Key{ref: {Found: false}})
	p := Compute(&policy.Policy{Buckets: []policy.Bucket{b}}, st)
	ch, ok := p.Change("create-key/us-east-1/alias/media")
	if !ok || ch.Key == nil {
		t.Fatalf("no create-key change: %+v", view(p))
	}
	if dists, _ := cloudFrontStatement(t, ch.Key.Policy); !cmp.Equal(dists, []string{distA}) {
		t.Errorf("new key's CloudFront statement names %v, want [%s]", dists, distA)
	}
	found := false
	for _, g := range ch.Grants {
		if g.Sid == iampolicy.SidCloudFront {
			found = true
			if !cmp.Equal(g.Principals, []string{iampolicy.ServiceCloudFront}) || len(g.Conditions) != 1 {
				t.Errorf("grant %+v", g)
			}
		}
	}
	if !found {
		t.Errorf("the plan does not show the CloudFront grant: %+v", ch.Grants)
	}
}

func TestCloudFrontOAIWarning(t *testing.T) {
	t.Parallel()
	ref := state.KeyRef{Region: "us-east-1", Ref: keyARN}
	oai := `{"Version":"2012-10-17","Statement":[{"Sid":"OAI","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	oac := `{"Version":"2012-10-17","Statement":[{"Sid":"OAC","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"AWS:SourceArn":"` + distA + `"}}}]}`
	sseS3 := policy.Bucket{Name: "b", Encryption: policy.SSES3, Pos: policy.Pos{Line: 10}}
	for name, tc := range map[string]struct {
		bucket policy.Bucket
		policy string
		want   []string
	}{
		"sse-kms with an oai": {bucket: kmsBucket("b", keyARN), policy: oai,
			want: []string{"the bucket policy of b grants CloudFront origin access identity E2QWRUHAPOMQZL, but the bucket is SSE-KMS: an origin access identity cannot decrypt SSE-KMS objects, so downloads through it fail. Switch the distribution to origin access control (OAC) and list its ARN under cloudfront_distributions so the key policy lets CloudFront use the key"}},
		"sse-kms with oac":         {bucket: kmsBucket("b", keyARN), policy: oac},
		"sse-s3 with an oai":       {bucket: sseS3, policy: oai},
		"sse-kms without a policy": {bucket: kmsBucket("b", keyARN)},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ob := existing("b", "us-east-1", compliantRule())
			if tc.bucket.Encryption == policy.SSES3 {
				ob.Encryption = &state.Rule{Algorithm: AlgAES256}
			}
			ob.Policy = tc.policy
			st := newState(map[string]*state.Bucket{"b": ob}, map[state.KeyRef]*state.Key{ref: keyWith(rootOnly(), true)})
			p := Compute(&policy.Policy{Buckets: []policy.Bucket{tc.bucket}}, st)
			var got []string
			for _, w := range p.Warnings {
				if w.Code == WarnCloudFrontOAI {
					if w.Bucket != "b" || w.Line != 10 {
						t.Errorf("warning %+v", w)
					}
					got = append(got, w.Message)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}
