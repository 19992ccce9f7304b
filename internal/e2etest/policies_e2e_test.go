package e2etest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// roles creates IAM roles with the test's names and returns their ARNs, in order.
func (e *e2e) roles(names ...string) []string {
	e.t.Helper()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"elastictranscoder.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	var arns []string
	for _, n := range names {
		out := e.aws("iam", "create-role", "--role-name", e.name(n), "--assume-role-policy-document", trust)
		arns = append(arns, dig(out, "Role", "Arn").(string))
	}
	return arns
}

// keyPolicy reads a key policy with the AWS CLI and parses it with sseguard's evaluator.
func (e *e2e) keyPolicy(key string) (*iampolicy.Document, string) {
	e.t.Helper()
	raw, _ := e.aws("kms", "get-key-policy", "--key-id", key, "--policy-name", "default")["Policy"].(string)
	doc, err := iampolicy.Parse(raw)
	if err != nil {
		e.t.Fatalf("key policy of %s: %v\n%s", key, err, raw)
	}
	return doc, raw
}

func allows(doc *iampolicy.Document, principal, action string, ctx map[string][]string) iampolicy.Decision {
	return doc.Explain(iampolicy.Request{Principal: principal, Action: action, Resource: "*", Context: ctx}, iampolicy.EvalOptions{}).Decision
}

