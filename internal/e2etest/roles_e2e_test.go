package e2etest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3control"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3control/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sseguard/sseguard/internal/batchops"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// End-to-end tests of the roles sseguard generates (issue "Nobody holds more than their job"):
// every policy and trust policy comes from the binary (`sseguard iam-policy`) and is loaded into
// the strict layer, which judges each request as AWS does; what must now be refused is refused.

const gitHubIssuer = "https://token.actions.githubusercontent.com"

// gitHubProvider registers GitHub's OIDC provider in the home account (account-wide: once).
func (e *e2e) gitHubProvider() {
	e.t.Helper()
	out, err := e.awsRaw("iam", "create-open-id-connect-provider", "--url", gitHubIssuer,
		"--client-id-list", "sts.amazonaws.com", "--thumbprint-list", "6938fd4d98bab03faadb97b34396831e3780aea1")
	if err != nil && !strings.Contains(string(out), "EntityAlreadyExists") {
		e.t.Fatalf("create the OIDC provider: %v\n%s", err, out)
	}
}

// iamPolicy runs the binary under test's `iam-policy` and returns what it printed.
func (e *e2e) iamPolicy(args ...string) (string, error) {
	cmd := exec.Command(binary, append([]string{"iam-policy"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sseguard iam-policy %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out), nil
}

// webIdentity assumes role with a GitHub token whose subject is sub, through the layer (as the
// runner's AWS credentials action does, unsigned), and returns "" or STS's error code and message.
func (e *e2e) webIdentity(role, sub string) string {
	e.t.Helper()
	tok := awstest.WebIdentityToken(map[string]any{"iss": gitHubIssuer, "sub": sub, "aud": "sts.amazonaws.com",
		"exp": time.Now().Add(time.Hour).Unix()})
	c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(layer.URL), RetryMaxAttempts: 1})
	_, err := c.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(role), RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(tok)})
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// Trust policies for today's GitHub: `--repo OWNER/REPO` and `--repo OWNER@OWNER_ID/REPO@REPO_ID`
// each let in exactly the subjects GitHub sends in that form, for pull requests (plan), the apply
// branch and an environment (apply): STS, as the layer judges it, hands the role to those tokens
// and refuses the others.
func TestE2ETrustPoliciesForBothSubjectForms(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	e.gitHubProvider()
	pol := e.policy("version: 1\naccount: \"" + motoserver.Account + "\"\nbuckets:\n  - name: " + e.name("media") + "\n    encryption: sse-s3\n")
	const (
		names = "octo-org/media"
		ids   = "octo-org@5544123/media@821093847"
	)
	for _, c := range []struct {
		role, repo, env string
		allow, refuse   []string
	}{
		{role: "plan", repo: names,
			allow:  []string{"repo:" + names + ":pull_request", "repo:" + names + ":ref:refs/heads/main"},
			refuse: []string{"repo:" + ids + ":pull_request", "repo:" + names + ":ref:refs/heads/feature"}},
		{role: "plan", repo: ids,
			allow: []string{"repo:" + ids + ":pull_request", "repo:" + ids + ":ref:refs/heads/main"},
			refuse: []string{"repo:" + names + ":pull_request", "repo:octo-org@5544123/media@999999999:pull_request",
				"repo:octo-org@5544123/media@821093847:ref:refs/heads/feature"}},
		{role: "apply", repo: ids,
			allow:  []string{"repo:" + ids + ":ref:refs/heads/main"},
			refuse: []string{"repo:" + ids + ":pull_request", "repo:" + names + ":ref:refs/heads/main"}},
		{role: "apply", repo: ids, env: "production",
			allow:  []string{"repo:" + ids + ":environment:production"},
			refuse: []string{"repo:" + ids + ":environment:staging", "repo:" + ids + ":ref:refs/heads/main", "repo:" + names + ":environment:production"}},
		{role: "apply", repo: names, env: "production",
			allow:  []string{"repo:" + names + ":environment:production"},
			refuse: []string{"repo:" + ids + ":environment:production"}},
	} {
		args := []string{"--role", c.role, "--policy", pol, "--trust", "--repo", c.repo}
		if c.env != "" {
			args = append(args, "--environment", c.env)
		}
		trust, err := e.iamPolicy(args...)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		name := e.name(fmt.Sprintf("gha-%s-%d", c.role, len(c.allow)+len(c.refuse)+len(c.env)))
		e.aws("iam", "create-role", "--role-name", name, "--assume-role-policy-document", trust)
		role := "arn:aws:iam::" + motoserver.Account + ":role/" + name
		for _, sub := range c.allow {
			if got := e.webIdentity(role, sub); got != "" {
				t.Errorf("%s role for --repo %s: a token for %s was refused: %s", c.role, c.repo, sub, got)
			}
		}
		for _, sub := range c.refuse {
			if got := e.webIdentity(role, sub); !strings.Contains(got, "Not authorized to perform sts:AssumeRoleWithWebIdentity") {
				t.Errorf("%s role for --repo %s: a token for %s got %q, want it refused", c.role, c.repo, sub, got)
			}
		}
	}
}

