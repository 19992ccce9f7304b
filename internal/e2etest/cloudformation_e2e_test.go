package e2etest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// AWS set-up in one command (issue "From zero to a pull-request check"): the template
// `iam-policy --format cloudformation` writes deploys with `aws cloudformation deploy` (into the
// emulator's CloudFormation, the OIDC provider existing already, as its parameter says); the
// roles it made hold exactly the policies and trust policies `iam-policy` prints; and, with those
// policies (read back from IAM) judging every request and GitHub tokens exchanged for the roles'
// credentials through STS, a pull request's plan runs under the plan role, cannot apply, and a
// push's apply runs under the apply role and converges.
func TestE2ECloudFormationRolesRunPlanAndApply(t *testing.T) {
	e := newE2E(t)
	e.gitHubProvider()
	bucket := e.name("media-cfn")
	alias := e.alias("cfn")
	e.aws("s3api", "create-bucket", "--bucket", bucket)
	pol := e.policy("version: 1\naccount: \"" + motoserver.Account + "\"\nkeys:\n  - alias: " + alias + "\n    rotation: true\n" +
		"buckets:\n  - name: " + bucket + "\n    encryption: sse-kms\n    kms_key: " + alias + "\n    bucket_key: true\n    enforce_on_upload: true\n")
	template, err := e.iamPolicy("--format", "cloudformation", "--policy", pol)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(e.dir, "sseguard-roles.json")
	if err := os.WriteFile(file, []byte(template), 0o644); err != nil {
		t.Fatal(err)
	}

	const repo = "octo-org@5544123/media@821093847"
	planName, applyName := e.name("sseguard-plan"), e.name("sseguard-apply")
	provider := "arn:aws:iam::" + motoserver.Account + ":oidc-provider/token.actions.githubusercontent.com"
	// CloudFormation is set-up, not something sseguard calls: it goes to moto directly.
	deploy := exec.Command("aws", "cloudformation", "deploy", "--stack-name", e.name("sseguard-roles"), "--template-file", file,
		"--capabilities", "CAPABILITY_NAMED_IAM", "--parameter-overrides", "Repository="+repo,
		"GitHubOIDCProviderArn="+provider, "PlanRoleName="+planName, "ApplyRoleName="+applyName)
	deploy.Env = append(e.env, "AWS_ENDPOINT_URL="+layer.Upstream())
	if out, err := deploy.CombinedOutput(); err != nil {
		t.Fatalf("aws cloudformation deploy: %v\n%s", err, out)
	}

	roleARN := map[string]string{}
	for role, name := range map[string]string{"plan": planName, "apply": applyName} {
		roleARN[role] = "arn:aws:iam::" + motoserver.Account + ":role/" + name
		wantTrust, err := e.iamPolicy("--role", role, "--policy", pol, "--trust", "--repo", repo)
		if err != nil {
			t.Fatal(err)
		}
		gotTrust := e.aws("iam", "get-role", "--role-name", name)["Role"].(map[string]any)["AssumeRolePolicyDocument"]
		if !sameJSON(t, gotTrust, wantTrust) {
			t.Errorf("%s role's trust policy from the stack:\n%v\nwant what iam-policy --trust prints:\n%s", role, gotTrust, wantTrust)
		}
		want, err := e.iamPolicy("--role", role, "--policy", pol)
		if err != nil {
			t.Fatal(err)
		}
		got := e.attachedPolicy(name)
		if !sameJSON(t, got, want) {
			t.Errorf("%s role's policies from the stack:\n%v\nwant what iam-policy prints:\n%s", role, got, want)
		}
		text, _ := json.Marshal(got)
		if err := layer.SetRolePolicy(roleARN[role], string(text)); err != nil {
			t.Fatal(err)
		}
	}

	run := func(role, sub string, args ...string) (int, string, []awstest.Action) {
		t.Helper()
		// As aws-actions/configure-aws-credentials does on the runner: the job's GitHub token
		// exchanged through STS for the role's credentials, handed to the step as AWS_* variables.
		tok := awstest.WebIdentityToken(map[string]any{"iss": gitHubIssuer, "sub": sub,
			"aud": "sts.amazonaws.com", "exp": time.Now().Add(time.Hour).Unix()})
		c := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(layer.URL), RetryMaxAttempts: 1})
		got, err := c.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
			RoleArn: aws.String(roleARN[role]), RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(tok)})
		if err != nil {
			t.Fatalf("a token for %s could not assume the stack's %s role: %v", sub, role, err)
		}
		var env []string
		for _, kv := range e.runEnv() {
			if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") && !strings.HasPrefix(kv, "AWS_SESSION_TOKEN=") {
				env = append(env, kv)
			}
		}
		env = append(env, "AWS_ACCESS_KEY_ID="+aws.ToString(got.Credentials.AccessKeyId),
			"AWS_SECRET_ACCESS_KEY="+aws.ToString(got.Credentials.SecretAccessKey), "AWS_SESSION_TOKEN="+aws.ToString(got.Credentials.SessionToken))
		before := len(layer.Refused())
		cmd := exec.Command(binary, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		var refused []awstest.Action
		for _, a := range layer.Refused()[before:] {
			if strings.Contains(a.Principal, ":assumed-role/"+map[string]string{"plan": planName, "apply": applyName}[role]+"/") {
				refused = append(refused, a)
			}
		}
		return code, string(out), refused
	}

	code, out, refused := run("plan", "repo:"+repo+":pull_request", "plan", "--policy", pol, "--detailed-exitcode")
	if code != 2 || len(refused) > 0 {
		t.Fatalf("plan under the stack's plan role = %d, want 2 (changes pending) with nothing refused:\n%s\n%s", code, out, awstest.FormatActions(refused))
	}
	code, out, refused = run("plan", "repo:"+repo+":pull_request", "apply", "--policy", pol)
	if code == 0 || len(refused) == 0 {
		t.Errorf("apply under the stack's plan role = %d with %d refusals; the plan role must not write:\n%s", code, len(refused), out)
	}
	code, out, refused = run("apply", "repo:"+repo+":ref:refs/heads/main", "apply", "--policy", pol)
	if code != 0 || len(refused) > 0 {
		t.Fatalf("apply under the stack's apply role = %d, want 0 with nothing refused:\n%s\n%s", code, out, awstest.FormatActions(refused))
	}
	code, out, refused = run("plan", "repo:"+repo+":ref:refs/heads/main", "plan", "--policy", pol, "--detailed-exitcode")
	if code != 0 || len(refused) > 0 {
		t.Errorf("plan after apply = %d, want 0 (in sync):\n%s\n%s", code, out, awstest.FormatActions(refused))
	}
	if got := e.webIdentity(roleARN["apply"], "repo:"+repo+":pull_request"); !strings.Contains(got, "Not authorized") {
		t.Errorf("a pull request's token got the stack's apply role: %q", got)
	}
}

// attachedPolicy returns the statements of every managed policy attached to role, as one policy.
func (e *e2e) attachedPolicy(role string) map[string]any {
	e.t.Helper()
	var statements []any
	version := ""
	for _, p := range e.aws("iam", "list-attached-role-policies", "--role-name", role)["AttachedPolicies"].([]any) {
		arn := p.(map[string]any)["PolicyArn"].(string)
		v := e.aws("iam", "get-policy", "--policy-arn", arn)["Policy"].(map[string]any)["DefaultVersionId"].(string)
		doc := e.aws("iam", "get-policy-version", "--policy-arn", arn, "--version-id", v)["PolicyVersion"].(map[string]any)["Document"].(map[string]any)
		version = doc["Version"].(string)
		statements = append(statements, doc["Statement"].([]any)...)
	}
	if len(statements) == 0 {
		e.t.Fatalf("no managed policy attached to %s", role)
	}
	return map[string]any{"Version": version, "Statement": statements}
}

// sameJSON says whether got (decoded JSON) and want (JSON text) are the same value.
func sameJSON(t *testing.T, got any, want string) bool {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	var g any
	_ = json.Unmarshal(b, &g)
	return reflect.DeepEqual(g, w)
}
