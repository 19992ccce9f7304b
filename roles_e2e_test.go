package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/awstest"
	"github.com/sseguard/sseguard/internal/motoserver"
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

// webIdentity assumes role with a GitHub token whose subject is sub, through the layer, and
// returns "" or STS's error code and message.
func (e *e2e) webIdentity(role, sub string) string {
	e.t.Helper()
	tok := awstest.WebIdentityToken(map[string]any{"iss": gitHubIssuer, "sub": sub, "aud": "sts.amazonaws.com",
		"exp": time.Now().Add(time.Hour).Unix()})
	out, err := e.awsRaw("sts", "assume-role-with-web-identity", "--role-arn", role, "--role-session-name", "gha",
		"--web-identity-token", tok)
	if err != nil {
		return strings.TrimSpace(string(out))
	}
	return ""
}

// Trust policies for today's GitHub: `--repo OWNER/REPO` and `--repo OWNER@OWNER_ID/REPO@REPO_ID`
// each let in exactly the subjects GitHub sends in that form, for pull requests (plan), the apply
// branch and an environment (apply): STS, as the layer judges it, hands the role to those tokens
// and refuses the others.
func TestE2ETrustPoliciesForBothSubjectForms(t *testing.T) {
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