// asKey runs the AWS CLI as sseguard's access key (under the IAM policy it holds now) and
// returns its output, or STS/KMS's error text.
func (e *e2e) asKey(args ...string) (string, error) {
	out, stderr, err := runAWSCLI(e.runEnv(), append(args, "--output", "json"))
	if err != nil {
		return string(stderr), err
	}
	return string(out), nil
}

// The apply role cannot take over a key that is not the file's. With the apply policy
// `iam-policy` generates, it may put the sseguard:alias tag on another key of the account (AWS
// requires tagging at creation to be granted on every key), but the tag grants nothing: the key's
// policy cannot be rewritten, its rotation not changed, and it cannot be given one of the file's
// aliases (which would bring it under kms:ResourceAliases). Keys of other kinds, or created
// bypassing the lockout check, cannot be created. And sseguard's own apply does not adopt the
// tagged key: it creates its own and leaves the other untouched.
func TestE2EApplyRoleCannotTakeOverAForeignKey(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	e.ownIAM = true // the refusals are this test's to check
	bucket, alias := e.name("media"), e.alias("media")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	foreignARN, foreignID := e.createKey("") // the default key policy: the root statement alone
	before := dig(e.aws("kms", "get-key-policy", "--key-id", foreignID, "--policy-name", "default"), "Policy")
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n")
	// The apply policy of the binary under test.
	generated, err := e.iamPolicy("--role", "apply", "--policy", pol, "--account", motoserver.Account)
	if err != nil {
		t.Fatal(err)
	}
	if err := layer.SetIdentityPolicy(e.key, generated); err != nil {
		t.Fatal(err)
	}

	if out, err := e.asKey("kms", "tag-resource", "--key-id", foreignID, "--tags", "TagKey=sseguard:alias,TagValue="+alias); err != nil {
		t.Fatalf("tagging at creation is granted on every key, as AWS requires; tagging the foreign key was refused: %s", out)
	}
	refused := func(what string, args ...string) {
		t.Helper()
		out, err := e.asKey(args...)
		if err == nil || !strings.Contains(out, "AccessDeniedException") {
			t.Errorf("%s: %v %s, want AccessDeniedException", what, err, out)
		}
	}
	takeover := `{"Version":"2012-10-17","Statement":[{"Sid":"Mine","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + motoserver.Account + `:root"},"Action":"kms:*","Resource":"*"}]}`
	refused("PutKeyPolicy on the tagged foreign key", "kms", "put-key-policy", "--key-id", foreignID, "--policy-name", "default", "--policy", takeover)
	refused("EnableKeyRotation on the tagged foreign key", "kms", "enable-key-rotation", "--key-id", foreignID)
	refused("CreateAlias of the file's alias onto the foreign key", "kms", "create-alias", "--alias-name", alias, "--target-key-id", foreignID)
	refused("CreateKey of a multi-Region key", "kms", "create-key", "--multi-region", "--tags", "TagKey=sseguard:alias,TagValue="+alias)
	refused("CreateKey bypassing the lockout check", "kms", "create-key", "--bypass-policy-lockout-safety-check", "--policy", takeover,
		"--tags", "TagKey=sseguard:alias,TagValue="+alias)
	refused("CreateKey with a tag the file does not set", "kms", "create-key", "--tags", "TagKey=sseguard:alias,TagValue="+alias, "TagKey=owner,TagValue=me")
	refused("CreateKey for another alias", "kms", "create-key", "--tags", "TagKey=sseguard:alias,TagValue=alias/not-the-files")

	// sseguard's apply sees the tag, does not adopt the key (its policy does not name the apply
	// role), creates its own, and never writes the foreign key.
	start := len(layer.Actions())
	code, out := e.sseguard(e.runEnv(), "apply", "--policy", pol)
	if code != 0 || !strings.Contains(out, "not adopted") {
		t.Fatalf("apply = %d, want 0 with the tagged foreign key passed over\n%s", code, out)
	}
	keyARN := dig(e.aws("kms", "describe-key", "--key-id", alias), "KeyMetadata", "Arn")
	if keyARN == foreignARN {
		t.Fatalf("%s names the foreign key", alias)
	}
	if after := dig(e.aws("kms", "get-key-policy", "--key-id", foreignID, "--policy-name", "default"), "Policy"); after != before {
		t.Errorf("the foreign key's policy changed:\n%v\n→\n%v", before, after)
	}
	for _, a := range layer.Actions()[start:] {
		if a.AccessKeyID == e.key && !a.Allowed {
			t.Errorf("apply was refused %s", a)
		}
		// It only reads the tagged key, to learn it is not one it created.
		if a.AccessKeyID == e.key && strings.HasSuffix(a.Resource, foreignID) &&
			!slices.Contains([]string{"kms:ListResourceTags", "kms:DescribeKey", "kms:ListAliases", "kms:GetKeyPolicy"}, a.Action) {
			t.Errorf("apply did %s on the foreign key", a)
		}
	}
}

