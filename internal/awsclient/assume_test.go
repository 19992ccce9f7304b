package awsclient

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// Clients from an assumed role act as a session of that role, in the role's account, named
// sseguard, through the same endpoint, in the region asked for.
func TestAssumeRole(t *testing.T) {
	ctx := context.Background()
	srv, err := motoserver.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	home, err := ForEndpoint(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	const role = "arn:aws:iam::111122223333:role/sseguard"
	member := home.AssumeRole(role, "media-prod", "eu-west-1")
	if got := member.Region(); got != "eu-west-1" {
		t.Errorf("region = %q, want eu-west-1", got)
	}
	id, err := member.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(id.Account); got != "111122223333" {
		t.Errorf("account = %q, want 111122223333", got)
	}
	if got := aws.ToString(id.Arn); !strings.HasSuffix(got, ":assumed-role/sseguard/"+RoleSessionName) {
		t.Errorf("caller = %q, want a session of role sseguard named %s", got, RoleSessionName)
	}
	if !member.s3PathStyle {
		t.Error("the assumed clients lost path-style addressing for the custom endpoint")
	}
}
