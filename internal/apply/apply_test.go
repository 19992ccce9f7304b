package apply_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sseguard/sseguard/internal/apply"
	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// One moto_server behind one strict AWS layer serves the whole package; every test uses buckets,
// keys and aliases of its own (unique), so tests run in parallel.
var layer *awstest.Layer

func TestMain(m *testing.M) {
	l, stop := awstest.StartMain()
	layer = l
	code := m.Run()
	stop()
	os.Exit(code)
}

var seq atomic.Int64

// unique returns base with a suffix no other name in this run has (a bucket name, or an alias).
func unique(base string) string { return fmt.Sprintf("%s-%d", base, seq.Add(1)) }

// awsClients returns sseguard's clients, through the layer.
func awsClients(t *testing.T) *awsclient.Clients {
	t.Helper()
	c, err := awsclient.ForEndpoint(context.Background(), layer.URL)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// keysTagged returns the ids of the keys tagged AliasTag = alias.
func keysTagged(t *testing.T, kc *kms.Client, alias string) []string {
	t.Helper()
	ctx := context.Background()
	var ids []string
	p := kms.NewListKeysPaginator(kc, &kms.ListKeysInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Keys {
			tags, err := kc.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: k.KeyId})
			if err != nil {
				t.Fatal(err)
			}
			for _, tg := range tags.Tags {
				if aws.ToString(tg.TagKey) == apply.AliasTag && aws.ToString(tg.TagValue) == alias {
					ids = append(ids, aws.ToString(k.KeyId))
				}
			}
		}
	}
	return ids
}

type clients struct{ c *awsclient.Clients }

func (c clients) S3(r string) apply.S3API   { return c.c.S3(r) }
func (c clients) KMS(r string) apply.KMSAPI { return c.c.KMS(r) }

// A change that fails skips the changes that depend on it, runs the rest, and says exactly what
// happened to each; a key created before its alias failed is reported with its ARN (it is never
// deleted).
func TestApplyReportsEveryChangeAndSkipsDependents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := awsClients(t)
	media, thumbs, alias := unique("media-hls"), unique("thumbs"), unique("alias/race")
	for _, b := range []string{media, thumbs} {
		if _, err := c.S3("us-east-1").CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	// Someone else takes the alias between plan and apply.
	other, err := c.KMS("us-east-1").CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.KMS("us-east-1").CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: other.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	createID := "create-key/us-east-1/" + alias
	p := &plan.Plan{Changes: []plan.Change{
		{ID: createID, Kind: plan.CreateKey, Alias: alias, Region: "us-east-1",
			Key: &plan.NewKey{Alias: alias, Description: "d"}},
		{ID: "set-default-encryption/" + media, Kind: plan.SetDefaultEncryption, Bucket: media, Region: "us-east-1",
			Rule: &plan.Rule{Algorithm: plan.AlgKMS, Alias: alias, BucketKey: true}, DependsOn: []string{createID}},
		{ID: "set-default-encryption/" + thumbs, Kind: plan.SetDefaultEncryption, Bucket: thumbs, Region: "us-east-1",
			Rule: &plan.Rule{Algorithm: plan.AlgAES256}},
	}}
	var seen []plan.Result
	results := (&apply.Applier{Clients: clients{c}, OnResult: func(_ plan.Change, r plan.Result) { seen = append(seen, r) }}).Apply(ctx, p)
	if len(results) != 3 {
		t.Fatalf("%d results for 3 changes", len(results))
	}
	if r := results[0]; r.Outcome != plan.Failed || !strings.Contains(r.Error, "AlreadyExists") ||
		!strings.Contains(r.Error, "left in place") || !strings.HasPrefix(r.Detail, "arn:aws:kms:us-east-1:") {
		t.Errorf("create-key result = %+v, want failed with the AWS error and the new key's ARN", r)
	}
	if r := results[1]; r.Outcome != plan.Skipped || !strings.Contains(r.Error, createID) {
		t.Errorf("dependent result = %+v, want skipped naming the failed change", r)
	}
	if r := results[2]; r.Outcome != plan.Done {
		t.Errorf("unrelated change = %+v, want done", r)
	}
	// Through the layer an untouched bucket reports SSE-S3, as every bucket on AWS does.
	if enc, err := c.S3("us-east-1").GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(media)}); err != nil ||
		enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm != "AES256" {
		t.Errorf("%s got an encryption rule although its key change failed: %+v %v", media, enc, err)
	}
	for _, id := range []string{"failed", "skipped", "done"} {
		if !slices.ContainsFunc(seen, func(r plan.Result) bool { return string(r.Outcome) == id }) {
			t.Errorf("OnResult was not called with a %s result: %+v", id, seen)
		}
	}
	// Nothing was deleted: the other key and the one created before the alias failed are there,
	// and no other was created.
	created := keysTagged(t, c.KMS("us-east-1"), alias)
	if len(created) != 1 || !strings.Contains(results[0].Detail, created[0]) {
		t.Errorf("keys tagged for %s: %v, want the one the result names (%s)", alias, created, results[0].Detail)
	}
	for _, id := range append(created, aws.ToString(other.KeyMetadata.KeyId)) {
		d, err := c.KMS("us-east-1").DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err != nil || d.KeyMetadata.KeyState != kmstypes.KeyStateEnabled {
			t.Errorf("key %s: %v %v, want enabled", id, d, err)
		}
	}
}

