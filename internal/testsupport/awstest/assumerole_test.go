package awstest

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// sessionClients assumes roleARN through c (with externalID when set) and returns clients at
// endpoint acting as that session.
func sessionClients(ctx context.Context, c clients, endpoint, roleARN, externalID string) (clients, error) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("test")}
	if externalID != "" {
		in.ExternalId = aws.String(externalID)
	}
	out, err := c.sts.AssumeRole(ctx, in)
	if err != nil {
		return clients{}, err
	}
	cr := out.Credentials
	cfg := aws.Config{Region: "us-east-1", RetryMaxAttempts: 1, Credentials: credentials.NewStaticCredentialsProvider(
		aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))}
	ep := aws.String(endpoint)
	return clients{
		s3:  s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint = ep; o.UsePathStyle = true }),
		iam: iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = ep }),
		sts: sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = ep }),
	}, nil
}

// AssumeRole is refused unless the role exists in its account and its trust policy allows the
// caller with the external id sent; moto alone hands out credentials for any role ARN.
func TestAssumeRoleChecked(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	moto, layer := both(shared, "testing")
	const member = "111122223333"
	// The member account is set up through moto, as its own account: a session of a role there.
	setup, err := sessionClients(ctx, moto, shared.URL, "arn:aws:iam::"+member+":role/setup", "")
	if err != nil {
		t.Fatal(err)
	}
	role := unique("sseguard")
	roleARN := fmt.Sprintf("arn:aws:iam::%s:role/%s", member, role)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"media-prod"}}}]}`
	if _, err := setup.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	other := unique("other")
	if _, err := setup.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(other),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}

	for name, tc := range map[string]struct {
		role, externalID string
		allowed          bool
	}{
		"trusted, right external id":      {role: roleARN, externalID: "media-prod", allowed: true},
		"trusted, wrong external id":      {role: roleARN, externalID: "media-dev"},
		"trusted, no external id":         {role: roleARN},
		"trust names another account":     {role: fmt.Sprintf("arn:aws:iam::%s:role/%s", member, other)},
		"no such role":                    {role: fmt.Sprintf("arn:aws:iam::%s:role/%s", member, unique("missing"))},
		"same name in the caller account": {role: "arn:aws:iam::123456789012:role/" + role, externalID: "media-prod"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := sessionClients(ctx, moto, shared.URL, tc.role, tc.externalID); err != nil {
				t.Errorf("moto alone refused: %v (the rule exists because moto allows every AssumeRole)", err)
			}
			_, err := sessionClients(ctx, layer, shared.URL, tc.role, tc.externalID)
			switch {
			case tc.allowed && err != nil:
				t.Errorf("layer refused: %v", err)
			case !tc.allowed && errorCode(err) != "AccessDenied":
				t.Errorf("layer answered %v, want AccessDenied", err)
			}
		})
	}
}

// A session of a role is held to the role's policy (SetRolePolicy); moto alone lets it do
// anything.
func TestRolePolicyAppliesToSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := newLayer(t, Options{})
	moto, admin := both(l, "testing")
	role := unique("limited")
	roleARN := "arn:aws:iam::123456789012:role/" + role
	if _, err := admin.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), AssumeRolePolicyDocument: aws.String(trustAnyone)}); err != nil {
		t.Fatal(err)
	}
	if err := l.SetRolePolicy(roleARN, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`); err != nil {
		t.Fatal(err)
	}
	viaMoto, err := sessionClients(ctx, moto, l.Upstream(), roleARN, "")
	if err != nil {
		t.Fatal(err)
	}
	viaLayer, err := sessionClients(ctx, admin, l.URL, roleARN, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := viaMoto.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(unique("free"))}); err != nil {
		t.Errorf("moto alone refused the session: %v", err)
	}
	if _, err := viaLayer.s3.ListBuckets(ctx, &s3.ListBucketsInput{}); err != nil {
		t.Errorf("the role's policy allows ListBuckets, layer refused: %v", err)
	}
	if _, err := viaLayer.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(unique("held"))}); errorCode(err) != "AccessDenied" {
		t.Errorf("CreateBucket by a session of a role allowed only ListBuckets: %v, want AccessDenied", err)
	}
	// The same access key as a plain caller of another account is unaffected: the policy is the
	// role's, not the account's.
	if _, err := admin.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(unique("admin"))}); err != nil {
		t.Errorf("the admin was refused: %v", err)
	}
}