func TestE2EKeyPolicyOfExistingKeyIsMergedNotReplaced(t *testing.T) {
	e := newE2E(t)
	r := e.roles("Elastic_Transcoder_Default_Role", "KeyAdmin", "Auditor")
	transcoder, keyAdmin, auditor := r[0], r[1], r[2]
	bucket, alias := e.name("media-hls"), e.alias("hls")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	// A bucket policy someone else wrote: it must survive.
	cloudfront := `{"Sid":"AllowCloudFrontRead","Effect":"Allow","Principal":{"Service":"cloudfront.amazonaws.com"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"}`
	e.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", `{"Version":"2012-10-17","Statement":[`+cloudfront+`]}`)
	// An existing key with the account root statement and an audit statement someone else owns.
	existing := `{"Version":"2012-10-17","Id":"key-default-1","Statement":[
{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
{"Sid":"AuditReadOnly","Effect":"Allow","Principal":{"AWS":"` + auditor + `"},"Action":["kms:DescribeKey","kms:GetKeyPolicy"],"Resource":"*"}]}`
	key := e.aws("kms", "create-key", "--policy", existing, "--description", "existing")
	keyARN := dig(key, "KeyMetadata", "Arn").(string)
	e.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", keyARN)

	pol := e.policy(`version: 1
keys:
  - alias: ` + alias + `
    administrators: [` + keyAdmin + `]
buckets:
  - name: ` + bucket + `
    encryption: sse-kms
    kms_key: ` + alias + `
    transcoder_principal: ` + transcoder + `
    enforce_on_upload: true
    require_tls: true
    # The team's CloudFront statement (any distribution, no origin access control) cannot decrypt
    # once the bucket is SSE-KMS: a reader-cannot-decrypt blocker unless its loss is accepted.
    accept_lost_readers: [cloudfront.amazonaws.com]
`)
	code, out := e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode")
	if code != 2 || !strings.Contains(out, "update-key-policy") || !strings.Contains(out, transcoder+" gains kms:") {
		t.Fatalf("plan = %d, want 2 naming which principal gains which key actions\n%s", code, out)
	}
	if code, out = e.sseguard(nil, "apply", "--policy", pol); code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}

	doc, raw := e.keyPolicy(keyARN)
	for _, a := range []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"} {
		if d := allows(doc, transcoder, a, nil); d != iampolicy.Allow {
			t.Errorf("transcoder %s: %s, want Allow\n%s", a, d, raw)
		}
	}
	for _, a := range []string{"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"} {
		if d := allows(doc, transcoder, a, map[string][]string{"kms:GrantIsForAWSResource": {"true"}}); d != iampolicy.Allow {
			t.Errorf("transcoder %s for an AWS resource: %s, want Allow", a, d)
		}
		if d := allows(doc, transcoder, a, nil); d == iampolicy.Allow {
			t.Errorf("transcoder %s without GrantIsForAWSResource: Allow, want it refused", a)
		}
	}
	for _, a := range []string{"kms:ScheduleKeyDeletion", "kms:DeleteAlias"} {
		if d := allows(doc, keyAdmin, a, nil); d != iampolicy.ExplicitDeny {
			t.Errorf("administrator %s: %s, want an explicit Deny", a, d)
		}
	}
	if d := allows(doc, keyAdmin, "kms:PutKeyPolicy", nil); d != iampolicy.Allow {
		t.Errorf("administrator kms:PutKeyPolicy: %s, want Allow (administrators manage the key)", d)
	}
	var before, after struct{ Statement []json.RawMessage }
	json.Unmarshal([]byte(existing), &before)
	json.Unmarshal([]byte(raw), &after)
	for _, want := range before.Statement {
		found := false
		for _, got := range after.Statement {
			if equalJSON(want, got) {
				found = true
			}
		}
		if !found {
			t.Errorf("statement %s was not kept:\n%s", want, raw)
		}
	}
	if r := dig(e.aws("kms", "get-key-rotation-status", "--key-id", keyARN), "KeyRotationEnabled"); r != true {
		t.Errorf("rotation = %v, want on", r)
	}

	// Bucket policy: judged by sseguard's evaluator (moto cannot evaluate S3's encryption keys).
	braw, _ := e.aws("s3api", "get-bucket-policy", "--bucket", bucket)["Policy"].(string)
	bdoc, err := iampolicy.Parse(braw)
	if err != nil {
		t.Fatal(err)
	}
	var bafter struct{ Statement []json.RawMessage }
	json.Unmarshal([]byte(braw), &bafter)
	cloudfrontKept := false
	for _, st := range bafter.Statement {
		cloudfrontKept = cloudfrontKept || equalJSON([]byte(cloudfront), st)
	}
	if !cloudfrontKept {
		t.Errorf("the CloudFront statement that was there before apply is gone:\n%s", braw)
	}
	put := func(ctx map[string][]string) iampolicy.Decision {
		ctx["aws:SecureTransport"] = []string{"true"}
		return bdoc.Explain(iampolicy.Request{Principal: "arn:aws:iam::123456789012:role/Uploader", Action: "s3:PutObject",
			Resource: "arn:aws:s3:::" + bucket + "/a.ts", Context: ctx}, iampolicy.EvalOptions{}).Decision
	}
	if d := put(map[string][]string{"s3:x-amz-server-side-encryption": {"AES256"}}); d != iampolicy.ExplicitDeny {
		t.Errorf("upload asking for AES256: %s, want refused", d)
	}
	if d := put(map[string][]string{"s3:x-amz-server-side-encryption": {"aws:kms"}, "s3:x-amz-server-side-encryption-aws-kms-key-id": {"arn:aws:kms:us-east-1:123456789012:key/other"}}); d != iampolicy.ExplicitDeny {
		t.Errorf("upload naming another key: %s, want refused", d)
	}
	if d := put(map[string][]string{}); d == iampolicy.ExplicitDeny {
		t.Errorf("upload with no encryption header (gets the default; also every multipart part): refused, want allowed")
	}
	if d := put(map[string][]string{"s3:x-amz-server-side-encryption": {"aws:kms"}, "s3:x-amz-server-side-encryption-aws-kms-key-id": {keyARN}}); d == iampolicy.ExplicitDeny {
		t.Errorf("upload naming the right key: refused, want allowed")
	}
	if d := bdoc.Explain(iampolicy.Request{Principal: "arn:aws:iam::123456789012:role/Reader", Action: "s3:GetObject",
		Resource: "arn:aws:s3:::" + bucket + "/a.ts", Context: map[string][]string{"aws:SecureTransport": {"false"}}}, iampolicy.EvalOptions{}).Decision; d != iampolicy.ExplicitDeny {
		t.Errorf("request without TLS: %s, want refused", d)
	}

	if code, out = e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode"); code != 0 {
		t.Fatalf("plan after apply = %d, want 0\n%s", code, out)
	}

	// Remove one statement by hand: the next plan names exactly that one.
	var bp struct {
		Version   string
		Statement []map[string]any
	}
	json.Unmarshal([]byte(braw), &bp)
	kept := bp.Statement[:0]
	for _, s := range bp.Statement {
		if s["Sid"] != iampolicy.SidDenyInsecureTransport {
			kept = append(kept, s)
		}
	}
	bp.Statement = kept
	edited, _ := json.Marshal(bp)
	e.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy", string(edited))
	code, out = e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode")
	if code != 2 || !strings.Contains(out, "added statement "+iampolicy.SidDenyInsecureTransport) {
		t.Fatalf("plan after removing %s = %d, want 2 naming it\n%s", iampolicy.SidDenyInsecureTransport, code, out)
	}
	for _, other := range []string{iampolicy.SidDenyWrongEncryption, iampolicy.SidDenyWrongKMSKey} {
		if strings.Contains(out, "statement "+other) {
			t.Errorf("plan names %s, which is still there:\n%s", other, out)
		}
	}
}