// A key an earlier run created but could not name (tagged with its alias, no alias) is adopted,
// not duplicated.
func TestCreateKeyAdoptsAnEarlierRunsUnnamedKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := awsClients(t)
	kc := c.KMS("us-east-1")
	media, other := unique("alias/media"), unique("alias/other")
	// Decoys: a tagged key that already has an alias, and one tagged for another alias.
	for _, tag := range []string{media, other} {
		k, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Tags: []kmstypes.Tag{{TagKey: aws.String(apply.AliasTag), TagValue: aws.String(tag)}}})
		if err != nil {
			t.Fatal(err)
		}
		if tag == media {
			if _, err := kc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(unique("alias/elsewhere")), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
				t.Fatal(err)
			}
		}
	}
	orphan, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("from a run that failed"),
		Tags: []kmstypes.Tag{{TagKey: aws.String(apply.AliasTag), TagValue: aws.String(media)}}})
	if err != nil {
		t.Fatal(err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`
	p := &plan.Plan{Changes: []plan.Change{{ID: "create-key/us-east-1/" + media, Kind: plan.CreateKey, Alias: media,
		Region: "us-east-1", Key: &plan.NewKey{Alias: media, Description: "d", Policy: policy}},
		{ID: "enable-key-rotation/us-east-1/" + media, Kind: plan.EnableKeyRotation, Alias: media, Region: "us-east-1",
			DependsOn: []string{"create-key/us-east-1/" + media}}}}
	results := (&apply.Applier{Clients: clients{c}}).Apply(ctx, p)
	if r := results[1]; r.Outcome != plan.Done {
		t.Errorf("rotation of the adopted key: %+v", r)
	}
	if r := results[0]; r.Outcome != plan.Done || !strings.Contains(r.Detail, "adopted") || !strings.HasPrefix(r.Detail, aws.ToString(orphan.KeyMetadata.Arn)) {
		t.Fatalf("result = %+v, want the unnamed key %s adopted", r, aws.ToString(orphan.KeyMetadata.Arn))
	}
	d, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(media)})
	if err != nil || aws.ToString(d.KeyMetadata.KeyId) != aws.ToString(orphan.KeyMetadata.KeyId) {
		t.Fatalf("%s → %v (%v), want the adopted key", media, d, err)
	}
	if tagged := keysTagged(t, kc, media); len(tagged) != 2 {
		t.Errorf("keys tagged for %s: %v, want 2 (the decoy and the adopted key): no new key when one can be adopted", media, tagged)
	}
	got, _ := kc.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: orphan.KeyMetadata.KeyId, PolicyName: aws.String("default")})
	if !strings.Contains(aws.ToString(got.Policy), "Enable IAM User Permissions") {
		t.Errorf("adopted key policy = %s, want the planned one", aws.ToString(got.Policy))
	}
	rot, _ := kc.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: orphan.KeyMetadata.KeyId})
	if !rot.KeyRotationEnabled {
		t.Error("rotation not enabled on the adopted key")
	}
}

// A key tagged for the alias but not exactly what sseguard creates (someone planted it, or changed
// it since) is not adopted: a new key is created and the result says which key was passed over
// and why.
func TestCreateKeyDoesNotAdoptAPlantedKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := awsClients(t)
	kc := c.KMS("us-east-1")
	media := unique("alias/media")
	tag := []kmstypes.Tag{{TagKey: aws.String(apply.AliasTag), TagValue: aws.String(media)}}
	// A statement sseguard never writes: an outsider may decrypt.
	planted := `{"Version":"2012-10-17","Statement":[
{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
{"Sid":"Backdoor","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:root"},"Action":"kms:Decrypt","Resource":"*"}]}`
	k1, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(planted), Tags: tag})
	if err != nil {
		t.Fatal(err)
	}
	// A key with a grant to someone.
	k2, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Tags: tag})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kc.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k2.KeyMetadata.KeyId, GranteePrincipal: aws.String("arn:aws:iam::123456789012:role/Someone"),
		Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}}); err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Changes: []plan.Change{{ID: "create-key/us-east-1/" + media, Kind: plan.CreateKey, Alias: media,
		Region: "us-east-1", Key: &plan.NewKey{Alias: media, Description: "d"}}}}
	r := (&apply.Applier{Clients: clients{c}}).Apply(ctx, p)[0]
	if r.Outcome != plan.Done {
		t.Fatalf("result = %+v", r)
	}
	for _, want := range []string{aws.ToString(k1.KeyMetadata.KeyId), "Backdoor", aws.ToString(k2.KeyMetadata.KeyId), "grant"} {
		if !strings.Contains(r.Detail, want) {
			t.Errorf("result detail %q does not name %q", r.Detail, want)
		}
	}
	d, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(media)})
	if err != nil {
		t.Fatal(err)
	}
	if id := aws.ToString(d.KeyMetadata.KeyId); id == aws.ToString(k1.KeyMetadata.KeyId) || id == aws.ToString(k2.KeyMetadata.KeyId) {
		t.Errorf("%s points at a planted key %s", media, id)
	}
}

// A policy someone edited after the plan read it is not overwritten; a policy that held only
// sseguard's statements is deleted rather than written empty (S3 refuses an empty statement list).
func TestBucketPolicyIsReadAgainAndDeletedNotEmptied(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := awsClients(t)
	s3c := c.S3("us-east-1")
	bucketA, bucketB := unique("bucket-a"), unique("bucket-b")
	statement := `{"Version":"2012-10-17","Statement":[{"Sid":%q,"Effect":"Deny","Principal":"*","Action":"s3:GetBucketPolicy","Resource":"arn:aws:s3:::%s","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	planned := fmt.Sprintf(statement, "SseguardDenyInsecureTransport", bucketA)
	plannedB := fmt.Sprintf(statement, "SseguardDenyInsecureTransport", bucketB)
	edited := fmt.Sprintf(statement, "TheirEdit", bucketB)
	for b, pol := range map[string]string{bucketA: planned, bucketB: edited} {
		if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b), Policy: aws.String(pol)}); err != nil {
			t.Fatal(err)
		}
	}
	p := &plan.Plan{Changes: []plan.Change{
		{ID: "update-bucket-policy/" + bucketA, Kind: plan.UpdateBucketPolicy, Bucket: bucketA, Region: "us-east-1", DeleteDocument: true, ObservedDocument: planned},
		// Planned from what was there before "TheirEdit".
		{ID: "update-bucket-policy/" + bucketB, Kind: plan.UpdateBucketPolicy, Bucket: bucketB, Region: "us-east-1", Document: plannedB, ObservedDocument: ""},
	}}
	results := (&apply.Applier{Clients: clients{c}, Owner: motoserver.Account}).Apply(ctx, p)
	if r := results[0]; r.Outcome != plan.Done || !strings.Contains(r.Detail, "deleted") {
		t.Errorf("a: %+v", r)
	}
	if _, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucketA)}); err == nil || !strings.Contains(err.Error(), "NoSuchBucketPolicy") {
		t.Errorf("a's policy is still there: %v", err)
	}
	if r := results[1]; r.Outcome != plan.Failed || !strings.Contains(r.Error, "changed since the plan") {
		t.Errorf("b: %+v, want failed: edited since the plan", r)
	}
	got, err := s3c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucketB)})
	if err != nil || !strings.Contains(aws.ToString(got.Policy), "TheirEdit") {
		t.Errorf("b's policy was overwritten: %v %v", got, err)
	}
}

