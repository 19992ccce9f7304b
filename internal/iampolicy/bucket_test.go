package iampolicy

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	keyID    = "1234abcd-12ab-34cd-56ef-1234567890ab"
	aliasARN = "arn:aws:kms:us-east-1:111122223333:alias/hls-adaptive-key"
)

var namedSpec = BucketSpec{Bucket: bucketName, Algorithm: AlgorithmKMS, KeyARN: keyARN,
	KeyNames: []string{"alias/hls-adaptive-key", keyID, aliasARN, keyARN, ""}, EnforceOnUpload: true, RequireTLS: true}

// The upload-enforcing Deny accepts the key by every name it answers to and still refuses others.
func TestBucketStatementsAcceptEveryKeyName(t *testing.T) {
	t.Parallel()
	var wrongKey Statement
	for _, s := range BucketStatements(namedSpec) {
		if s.Sid == SidDenyWrongKMSKey {
			wrongKey = s
		}
	}
	want := []string{keyARN, keyID, "alias/hls-adaptive-key", aliasARN}
	if diff := cmp.Diff(want, wrongKey.Condition["StringNotEquals"][KeySSEKMSKeyIDHeader]); diff != "" {
		t.Errorf("StringNotEquals values (-want +got):\n%s", diff)
	}
	d := Merge(nil, BucketStatements(namedSpec))
	put := func(key string) outcome {
		ctx := map[string][]string{KeySSEHeader: {AlgorithmKMS}, KeySSEKMSKeyIDHeader: {key}}
		return outcomeOf(d.Explain(Request{Principal: transcoder, Action: "s3:PutObject", Resource: "arn:aws:s3:::media-hls/a.ts", Context: callerContext(transcoder, ctx)}, EvalOptions{}))
	}
	for _, name := range want {
		if got := put(name); got != outImplicit {
			t.Errorf("upload naming the key as %q: %s, want not denied", name, got)
		}
	}
	for _, other := range []string{"arn:aws:kms:us-east-1:111122223333:key/other", "alias/other", "alias/aws/s3"} {
		if got := put(other); got != outDenied {
			t.Errorf("upload naming %q: %s, want denied", other, got)
		}
	}
	if fs := CheckBucketPolicy(d, namedSpec); len(fs) != 0 {
		t.Errorf("findings on sseguard's own statements: %+v", fs)
	}
}

// A Deny naming the key by ARN alone refuses clients that name it by alias or id: the check says
// so for each name, as something sseguard's own statements fix.
func TestCheckBucketPolicyKeyNames(t *testing.T) {
	t.Parallel()
	old := namedSpec
	old.KeyNames = nil
	before := Merge(nil, BucketStatements(old))
	fs := CheckBucketPolicy(before, namedSpec)
	var names []string
	for _, f := range fs {
		if f.Code != CodeKeyNameDenied || f.Blocker || !strings.Contains(f.Sid, SidDenyWrongKMSKey) {
			t.Errorf("finding: %+v", f)
		}
		names = append(names, f.Message)
	}
	if len(fs) != 3 {
		t.Fatalf("findings: %+v", fs)
	}
	for _, n := range []string{keyID, aliasARN, "alias/hls-adaptive-key"} {
		if !slices.ContainsFunc(names, func(m string) bool { return strings.Contains(m, `"`+n+`"`) }) {
			t.Errorf("no finding names %q: %v", n, names)
		}
	}
	if fs := CheckBucketPolicy(Merge(before, BucketStatements(namedSpec)), namedSpec); len(fs) != 0 {
		t.Errorf("after merging: %+v", fs)
	}
	// A wrong-key Deny that lets other aliases through is no enforcement.
	loose := doc(stmt("Deny", `"*"`, `"s3:PutObject"`, `"arn:aws:s3:::media-hls/*"`, `{"StringNotLike":{"s3:x-amz-server-side-encryption-aws-kms-key-id":["`+keyARN+`","alias/*"]},"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"false"}}`))
	spec := BucketSpec{Bucket: bucketName, Algorithm: AlgorithmKMS, KeyARN: keyARN, EnforceOnUpload: true}
	if got := codes(CheckBucketPolicy(mustParse(t, loose), spec)); !slices.Contains(got, CodeWrongKey) {
		t.Errorf("alias/* let through: %v", got)
	}
}

