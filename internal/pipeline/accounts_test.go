package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

const member = "111122223333"

// One run plans and applies a policy over two accounts: each account's buckets are read and
// changed with that account's credentials (the member's through its role), the same alias in
// both gives two changes (the member's qualified by its account), and the plan after apply is in
// sync. (moto assumes any role: a role that cannot be assumed is shown through the strict layer,
// in the root package's end-to-end test.)
func TestAccountsPlanAndApply(t *testing.T) {
	ctx := context.Background()
	srv, err := motoserver.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	home, err := awsclient.ForEndpoint(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	other := home.AssumeRole("arn:aws:iam::"+member+":role/sseguard-apply", "", "")
	for c, b := range map[*awsclient.Clients]string{home: "home-media", other: "member-media"} {
		if _, err := c.S3("").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create %s: %v", b, err)
		}
	}
	path := filepath.Join(t.TempDir(), "sseguard.yaml")
	if err := os.WriteFile(path, []byte(`version: 1
region: us-east-1
accounts:
  - id: "`+member+`"
    plan_role_arn: arn:aws:iam::`+member+`:role/sseguard-plan
    apply_role_arn: arn:aws:iam::`+member+`:role/sseguard-apply
buckets:
  - name: home-media
    encryption: sse-kms
    kms_key: alias/media
  - name: member-media
    account: "`+member+`"
    encryption: sse-kms
    kms_key: alias/media
`), 0o600); err != nil {
		t.Fatal(err)
	}
	assumed := &assumeRecorder{AWS: FromClients(home)}
	p := &Pipeline{AWS: Static(assumed), VerifyFor: -1}

	pl, _, err := p.Run(ctx, Operation{Mode: plan.ModePlan, PolicyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	// A plan assumes the member's read-only role only.
	if want := []string{"arn:aws:iam::" + member + ":role/sseguard-plan"}; !slices.Equal(assumed.roles, want) {
		t.Errorf("plan assumed %v, want %v", assumed.roles, want)
	}
	assumed.roles = nil
	if want := []string{motoserver.Account, member}; !slices.Equal(pl.Accounts, want) {
		t.Errorf("accounts = %v, want %v", pl.Accounts, want)
	}
	var ids []string
	for _, c := range pl.Changes {
		ids = append(ids, c.Account+" "+c.ID)
	}
	for _, want := range []string{
		motoserver.Account + " create-key/us-east-1/alias/media",
		member + " " + member + "/create-key/us-east-1/alias/media",
		motoserver.Account + " set-default-encryption/home-media",
		member + " " + member + "/set-default-encryption/member-media",
	} {
		if !slices.Contains(ids, want) {
			t.Errorf("plan lacks change %q; has %v", want, ids)
		}
	}

	_, results, err := p.Run(ctx, Operation{Mode: plan.ModeApply, PolicyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"arn:aws:iam::" + member + ":role/sseguard-apply"}; !slices.Equal(assumed.roles, want) {
		t.Errorf("apply assumed %v, want %v", assumed.roles, want)
	}
	for _, r := range results {
		if r.Outcome != plan.Done {
			t.Errorf("result %+v, want done", r)
		}
	}
	if len(results) != len(pl.Changes) {
		t.Errorf("%d results, want %d", len(results), len(pl.Changes))
	}
	// The member's bucket now uses a key of the member's account, read with its credentials.
	enc, err := other.S3("").GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("member-media")})
	if err != nil {
		t.Fatal(err)
	}
	key := aws.ToString(enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.KMSMasterKeyID)
	if !strings.Contains(key, ":"+member+":") {
		t.Errorf("member bucket's key = %q, want a key of account %s", key, member)
	}

	again, _, err := (&Pipeline{AWS: Static(FromClients(home))}).Run(ctx, Operation{Mode: plan.ModePlan, PolicyPath: path})
	if err != nil {
		t.Fatal(err)
	}
	if !again.InSync() {
		t.Errorf("plan after apply not in sync: changes %+v blockers %+v", again.Changes, again.Blockers)
	}
}

// assumeRecorder records the roles a run assumes.
type assumeRecorder struct {
	AWS
	roles []string
}

func (a *assumeRecorder) AssumeRole(roleARN, externalID, region string) AWS {
	a.roles = append(a.roles, roleARN)
	return a.AWS.(assumer).AssumeRole(roleARN, externalID, region)
}