func TestE2EKeyPolicyJudgedByMeaning(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	transcoder := e.roles("Elastic_Transcoder_Default_Role")[0]
	root := `{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}`
	grants := `{"Sid":"G","Effect":"Allow","Principal":{"AWS":"` + transcoder + `"},"Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}`
	variants := map[string]struct {
		statements string
		want       int
	}{
		"principal as a string":           {root + `,{"Sid":"U","Effect":"Allow","Principal":{"AWS":"` + transcoder + `"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"},` + grants, 0},
		"principal as a one-element list": {root + `,{"Sid":"U","Effect":"Allow","Principal":{"AWS":["` + transcoder + `"]},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"},` + grants, 0},
		"actions as kms:*":                {root + `,{"Sid":"U","Effect":"Allow","Principal":{"AWS":"` + transcoder + `"},"Action":"kms:*","Resource":"*"}`, 0},
		"explicit deny on kms:Decrypt":    {root + `,{"Sid":"U","Effect":"Allow","Principal":{"AWS":"` + transcoder + `"},"Action":"kms:*","Resource":"*"},{"Sid":"NoDecrypt","Effect":"Deny","Principal":{"AWS":"` + transcoder + `"},"Action":"kms:Decrypt","Resource":"*"}`, 1},
	}
	i := 0
	for name, v := range variants {
		i++
		t.Run(name, func(t *testing.T) {
			alias, bucket := e.alias(fmt.Sprintf("v%d", i)), e.name(fmt.Sprintf("media-v%d", i))
			e.aws("s3api", "create-bucket", "--bucket", bucket)
			key := e.aws("kms", "create-key", "--policy", `{"Version":"2012-10-17","Statement":[`+v.statements+`]}`)
			keyARN := dig(key, "KeyMetadata", "Arn").(string)
			e.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", keyARN)
			e.aws("kms", "enable-key-rotation", "--key-id", keyARN)
			e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration",
				`{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"`+keyARN+`"},"BucketKeyEnabled":true}]}`)
			pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias +
				"\n    transcoder_principal: " + transcoder + "\n")
			code, out := e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode")
			if code != v.want {
				t.Fatalf("plan = %d, want %d\n%s", code, v.want, out)
			}
			if v.want == 1 && !strings.Contains(out, "NoDecrypt") {
				t.Errorf("the blocker should name the denying statement:\n%s", out)
			}
		})
	}
}

func equalJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}