// Keys sseguard creates are named and adopted on their own policy's authority: a first apply whose
// CreateAlias fails leaves the key (naming the apply role) unnamed; the next apply, under the
// same generated policy, finds it by its tag and policy, names it, turns rotation on and uses it,
// with no request refused and no second key.
func TestE2EAdoptsAKeyAnEarlierRunCouldNotName(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	bucket, alias := e.name("media"), e.alias("adopt")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	pol := e.policy("version: 1\nbuckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n")
	own, err := awstest.Start(context.Background(), awstest.Options{Upstream: layer.Upstream()})
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	generated, err := e.iamPolicy("--role", "apply", "--policy", pol, "--account", motoserver.Account)
	if err != nil {
		t.Fatal(err)
	}
	if err := own.SetIdentityPolicy(e.key, generated); err != nil {
		t.Fatal(err)
	}
	own.SetHandle(func(op string, w http.ResponseWriter, r *http.Request) bool {
		if op == "kms:CreateAlias" {
			awstest.WriteKMSError(w, "KMSInternalException", "We encountered an internal error. Please try again.")
			return true
		}
		return false
	})
	code, out := e.sseguard(append(os.Environ(), own.EnvWithKey(e.key, "sseguard")...), "apply", "--policy", pol)
	if code != 1 || !strings.Contains(out, "the next run adopts it") {
		t.Fatalf("apply with CreateAlias failing = %d, want 1 saying the key is left for the next run\n%s", code, out)
	}
	if n := e.keysTagged(alias); n != 1 {
		t.Fatalf("%d keys tagged for %s after the failed run, want 1", n, alias)
	}
	if code, out = e.sseguard(nil, "apply", "--policy", pol); code != 0 || !strings.Contains(out, "adopted") {
		t.Fatalf("apply = %d, want the key adopted\n%s", code, out)
	}
	if n := e.keysTagged(alias); n != 1 {
		t.Errorf("%d keys tagged for %s, want the adopted one alone", n, alias)
	}
	id := dig(e.aws("kms", "describe-key", "--key-id", alias), "KeyMetadata", "KeyId").(string)
	if r := dig(e.aws("kms", "get-key-rotation-status", "--key-id", id), "KeyRotationEnabled"); r != true {
		t.Errorf("rotation of the adopted key = %v", r)
	}
	if code, out := e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode"); code != 0 {
		t.Errorf("plan after adoption = %d, want in sync\n%s", code, out)
	}
}