// The apply role is named in the policy of every key apply creates (the plan's placeholder
// replaced), and a key tagged for the alias is adopted only when its policy names that role as
// sseguard's statement does: a key with the root statement alone, tagged by anyone who may tag,
// is passed over.
func TestCreateKeyNamesTheApplyRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := awsClients(t)
	kc := c.KMS("us-east-1")
	applyRole := "arn:aws:iam::123456789012:role/" + unique("sseguard-apply")
	admin, _ := awsclient.ForEndpoint(ctx, layer.URL)
	if _, err := admin.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(applyRole[strings.LastIndex(applyRole, "/")+1:]),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`)}); err != nil {
		t.Fatal(err)
	}
	spec := iampolicy.KeyPolicySpec{Account: "123456789012", ApplyRole: iampolicy.ApplyRolePlaceholder}
	planned, err := iampolicy.KeyPolicy(spec).JSON()
	if err != nil {
		t.Fatal(err)
	}
	media := unique("alias/media")
	tag := []kmstypes.Tag{{TagKey: aws.String(apply.AliasTag), TagValue: aws.String(media)}}
	rootOnly, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Tags: tag})
	if err != nil {
		t.Fatal(err)
	}
	p := &plan.Plan{Changes: []plan.Change{{ID: "create-key/us-east-1/" + media, Kind: plan.CreateKey, Alias: media,
		Region: "us-east-1", Key: &plan.NewKey{Alias: media, Description: "d", Policy: planned}}}}
	a := &apply.Applier{Clients: clients{c}, Owner: "123456789012", ApplyRole: applyRole}
	r := a.Apply(ctx, p)[0]
	if r.Outcome != plan.Done || !strings.Contains(r.Detail, "not adopted") || !strings.Contains(r.Detail, aws.ToString(rootOnly.KeyMetadata.KeyId)) {
		t.Fatalf("result = %+v, want a new key, the root-only tagged key passed over", r)
	}
	policyOf := func(alias string) string {
		t.Helper()
		d, err := kc.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(alias)})
		if err != nil {
			t.Fatal(err)
		}
		got, err := kc.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: d.KeyMetadata.KeyId, PolicyName: aws.String("default")})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(got.Policy)
	}
	text := policyOf(media)
	doc, err := iampolicy.Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	if !iampolicy.NamesApplyRole(doc, applyRole) || strings.Contains(text, "${sseguard:") {
		t.Errorf("the new key's policy does not name %s in place of the placeholder:\n%s", applyRole, text)
	}

	// Another account's principal is never written; with no principal to name, the statement is
	// left out.
	other := &apply.Applier{Clients: clients{c}, Owner: "123456789012", ApplyRole: "arn:aws:iam::999988887777:role/x"}
	x := unique("alias/x")
	p2 := &plan.Plan{Changes: []plan.Change{{ID: "create-key/us-east-1/" + x, Kind: plan.CreateKey, Alias: x,
		Region: "us-east-1", Key: &plan.NewKey{Alias: x, Description: "d", Policy: planned}}}}
	if r := other.Apply(ctx, p2)[0]; r.Outcome != plan.Failed || !strings.Contains(r.Error, "not in account") {
		t.Errorf("an apply role of another account: %+v, want refused", r)
	}
	bare := unique("alias/bare")
	p3 := &plan.Plan{Changes: []plan.Change{{ID: "create-key/us-east-1/" + bare, Kind: plan.CreateKey, Alias: bare,
		Region: "us-east-1", Key: &plan.NewKey{Alias: bare, Description: "d", Policy: planned}}}}
	if r := (&apply.Applier{Clients: clients{c}, Owner: "123456789012"}).Apply(ctx, p3)[0]; r.Outcome != plan.Done {
		t.Fatalf("no apply role: %+v", r)
	}
	if text := policyOf(bare); strings.Contains(text, iampolicy.SidApplyRole) {
		t.Errorf("with no apply role to name, the statement was written:\n%s", text)
	}
}