// A TLS or upload Deny that exempts principals, adds conditions or covers part of the bucket does
// not count as enforcement: the finding names the statement and what it leaves out.
func TestCheckBucketPolicyExemptions(t *testing.T) {
	t.Parallel()
	both := `["arn:aws:s3:::media-hls","arn:aws:s3:::media-hls/*"]`
	tlsDeny := func(principal, resource, cond string) string {
		return `{"Sid":"Foreign","Effect":"Deny","Principal":` + principal + `,"Action":"s3:*","Resource":` + resource + `,"Condition":{"Bool":{"aws:SecureTransport":"false"}` + cond + `}}`
	}
	tls := BucketSpec{Bucket: bucketName, Algorithm: AlgorithmKMS, KeyARN: keyARN, RequireTLS: true}
	uploads := BucketSpec{Bucket: bucketName, Algorithm: AlgorithmKMS, KeyARN: keyARN, EnforceOnUpload: true}
	tests := map[string]struct {
		statement string
		spec      BucketSpec
		code      string
		reason    string // "" when the statement enforces
	}{
		"AWS's documented TLS statement enforces": {tlsDeny(`"*"`, both, ""), tls, "", ""},
		"AWS star enforces too":                   {tlsDeny(`{"AWS":"*"}`, both, ""), tls, "", ""},
		"NotPrincipal exempts":                    {`{"Sid":"Foreign","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:role/Admin","111122223333"]},"Action":"s3:*","Resource":` + both + `,"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, tls, CodeInsecureTransport, "NotPrincipal: arn:aws:iam::111122223333:role/Admin"},
		"Principal not everyone":                  {tlsDeny(`{"AWS":"arn:aws:iam::111122223333:role/Uploader"}`, both, ""), tls, CodeInsecureTransport, "applies only to arn:aws:iam::111122223333:role/Uploader"},
		"PrincipalArn StringNotLike exempts":      {tlsDeny(`"*"`, both, `,"StringNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin*"}`), tls, CodeInsecureTransport, "StringNotLike aws:PrincipalArn arn:aws:iam::*:role/Admin*"},
		"another condition":                       {tlsDeny(`"*"`, both, `,"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}`), tls, CodeInsecureTransport, "IpAddress aws:SourceIp 203.0.113.0/24"},
		"part of the bucket":                      {tlsDeny(`"*"`, `"arn:aws:s3:::media-hls/public/*"`, ""), tls, CodeInsecureTransport, "covers only arn:aws:s3:::media-hls/public/*"},
		"NotResource":                             {`{"Sid":"Foreign","Effect":"Deny","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::media-hls/public/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`, tls, CodeInsecureTransport, "NotResource: arn:aws:s3:::media-hls/public/*"},
		"upload Deny exempting a role": {`{"Sid":"Foreign","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::media-hls/*","Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"` + keyARN + `"},"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"false"},"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/Legacy"}}}`,
			uploads, CodeWrongKey, "ArnNotLike aws:PrincipalArn arn:aws:iam::111122223333:role/Legacy"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := mustParse(t, doc(tc.statement))
			var fs []Finding
			for _, f := range CheckBucketPolicy(d, tc.spec) {
				if f.Code == tc.code || tc.code == "" {
					fs = append(fs, f)
				}
			}
			if tc.code == "" {
				for _, f := range fs {
					if f.Code == CodeInsecureTransport {
						t.Fatalf("not counted as enforcement: %+v", f)
					}
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("findings with code %s: %+v", tc.code, fs)
			}
			f := fs[0]
			if f.Blocker || !strings.HasPrefix(f.Sid, SidPrefix) || len(f.Exemptions) != 1 || f.Exemptions[0].Statement.Sid != "Foreign" ||
				!strings.Contains(strings.Join(f.Exemptions[0].Reasons, "; "), tc.reason) || !strings.Contains(f.Message, `"Foreign"`) {
				t.Errorf("finding: %+v", f)
			}
			// sseguard adds its own statement, which enforces for everyone.
			merged := Merge(d, BucketStatements(tc.spec))
			for _, f := range CheckBucketPolicy(merged, tc.spec) {
				if f.Code == tc.code {
					t.Errorf("after merging: %+v", f)
				}
			}
		})
	}
}