// session assumes role through the layer with the environment env (an administrator of the role's
// account) and returns the environment entries that act as that session.
func (e *e2e) session(env []string, role string) []string {
	e.t.Helper()
	m := e.in(env, "sts", "assume-role", "--role-arn", role, "--role-session-name", "gha")
	c, _ := m["Credentials"].(map[string]any)
	akid, _ := c["AccessKeyId"].(string)
	secret, _ := c["SecretAccessKey"].(string)
	token, _ := c["SessionToken"].(string)
	if akid == "" {
		e.t.Fatalf("assume %s: no credentials in %v", role, m)
	}
	return []string{"AWS_ACCESS_KEY_ID=" + akid, "AWS_SECRET_ACCESS_KEY=" + secret, "AWS_SESSION_TOKEN=" + token}
}

// A pull request cannot write in any account. Each account has a read-only plan role and a
// writing apply role, their policies and trust policies as `sseguard iam-policy` prints them:
// with the home plan role's credentials, the member's apply role cannot be assumed (its trust
// names the home apply role, and the plan role's own policy allows only the members' plan roles);
// a pull-request run of the action over both accounts assumes the member's plan role alone and
// sends no write anywhere (the layer's record); and an apply on main, with the apply roles, still
// fixes both accounts.
func TestE2EPlanNeverHoldsAWritingRole(t *testing.T) {
	longTier(t)
	e := newE2E(t)
	e.ownIAM = true // runs use role sessions, whose policies are set here
	memberEnv := e.accountEnv(accMember)
	home, member := e.name("home-media"), e.name("member-media")
	e.aws("s3api", "create-bucket", "--bucket", home)
	e.in(memberEnv, "s3api", "create-bucket", "--bucket", member)
	roleARN := func(acct, kind string) string {
		return fmt.Sprintf("arn:aws:iam::%s:role/%s", acct, e.name("sseguard-"+kind))
	}
	homePlan, homeApply := roleARN(motoserver.Account, "home-plan"), roleARN(motoserver.Account, "home-apply")
	memberPlan, memberApply := roleARN(accMember, "plan"), roleARN(accMember, "apply")
	r := newRunner(e)
	body := fmt.Sprintf(`version: 1
region: us-east-1
accounts:
  - id: "%s"
    plan_role_arn: %s
    apply_role_arn: %s
    external_id: media-prod
buckets:
  - name: %s
    encryption: sse-kms
    kms_key: %s
  - name: %s
    account: "%s"
    encryption: sse-kms
    kms_key: %s
`, accMember, memberPlan, memberApply, home, e.alias("media"), member, accMember, e.alias("media"))
	if err := os.WriteFile(r.ws+"/sseguard.yaml", []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	pf := r.ws + "/sseguard.yaml"
	mustPolicy := func(args ...string) string {
		t.Helper()
		out, err := e.iamPolicy(append(args, "--policy", pf)...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The home roles: assumable by the test's administrator (standing in for GitHub's OIDC
	// provider), held to the generated home policies.
	trustHome := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + motoserver.Account + `:root"},"Action":"sts:AssumeRole"}]}`
	for kind, arn := range map[string]string{"plan": homePlan, "apply": homeApply} {
		e.aws("iam", "create-role", "--role-name", e.name("sseguard-home-"+kind), "--assume-role-policy-document", trustHome)
		if err := layer.SetRolePolicy(arn, mustPolicy("--role", kind, "--account", motoserver.Account)); err != nil {
			t.Fatal(err)
		}
	}
	// The member's roles: trust and policy as printed for that account.
	for kind, m := range map[string][2]string{"plan": {memberPlan, homePlan}, "apply": {memberApply, homeApply}} {
		e.in(memberEnv, "iam", "create-role", "--role-name", e.name("sseguard-"+kind), "--assume-role-policy-document",
			mustPolicy("--role", kind, "--trust", "--account", accMember, "--assumed-by", m[1]))
		if err := layer.SetRolePolicy(m[0], mustPolicy("--role", kind, "--account", accMember)); err != nil {
			t.Fatal(err)
		}
	}
	planEnv := append(slices.Clone(e.env), e.session(e.env, homePlan)...)
	applyEnv := append(slices.Clone(e.env), e.session(e.env, homeApply)...)
	ours := func(principal string) bool {
		for _, name := range []string{"sseguard-home-plan", "sseguard-home-apply", "sseguard-plan", "sseguard-apply"} {
			if strings.Contains(principal, ":assumed-role/"+e.name(name)+"/") {
				return true
			}
		}
		return false
	}

	// With the plan credentials, the member's apply role is out of reach; its plan role is not.
	if out, err := e.awsRawWith(planEnv, "sts", "assume-role", "--role-arn", memberApply, "--role-session-name", "pr", "--external-id", "media-prod"); err == nil || !strings.Contains(string(out), "AccessDenied") {
		t.Errorf("the home plan role assumed the member's apply role: %v %s", err, out)
	}
	if out, err := e.awsRawWith(planEnv, "sts", "assume-role", "--role-arn", memberPlan, "--role-session-name", "pr", "--external-id", "media-prod"); err != nil {
		t.Errorf("the home plan role could not assume the member's plan role: %v %s", err, out)
	}

	// A pull request's run over both accounts.
	start := len(layer.Actions())
	code, out := r.runWith("pull_request", "refs/pull/7/merge", map[string]string{"policy": "sseguard.yaml"},
		`{"number":7,"pull_request":{"head":{"ref":"change"},"base":{"ref":"main"}},"repository":{"default_branch":"main","full_name":"acme/media"}}`, planEnv[len(e.env):])
	if code != 0 || !strings.Contains(out, "create-key/us-east-1/"+e.alias("media")) || !strings.Contains(out, accMember+"/set-default-encryption/"+member) {
		t.Fatalf("pull request run = %d, want a plan over both accounts\n%s", code, out)
	}
	var assumed []string
	var seen []awstest.Action
	for _, a := range layer.Actions()[start:] {
		if !ours(a.Principal) {
			continue
		}
		seen = append(seen, a)
		if a.Action == "sts:AssumeRole" {
			assumed = append(assumed, a.Resource)
		}
		if !a.Allowed {
			t.Errorf("the pull request's run was refused %s", a)
		}
	}
	if w := awstest.Writes(seen); len(w) > 0 {
		t.Errorf("the pull request's run sent writes:\n%s", awstest.FormatActions(w))
	}
	if len(seen) == 0 || slices.ContainsFunc(assumed, func(s string) bool { return s != memberPlan }) || !slices.Contains(assumed, memberPlan) {
		t.Errorf("the pull request's run assumed %v, want the member's plan role alone (%d actions seen)", assumed, len(seen))
	}

	// The apply on main, with the apply roles, fixes both accounts.
	start = len(layer.Actions())
	code, out = r.runWith("push", "refs/heads/main", map[string]string{"policy": "sseguard.yaml", "mode": "apply"},
		`{"repository":{"default_branch":"main","full_name":"acme/media"}}`, applyEnv[len(e.env):])
	if code != 0 {
		t.Fatalf("apply on main = %d\n%s", code, out)
	}
	for _, a := range layer.Actions()[start:] {
		if ours(a.Principal) && !a.Allowed {
			t.Errorf("the apply was refused %s", a)
		}
		if ours(a.Principal) && a.Action == "sts:AssumeRole" && a.Resource != memberApply {
			t.Errorf("the apply assumed %s, want the member's apply role", a.Resource)
		}
	}
	if alg, key := encryptionOf(e, memberEnv, member); alg != "aws:kms" || !strings.Contains(key, ":"+accMember+":key/") {
		t.Errorf("member bucket after apply: %s %s", alg, key)
	}
}

// Batch Operations permissions, scoped: with the apply policy `iam-policy` prints, a job of an
// operation sseguard never creates (tagging, through the same job role) is refused by the layer,
// while sseguard's own hand-off creates its jobs through the layer, passing the job role to S3
// Batch Operations alone; the job role's trust policy lets Batch Operations assume it for this
// account's jobs and not another's, and its permissions hold no ACL write.
func TestE2EBatchPermissionsScoped(t *testing.T) {
	longTier(t)
	s := newBatchScene(t)
	e := s.e
	ctx := context.Background()
	generated, err := e.iamPolicy("--role", "apply", "--policy", s.pol, "--account", motoserver.Account)
	if err != nil {
		t.Fatal(err)
	}
	if err := layer.SetIdentityPolicy(e.key, generated); err != nil {
		t.Fatal(err)
	}
	layer.SetS3Control(e.key, s.srv.URL)
	client := batchops.NewClient(aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, BaseEndpoint: aws.String(layer.URL),
		Credentials: credentials.NewStaticCredentialsProvider(e.key, "sseguard", "")}, "us-east-1")
	_, err = client.CreateJob(ctx, &s3control.CreateJobInput{
		AccountId: aws.String(motoserver.Account), ClientRequestToken: aws.String(e.name("tagging")), Priority: aws.Int32(10),
		RoleArn: aws.String(s.role), ConfirmationRequired: aws.Bool(false), Report: &s3types.JobReport{Enabled: false},
		Operation: &s3types.JobOperation{S3PutObjectTagging: &s3types.S3SetObjectTaggingOperation{}},
		ManifestGenerator: &s3types.JobManifestGeneratorMemberS3JobManifestGenerator{Value: s3types.S3JobManifestGenerator{
			SourceBucket: aws.String("arn:aws:s3:::" + s.bucket), Filter: &s3types.JobManifestGeneratorFilter{CreatedBefore: aws.Time(time.Now())}}},
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDenied" {
		t.Errorf("a tagging job with the apply role: %v, want AccessDenied", err)
	}

	// sseguard's own jobs go through under the policy the scene grants (e.sseguard fails the test
	// on any refusal), each with s3:CreateJob and iam:PassRole checked by the layer.
	start := len(layer.Actions())
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}
	checked := map[string]int{}
	for _, a := range layer.Actions()[start:] {
		if a.AccessKeyID == e.key && a.Checked && a.Allowed && (a.Action == "s3:CreateJob" || a.Action == "iam:PassRole") {
			checked[a.Action]++
		}
	}
	if checked["s3:CreateJob"] == 0 || checked["iam:PassRole"] != checked["s3:CreateJob"] {
		t.Errorf("jobs checked by the layer: %v, want each CreateJob with its iam:PassRole", checked)
	}

	// The job role: trusted by Batch Operations for this account's jobs only, no ACL write.
	trust, err := e.iamPolicy("--role", "batch", "--trust", "--policy", s.pol, "--account", motoserver.Account)
	if err != nil {
		t.Fatal(err)
	}
	e.aws("iam", "create-role", "--role-name", e.name("sseguard-batch"), "--assume-role-policy-document", trust)
	if err := layer.BatchMayAssume(ctx, s.role, motoserver.Account); err != nil {
		t.Errorf("Batch Operations may not assume the job role for this account's job: %v", err)
	}
	if err := layer.BatchMayAssume(ctx, s.role, "999988887777"); err == nil {
		t.Error("Batch Operations may assume the job role for another account's job")
	}
	perms, err := e.iamPolicy("--role", "batch", "--policy", s.pol, "--account", motoserver.Account)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(perms, "s3:PutObjectAcl") {
		t.Errorf("the job role may write ACLs, which its jobs never do:\n%s", perms)
	}
}
