package iamgen

import (
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// trustAllows judges d as STS judges AssumeRoleWithWebIdentity with a GitHub token whose sub is
// sub: the caller is the OIDC provider (a Federated principal), the token's claims are condition
// keys named after the provider.
func trustAllows(t *testing.T, d *iampolicy.Document, sub string) bool {
	t.Helper()
	withRes := *d
	withRes.Statements = nil
	for _, st := range d.Statements {
		st.Resource = []string{"*"} // a trust policy has none: it is the role's own
		withRes.Statements = append(withRes.Statements, st)
	}
	src, err := withRes.JSON()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := iampolicy.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	req := iampolicy.Request{Principal: "arn:aws:iam::" + acct + ":oidc-provider/" + oidcHost, Action: "sts:AssumeRoleWithWebIdentity",
		Resource: "arn:aws:iam::" + acct + ":role/sseguard", Context: map[string][]string{oidcHost + ":sub": {sub}, oidcHost + ":aud": {"sts.amazonaws.com"}}}
	return doc.Explain(req, iampolicy.EvalOptions{}).Decision == iampolicy.Allow
}

// Each form of --repo trusts exactly the subjects GitHub sends in that form, for pull requests,
// the apply branch and environments; never the other form, another repository with the same
// names, or a wildcard over the ids.
func TestTrustSubjectForms(t *testing.T) {
	t.Parallel()
	const (
		legacy    = "repo:octo-org/media"
		immutable = "repo:octo-org@5544123/media@821093847"
		recycled  = "repo:octo-org@5544123/media@999999999" // a new repository under the old name
	)
	for _, c := range []struct {
		o     TrustOptions
		sub   string
		allow bool
	}{
		{TrustOptions{Role: RolePlan, Repo: "octo-org/media"}, legacy + ":pull_request", true},
		{TrustOptions{Role: RolePlan, Repo: "octo-org/media"}, legacy + ":ref:refs/heads/main", true},
		{TrustOptions{Role: RolePlan, Repo: "octo-org/media"}, immutable + ":pull_request", false},
		{TrustOptions{Role: RolePlan, Repo: "octo-org@5544123/media@821093847"}, immutable + ":pull_request", true},
		{TrustOptions{Role: RolePlan, Repo: "octo-org@5544123/media@821093847"}, immutable + ":ref:refs/heads/main", true},
		{TrustOptions{Role: RolePlan, Repo: "octo-org@5544123/media@821093847"}, legacy + ":pull_request", false},
		{TrustOptions{Role: RolePlan, Repo: "octo-org@5544123/media@821093847"}, recycled + ":pull_request", false},
		{TrustOptions{Role: RoleApply, Repo: "octo-org@5544123/media@821093847"}, immutable + ":ref:refs/heads/main", true},
		{TrustOptions{Role: RoleApply, Repo: "octo-org@5544123/media@821093847"}, immutable + ":pull_request", false},
		{TrustOptions{Role: RoleApply, Repo: "octo-org@5544123/media@821093847"}, immutable + ":ref:refs/heads/feature", false},
		{TrustOptions{Role: RoleApply, Repo: "octo-org@5544123/media@821093847"}, legacy + ":ref:refs/heads/main", false},
		{TrustOptions{Role: RoleApply, Repo: "octo-org@5544123/media@821093847", Environment: "production"}, immutable + ":environment:production", true},
		{TrustOptions{Role: RoleApply, Repo: "octo-org@5544123/media@821093847", Environment: "production"}, immutable + ":environment:staging", false},
		{TrustOptions{Role: RoleApply, Repo: "octo-org/media", Environment: "production"}, legacy + ":environment:production", true},
		{TrustOptions{Role: RoleApply, Repo: "octo-org/media", Environment: "production"}, immutable + ":environment:production", false},
	} {
		c.o.Account = acct
		d, err := Trust(c.o)
		if err != nil {
			t.Fatalf("Trust(%+v): %v", c.o, err)
		}
		if got := trustAllows(t, d, c.sub); got != c.allow {
			t.Errorf("%s role for --repo %s (environment %q): sub %s allowed = %v, want %v", c.o.Role, c.o.Repo, c.o.Environment, c.sub, got, c.allow)
		}
	}
}
