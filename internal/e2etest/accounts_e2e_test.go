package e2etest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/jsonplan"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// End-to-end test of several accounts (issue 12 §5): the built binary, through the strict layer,
// which refuses AssumeRole unless the role exists in its account and its trust policy allows the
// caller with the external id sent. The home account is moto's default; member roles are created
// in their accounts with those accounts' own credentials (a session of a setup role there, from
// moto itself), and run under the policy `sseguard iam-policy --account MEMBER` generates.

const (
	accMember  = "111122223333"
	accRefuses = "222233334444"
)

// accountEnv is an administrator's environment in account id (for setup and checks), through the
// layer: credentials of a session moto itself hands out for a setup role in that account.
func (e *e2e) accountEnv(id string) []string {
	e.t.Helper()
	out, _, err := runAWSCLI(e.env, []string{"sts", "assume-role", "--endpoint-url", layer.Upstream(), "--output", "json",
		"--role-arn", "arn:aws:iam::" + id + ":role/setup", "--role-session-name", "setup"})
	if err != nil {
		e.t.Fatalf("assume a setup role in %s through moto: %v", id, err)
	}
	var ar struct {
		Credentials struct{ AccessKeyId, SecretAccessKey, SessionToken string }
	}
	if err := json.Unmarshal(out, &ar); err != nil {
		e.t.Fatal(err)
	}
	c := ar.Credentials
	return append(slices.Clone(e.env), "AWS_ACCESS_KEY_ID="+c.AccessKeyId, "AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey, "AWS_SESSION_TOKEN="+c.SessionToken)
}

// in runs the AWS CLI with env (another account's administrator).
func (e *e2e) in(env []string, args ...string) map[string]any {
	e.t.Helper()
	saved := e.env
	e.env = env
	defer func() { e.env = saved }()
	return e.aws(args...)
}

// memberRoles creates the two roles sseguard assumes in an account, its plan role and its apply
// role, each trusting as given (trust(kind) for "plan" and "apply"), and holds their sessions to
// the policies sseguard generates for that account (`iam-policy --role plan|apply --account`).
func (e *e2e) memberRoles(env []string, account string, trust func(kind string) string, policyFile string) (planRole, applyRole string) {
	e.t.Helper()
	arns := map[string]string{}
	for _, kind := range []string{"plan", "apply"} {
		name := e.name("sseguard-" + kind)
		e.in(env, "iam", "create-role", "--role-name", name, "--assume-role-policy-document", trust(kind))
		arn := fmt.Sprintf("arn:aws:iam::%s:role/%s", account, name)
		out, err := exec.Command(genBinary, "iam-policy", "--role", kind, "--policy", policyFile, "--account", account).Output()
		if err != nil {
			e.t.Fatalf("sseguard iam-policy --role %s --account %s: %v", kind, account, err)
		}
		if err := layer.SetRolePolicy(arn, string(out)); err != nil {
			e.t.Fatalf("the generated %s policy for %s: %v\n%s", kind, account, err, out)
		}
		arns[kind] = arn
	}
	return arns["plan"], arns["apply"]
}

// memberSession reports whether principal is a session of one of this test's member roles.
func (e *e2e) memberSession(principal string) bool {
	return strings.Contains(principal, ":assumed-role/"+e.name("sseguard-plan")+"/") ||
		strings.Contains(principal, ":assumed-role/"+e.name("sseguard-apply")+"/")
}

// memberRefusals are requests the layer refused sessions of sseguard's member roles.
func (e *e2e) memberRefusals() []string {
	var out []string
	for _, a := range layer.Refused() {
		if e.memberSession(a.Principal) && strings.Contains(a.Reason, "identity-based policy") {
			out = append(out, a.Principal+" "+a.Action+" "+a.Resource+": "+a.Reason)
		}
	}
	return out
}

func encryptionOf(e *e2e, env []string, bucket string) (alg, key string) {
	e.t.Helper()
	m := e.in(env, "s3api", "get-bucket-encryption", "--bucket", bucket)
	d := dig(m, "ServerSideEncryptionConfiguration", "Rules", 0, "ApplyServerSideEncryptionByDefault")
	alg, _ = dig(d, "SSEAlgorithm").(string)
	key, _ = dig(d, "KMSMasterKeyID").(string)
	return alg, key
}

func TestE2EAccounts(t *testing.T) {
	e := newE2E(t)
	memberEnv, refusesEnv := e.accountEnv(accMember), e.accountEnv(accRefuses)
	home, home2 := e.name("home-media"), e.name("home-logs")
	member, far := e.name("member-media"), e.name("far-logs")
	e.aws("s3api", "create-bucket", "--bucket", home)
	e.aws("s3api", "create-bucket", "--bucket", home2)
	e.in(memberEnv, "s3api", "create-bucket", "--bucket", member)
	e.in(refusesEnv, "s3api", "create-bucket", "--bucket", far)
	alias := e.alias("media")
	role := func(acct, kind string) string {
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, e.name("sseguard-"+kind))
	}
	accounts := fmt.Sprintf(`accounts:
  - id: "%s"
    plan_role_arn: %s
    apply_role_arn: %s
    external_id: media-prod
`, accMember, role(accMember, "plan"), role(accMember, "apply"))
	buckets := fmt.Sprintf(`buckets:
  - name: %s
    encryption: sse-kms
    kms_key: %s
  - name: %s
    account: "%s"
    encryption: sse-kms
    kms_key: %s
`, home, alias, member, accMember, alias)
	pf := e.policy("version: 1\nregion: us-east-1\n" + accounts + buckets)
	trustHome := func(string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + motoserver.Account +
			`:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"media-prod"}}}]}`
	}
	e.memberRoles(memberEnv, accMember, trustHome, pf)

	// plan: one plan, grouped by account; the same alias in both accounts is two keys to create.
	jsonPath := filepath.Join(e.dir, "plan.json")
	code, out := e.sseguard(nil, "plan", "--policy", pf, "--json", jsonPath, "--detailed-exitcode")
	if code != 2 {
		t.Fatalf("plan = %d, want 2 (drift)\n%s", code, out)
	}
	for _, want := range []string{"Account " + motoserver.Account + " (home): 1 bucket", "Account " + accMember + ": 1 bucket",
		"  + create-key/us-east-1/" + alias, "  + " + accMember + "/create-key/us-east-1/" + alias, "  + " + accMember + "/set-default-encryption/" + member} {
		if !strings.Contains(out, want) {
			t.Errorf("plan output lacks %q:\n%s", want, out)
		}
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
	if !slices.Equal(doc.Plan.Accounts, []string{motoserver.Account, accMember}) {
		t.Errorf("JSON accounts = %v", doc.Plan.Accounts)
	}
	for _, b := range doc.Plan.Buckets {
		if want := map[string]string{home: motoserver.Account, member: accMember}[b.Name]; b.Account != want {
			t.Errorf("JSON bucket %s: account %q, want %q", b.Name, b.Account, want)
		}
	}

	// apply fixes both accounts, each with its own key, read back with each account's credentials.
	if code, out := e.sseguard(nil, "apply", "--policy", pf); code != 0 {
		t.Fatalf("apply = %d, want 0\n%s", code, out)
	}
	for bucket, env := range map[string][]string{home: e.env, member: memberEnv} {
		acct := map[string]string{home: motoserver.Account, member: accMember}[bucket]
		alg, key := encryptionOf(e, env, bucket)
		if alg != "aws:kms" || !strings.Contains(key, ":"+acct+":key/") {
			t.Errorf("bucket %s after apply: %s %s, want SSE-KMS with a key of account %s", bucket, alg, key, acct)
		}
	}
	if code, out := e.sseguard(nil, "plan", "--policy", pf, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after apply = %d, want 0 (in sync)\n%s", code, out)
	}

	// An account whose role's trust refuses the home account blocks its own bucket only: the home
	// account's new bucket is still applied.
	trustOther := func(string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	}
	accounts2 := accounts + fmt.Sprintf("  - id: \"%s\"\n    plan_role_arn: %s\n    apply_role_arn: %s\n", accRefuses, role(accRefuses, "plan"), role(accRefuses, "apply"))
	buckets2 := buckets + fmt.Sprintf("  - name: %s\n    encryption: sse-kms\n    kms_key: %s\n  - name: %s\n    account: \"%s\"\n    encryption: sse-s3\n", home2, alias, far, accRefuses)
	pf2 := e.policy("version: 1\nregion: us-east-1\n" + accounts2 + buckets2)
	e.memberRoles(refusesEnv, accRefuses, trustOther, pf2)
	code, out = e.sseguard(nil, "apply", "--policy", pf2, "--json", jsonPath)
	if code != 1 {
		t.Errorf("apply with an unreachable account = %d, want 1 (blocker)\n%s", code, out)
	}
	if !strings.Contains(out, "["+plan.BlockAccountUnreachable+"]") || !strings.Contains(out, far) || !strings.Contains(out, "AccessDenied") {
		t.Errorf("apply output lacks the account-unreachable blocker on %s:\n%s", far, out)
	}
	if alg, key := encryptionOf(e, e.env, home2); alg != "aws:kms" || !strings.Contains(key, ":"+motoserver.Account+":key/") {
		t.Errorf("home bucket %s: %s %s, want SSE-KMS: the home account's apply must happen", home2, alg, key)
	}
	raw, err = os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	checkPlanSchema(t, jsonPath, raw)
	doc = jsonplan.Document{}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var blocked []string
	for _, b := range doc.Plan.Blockers {
		blocked = append(blocked, b.Account+" "+b.Code+" "+b.Bucket)
	}
	if want := []string{accRefuses + " " + plan.BlockAccountUnreachable + " " + far}; !slices.Equal(blocked, want) {
		t.Errorf("blockers = %v, want %v", blocked, want)
	}

	// A wrong external id is refused too: the member's buckets are blocked, nothing else.
	pf3 := e.policy("version: 1\nregion: us-east-1\n" + strings.Replace(accounts, "media-prod", "media-dev", 1) + buckets)
	code, out = e.sseguard(nil, "plan", "--policy", pf3)
	if code != 1 || !strings.Contains(out, "["+plan.BlockAccountUnreachable+"]") || !strings.Contains(out, member) {
		t.Errorf("plan with a wrong external id = %d, want 1 with %s blocked\n%s", code, member, out)
	}

	if r := e.memberRefusals(); len(r) > 0 {
		t.Errorf("the layer refused the member roles' sessions under the generated policies:\n%s", strings.Join(r, "\n"))
	}
	// TestMain's check of destructive requests knows sseguard by its access key; in member
	// accounts sseguard signs with its sessions' keys, checked here.
	for _, a := range layer.Actions() {
		if e.memberSession(a.Principal) &&
			(slices.Contains(awstest.Destructive, a.Action) || slices.Contains(awstest.Destructive, a.Operation)) {
			t.Errorf("sseguard sent a destructive request in a member account: %s %s %s", a.Principal, a.Action, a.Resource)
		}
	}
}
