package e2etest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/jsonplan"
	"github.com/sseguard/sseguard/internal/plan"
)

// End-to-end tests of issue 21: a bucket's readers and its replication are checked before its key
// changes. The reader is a role of a trusted account, created there with that account's own
// credentials and held to its own IAM policy by the layer (rule 7), which judges a read of an
// SSE-KMS object of another account with both accounts' policies (rule 14).

// readerRole creates a role in account acct (env: that account's administrator) that the account
// may assume, holds its sessions to policy, and returns its ARN and an environment acting as a
// session of it, through the layer.
func (e *e2e) readerRole(env []string, acct, policy string) (string, []string) {
	e.t.Helper()
	name := e.name("player")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + acct + `:root"},"Action":"sts:AssumeRole"}]}`
	e.in(env, "iam", "create-role", "--role-name", name, "--assume-role-policy-document", trust)
	arn := fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, name)
	if err := layer.SetRolePolicy(arn, policy); err != nil {
		e.t.Fatal(err)
	}
	out := e.in(env, "sts", "assume-role", "--role-arn", arn, "--role-session-name", "player")
	c := out["Credentials"].(map[string]any)
	return arn, append(slices.Clone(env), "AWS_ACCESS_KEY_ID="+c["AccessKeyId"].(string),
		"AWS_SECRET_ACCESS_KEY="+c["SecretAccessKey"].(string), "AWS_SESSION_TOKEN="+c["SessionToken"].(string))
}