// ARNs sseguard writes and probes are built in the caller's partition.
func TestPartitions(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"arn:aws-cn:kms:cn-north-1:111122223333:key/k": "aws-cn",
		"arn:aws-us-gov:iam::111122223333:root":        "aws-us-gov",
		"arn:aws:s3:::b":                               "aws",
		"alias/x":                                      "",
		"":                                             "",
	} {
		if got := PartitionOf(in); got != want {
			t.Errorf("PartitionOf(%q) = %q, want %q", in, got, want)
		}
	}
	if got := RootARN("", acct); got != "arn:aws:iam::111122223333:root" {
		t.Errorf("RootARN default = %s", got)
	}

	cnKey := "arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	cnRole := "arn:aws-cn:iam::111122223333:role/T"
	cnAdmin := "arn:aws-cn:iam::111122223333:role/KeyAdmin"
	kp := KeyPolicy(KeyPolicySpec{Partition: "aws-cn", Account: acct, Administrators: []string{cnAdmin}, Users: []string{cnRole}})
	if got := kp.Statements[0].Principal.AWS; !slices.Equal(got, []string{"arn:aws-cn:iam::111122223333:root"}) {
		t.Errorf("root statement principal: %v", got)
	}
	cnReq := KeyRequirements{Account: acct, KeyARN: cnKey, Users: []string{cnRole}, Administrators: []string{cnAdmin}}
	if fs := CheckKeyPolicy(kp, cnReq); len(fs) != 0 {
		t.Errorf("aws-cn key policy: %+v", fs)
	}
	// A root statement in another partition is not the account's own access.
	awsRoot := KeyPolicy(KeyPolicySpec{Account: acct, Administrators: []string{cnAdmin}, Users: []string{cnRole}})
	if got := codes(CheckKeyPolicy(awsRoot, cnReq)); !slices.Contains(got, CodeRootMissing) {
		t.Errorf("aws root in aws-cn: %v", got)
	}

	gov := BucketSpec{Partition: "aws-us-gov", Bucket: bucketName, Algorithm: AlgorithmAES256, EnforceOnUpload: true, RequireTLS: true}
	for _, s := range BucketStatements(gov) {
		for _, r := range s.Resource {
			if !strings.HasPrefix(r, "arn:aws-us-gov:s3:::media-hls") {
				t.Errorf("%s: resource %s", s.Sid, r)
			}
		}
	}
	if fs := CheckBucketPolicy(Merge(nil, BucketStatements(gov)), gov); len(fs) != 0 {
		t.Errorf("aws-us-gov bucket policy: %+v", fs)
	}
	// Statements built for the aws partition do not protect a bucket in aws-us-gov.
	awsSpec := gov
	awsSpec.Partition = ""
	if got := codes(CheckBucketPolicy(Merge(nil, BucketStatements(awsSpec)), gov)); !slices.Contains(got, CodeInsecureTransport) || !slices.Contains(got, CodeWrongEncryption) {
		t.Errorf("aws statements in aws-us-gov: %v", got)
	}
	// Without a Partition, the key ARN's partition is used.
	cn := BucketSpec{Bucket: bucketName, Algorithm: AlgorithmKMS, KeyARN: cnKey, EnforceOnUpload: true}
	if got := BucketStatements(cn)[0].Resource[0]; got != "arn:aws-cn:s3:::media-hls/*" {
		t.Errorf("partition from the key ARN: %s", got)
	}
}

func TestKeyNamesOf(t *testing.T) {
	t.Parallel()
	got := KeyNamesOf(keyARN, "alias/hls-adaptive-key", aliasARN, "arn:aws:kms:us-east-1:111122223333:alias/second", "not-an-alias", "alias/")
	want := []string{keyID, "alias/hls-adaptive-key", "alias/second", aliasARN, "arn:aws:kms:us-east-1:111122223333:alias/second"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("KeyNamesOf (-want +got):\n%s", diff)
	}
	cn := KeyNamesOf("arn:aws-cn:kms:cn-north-1:111122223333:key/k1", "alias/x")
	if !slices.Equal(cn, []string{"alias/x", "arn:aws-cn:kms:cn-north-1:111122223333:alias/x", "k1"}) {
		t.Errorf("aws-cn: %v", cn)
	}
	if got := KeyNamesOf("alias/x", "alias/y"); got != nil {
		t.Errorf("not a key ARN: %v", got)
	}
	spec := namedSpec
	spec.KeyNames = KeyNamesOf(keyARN, "alias/hls-adaptive-key")
	if fs := CheckBucketPolicy(Merge(nil, BucketStatements(spec)), namedSpec); len(fs) != 0 {
		t.Errorf("statements from KeyNamesOf: %+v", fs)
	}
}
