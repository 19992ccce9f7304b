package awstest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const gitHubIssuer = "https://token.actions.githubusercontent.com"

// gitHubProvider registers GitHub's OIDC provider in moto's default account (once: it is
// account-wide, and tests share the account).
func gitHubProvider(t *testing.T, c clients) {
	t.Helper()
	_, err := c.iam.CreateOpenIDConnectProvider(context.Background(), &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(gitHubIssuer), ClientIDList: []string{"sts.amazonaws.com"},
		ThumbprintList: []string{"6938fd4d98bab03faadb97b34396831e3780aea1"},
	})
	if err != nil && errorCode(err) != "EntityAlreadyExists" {
		t.Fatal(err)
	}
}

// AssumeRoleWithWebIdentity is refused unless the token's issuer is a registered provider, its
// audience one of the provider's, and the role's trust policy allows its subject; moto alone
// hands out credentials for any token and any role.
func TestAssumeRoleWithWebIdentityChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	moto, layer := both(shared, "testing")
	gitHubProvider(t, layer)
	role := unique("gha")
	roleARN := "arn:aws:iam::123456789012:role/" + role
	const sub = "repo:octo-org@5544123/media@821093847:ref:refs/heads/main"
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},` +
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com","token.actions.githubusercontent.com:sub":"` + sub + `"}}}]}`
	if _, err := layer.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Unix()
	token := func(iss, sub, aud string) string {
		return WebIdentityToken(map[string]any{"iss": iss, "sub": sub, "aud": aud, "exp": exp})
	}
	for name, tc := range map[string]struct {
		role, token, code string
	}{
		"the trusted subject":          {role: roleARN, token: token(gitHubIssuer, sub, "sts.amazonaws.com")},
		"the legacy form of that repo": {role: roleARN, token: token(gitHubIssuer, "repo:octo-org/media:ref:refs/heads/main", "sts.amazonaws.com"), code: "AccessDenied"},
		"a pull request":               {role: roleARN, token: token(gitHubIssuer, "repo:octo-org@5544123/media@821093847:pull_request", "sts.amazonaws.com"), code: "AccessDenied"},
		"another audience":             {role: roleARN, token: token(gitHubIssuer, sub, "api://other"), code: "InvalidIdentityToken"},
		"an issuer not registered":     {role: roleARN, token: token("https://issuer.example", sub, "sts.amazonaws.com"), code: "InvalidIdentityToken"},
		"no such role":                 {role: "arn:aws:iam::123456789012:role/" + unique("missing"), token: token(gitHubIssuer, sub, "sts.amazonaws.com"), code: "AccessDenied"},
		"not a token":                  {role: roleARN, token: "not-a-jwt", code: "InvalidIdentityToken"},
	} {
		t.Run(name, func(t *testing.T) {
			in := &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(tc.role), RoleSessionName: aws.String("gha"), WebIdentityToken: aws.String(tc.token)}
			if _, err := moto.sts.AssumeRoleWithWebIdentity(ctx, in); err != nil {
				t.Errorf("moto alone refused: %v (the rule exists because moto allows every token)", err)
			}
			out, err := layer.sts.AssumeRoleWithWebIdentity(ctx, in)
			switch {
			case tc.code == "" && err != nil:
				t.Errorf("layer refused: %v", err)
			case tc.code == "" && aws.ToString(out.Credentials.AccessKeyId) == "":
				t.Error("no credentials")
			case tc.code != "" && errorCode(err) != tc.code:
				t.Errorf("layer answered %v, want %s", err, tc.code)
			case tc.code == "AccessDenied" && errorMessage(err) != "Not authorized to perform sts:AssumeRoleWithWebIdentity":
				t.Errorf("layer's message %q, want STS's", errorMessage(err))
			}
		})
	}
}