// policyFile writes a policy file of its own name in the test's directory.
func (e *e2e) policyFile(name, body string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// readAs downloads an object with env's credentials through the layer; it answers the CLI's error.
func (e *e2e) readAs(env []string, bucket, key string) error {
	e.t.Helper()
	saved := e.env
	e.env = env
	defer func() { e.env = saved }()
	out, err := e.awsRaw("s3api", "get-object", "--bucket", bucket, "--key", key, filepath.Join(e.dir, "download"))
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// A bucket shared with a role of a trusted account: moving it to a KMS key is blocked
// (reader-cannot-decrypt, naming the role and the bucket policy statement) until the policy file
// lists the role under readers; then apply converges, and the role, with its own credentials,
// reads the objects written under the key. Dropping it from readers again is blocked too.
func TestE2EReaderBlocksTheSwitchUntilListed(t *testing.T) {
	e := newE2E(t)
	partnerEnv := e.accountEnv(accMember)
	bucket, alias := e.name("media-shared"), e.alias("shared")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	body := filepath.Join(e.dir, "frames.ts")
	if err := os.WriteFile(body, []byte("frames"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.aws("s3api", "put-object", "--bucket", bucket, "--key", "before.ts", "--body", body)
	readerPolicy := `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + bucket + `/*"},
 {"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}]}`
	role, reader := e.readerRole(partnerEnv, accMember, readerPolicy)
	e.aws("s3api", "put-bucket-policy", "--bucket", bucket, "--policy",
		`{"Version":"2012-10-17","Statement":[{"Sid":"PartnerRead","Effect":"Allow","Principal":{"AWS":"`+role+`"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::`+bucket+`/*"}]}`)
	if err := e.readAs(reader, bucket, "before.ts"); err != nil {
		t.Fatalf("the partner cannot read the SSE-S3 bucket it is granted: %v", err)
	}

	base := "version: 1\ntrusted_accounts: [\"" + accMember + "\"]\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n"
	pol := e.policyFile("blocked.yaml", base)
	jsonPath := filepath.Join(e.dir, "plan.json")
	code, out := e.sseguard(nil, "plan", "--policy", pol, "--json", jsonPath)
	if code != 1 || !strings.Contains(out, "["+plan.BlockReaderCannotDecrypt+"]") || !strings.Contains(out, role) || !strings.Contains(out, `"PartnerRead"`) {
		t.Fatalf("plan = %d, want 1 with reader-cannot-decrypt naming %s and its statement\n%s", code, role, out)
	}
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	checkPlanSchema(t, jsonPath, raw)
	var doc jsonplan.Document
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if rs := doc.Plan.Buckets[0].Readers; len(rs) != 1 || rs[0].Principal != role || rs[0].Verdict != string(plan.ReaderCannotDecrypt) ||
		!slices.Equal(rs[0].Statements, []string{`statement "PartnerRead"`}) {
		t.Errorf("JSON readers = %+v", rs)
	}
	if code, out = e.sseguard(nil, "apply", "--policy", pol); code != 1 {
		t.Fatalf("apply with the reader blocker = %d, want 1\n%s", code, out)
	}
	// The action: the pull request's run shows the reader and its blocker in the job summary;
	// the push to main applies nothing.
	r := newRunner(e)
	if err := os.WriteFile(filepath.Join(r.ws, "sseguard.yaml"), []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	in := map[string]string{"policy": "sseguard.yaml"}
	if code, out := r.run("pull_request", "refs/pull/7/merge", in); code != 1 {
		t.Errorf("pull_request with the reader blocker = %d, want 1\n%s", code, out)
	}
	if s := r.summaryText(); !strings.Contains(s, "#### Readers and replication") || !strings.Contains(s, "reader-cannot-decrypt") ||
		!strings.Contains(s, "player") || !strings.Contains(s, "CANNOT use the key") {
		t.Errorf("the job summary does not show the reader and its blocker:\n%s", s)
	}
	if code, out := r.run("push", "refs/heads/main", in); code != 1 {
		t.Errorf("push to main with the reader blocker = %d, want 1\n%s", code, out)
	}
	if alg, _ := encryptionOf(e, e.env, bucket); alg != "AES256" || e.keysTagged(alias) != 0 {
		t.Fatalf("apply changed a blocked bucket: %s, %d keys", alg, e.keysTagged(alias))
	}

	// readers: the key policy lets the role decrypt through S3; apply converges.
	listed := e.policyFile("listed.yaml", base+"    readers: ["+role+"]\n")
	if code, out = e.sseguard(nil, "plan", "--policy", listed, "--detailed-exitcode"); code != 2 || !strings.Contains(out, "can use the key (listed under readers)") {
		t.Fatalf("plan with the reader listed = %d, want 2 (changes) showing the reader\n%s", code, out)
	}
	if code, out = e.sseguard(nil, "apply", "--policy", listed); code != 0 {
		t.Fatalf("apply with the reader listed = %d, want 0\n%s", code, out)
	}
	alg, keyARN := encryptionOf(e, e.env, bucket)
	if alg != "aws:kms" {
		t.Fatalf("bucket after apply: %s %s", alg, keyARN)
	}
	kp, _ := e.keyPolicy(keyARN)
	via := map[string][]string{iampolicy.KeyViaService: {"s3.us-east-1.amazonaws.com"}}
	if allows(kp, role, "kms:Decrypt", via) != iampolicy.Allow || allows(kp, role, "kms:Encrypt", via) == iampolicy.Allow ||
		allows(kp, role, "kms:Decrypt", map[string][]string{iampolicy.KeyViaService: {"ec2.us-east-1.amazonaws.com"}}) == iampolicy.Allow {
		t.Errorf("the key policy should let %s decrypt through S3 and nothing else", role)
	}
	e.aws("s3api", "put-object", "--bucket", bucket, "--key", "after.ts", "--body", body)
	if h := e.aws("s3api", "head-object", "--bucket", bucket, "--key", "after.ts"); h["ServerSideEncryption"] != "aws:kms" {
		t.Fatalf("new object: %v, want SSE-KMS under the bucket's key", h["ServerSideEncryption"])
	}
	if err := e.readAs(reader, bucket, "after.ts"); err != nil {
		t.Errorf("the partner, listed under readers, cannot read an object under the key: %v", err)
	}
	if code, out = e.sseguard(nil, "plan", "--policy", listed, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after apply = %d, want 0 (in sync)\n%s", code, out)
	}

	// Dropping the reader from readers would take its decrypt away: blocked, the key untouched.
	if code, out = e.sseguard(nil, "apply", "--policy", pol); code != 1 || !strings.Contains(out, "["+plan.BlockReaderCannotDecrypt+"]") {
		t.Errorf("apply without the reader listed = %d, want 1 with reader-cannot-decrypt\n%s", code, out)
	}
	if err := e.readAs(reader, bucket, "after.ts"); err != nil {
		t.Errorf("the partner lost access after a blocked apply: %v", err)
	}
	// Accepted, the loss happens: the layer then refuses the partner the object.
	accepted := e.policyFile("accepted.yaml", base+"    accept_lost_readers: ["+role+"]\n")
	if code, out = e.sseguard(nil, "apply", "--policy", accepted); code != 0 {
		t.Fatalf("apply with the loss accepted = %d, want 0\n%s", code, out)
	}
	if err := e.readAs(reader, bucket, "after.ts"); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("the partner still reads the object after its loss was accepted and applied: %v", err)
	}
}

// A replication rule without the SSE-KMS opt-in blocks the move to SSE-KMS (replication-kms,
// naming the rule and what it lacks), in the binary's plan and through the action, which applies
// nothing on the push to the apply branch; with the opt-in and the key the policy file wants for
// the destination's replicas, apply converges.
func TestE2EReplicationWithoutOptInBlocks(t *testing.T) {
	e := newE2E(t)
	src, dst := e.name("media-src"), e.name("media-dr")
	alias, drAlias := e.alias("src"), e.alias("dr")
	for _, b := range []string{src, dst} {
		e.aws("s3api", "create-bucket", "--bucket", b)
		e.aws("s3api", "put-bucket-versioning", "--bucket", b, "--versioning-configuration", "Status=Enabled")
	}
	role := "arn:aws:iam::123456789012:role/" + e.name("replication")
	rule := func(extra string) string {
		return `{"Role":"` + role + `","Rules":[{"ID":"videos-to-dr","Priority":1,"Status":"Enabled","Filter":{"Prefix":"videos/"},` +
			`"DeleteMarkerReplication":{"Status":"Disabled"},"Destination":{"Bucket":"arn:aws:s3:::` + dst + `"` + extra + `}]}`
	}
	e.aws("s3api", "put-bucket-replication", "--bucket", src, "--replication-configuration", rule("}"))

	r := newRunner(e)
	policy := "version: 1\nbuckets:\n  - name: " + src + "\n    encryption: sse-kms\n    kms_key: " + alias +
		"\n  - name: " + dst + "\n    encryption: sse-kms\n    kms_key: " + drAlias + "\n"
	if err := os.WriteFile(filepath.Join(r.ws, "sseguard.yaml"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	pf := filepath.Join(r.ws, "sseguard.yaml")
	code, out := e.sseguard(nil, "plan", "--policy", pf)
	if code != 1 || !strings.Contains(out, "["+plan.BlockReplicationKMS+"]") || !strings.Contains(out, `"videos-to-dr" (priority 1)`) ||
		!strings.Contains(out, "SseKmsEncryptedObjects") || !strings.Contains(out, "the policy file wants replicas under "+drAlias) {
		t.Fatalf("plan = %d, want 1 with replication-kms naming the rule, what it lacks and the destination's key\n%s", code, out)
	}

	in := map[string]string{"policy": "sseguard.yaml"}
	if code, out = r.run("pull_request", "refs/pull/7/merge", in); code != 1 {
		t.Errorf("pull_request with a blocker = %d, want 1\n%s", code, out)
	}
	if s := r.summaryText(); !strings.Contains(s, "#### Readers and replication") || !strings.Contains(s, "replication-kms") || !strings.Contains(s, "videos-to-dr") {
		t.Errorf("the job summary does not show the replication rule and its blocker:\n%s", s)
	}
	if code, out = r.run("push", "refs/heads/main", in); code != 1 {
		t.Errorf("push to main with a blocker = %d, want 1\n%s", code, out)
	}
	if alg, _ := encryptionOf(e, e.env, src); alg != "AES256" {
		t.Errorf("the source bucket moved to %s despite the blocker", alg)
	}

	// The opt-in, and replicas under the destination's key (its alias: the plan creates it).
	e.aws("s3api", "put-bucket-replication", "--bucket", src, "--replication-configuration",
		rule(`,"EncryptionConfiguration":{"ReplicaKmsKeyID":"arn:aws:kms:us-east-1:123456789012:`+drAlias+`"}},"SourceSelectionCriteria":{"SseKmsEncryptedObjects":{"Status":"Enabled"}}`))
	if code, out = r.run("push", "refs/heads/main", in); code != 0 {
		t.Fatalf("push to main with the rule fixed = %d, want 0\n%s", code, out)
	}
	if alg, _ := encryptionOf(e, e.env, src); alg != "aws:kms" {
		t.Errorf("the source bucket after apply: %s, want aws:kms", alg)
	}
	if code, out = e.sseguard(nil, "plan", "--policy", pf, "--detailed-exitcode"); code != 0 || !strings.Contains(out, "SSE-KMS objects: replicated") {
		t.Errorf("plan after apply = %d, want 0 with the rule shown\n%s", code, out)
	}
}
