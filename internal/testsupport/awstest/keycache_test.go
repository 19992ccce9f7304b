package awstest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// What the layer keeps of a key is dropped when a write changes it, through this layer or another
// in front of the same moto: a key's tags, changed through a second layer, decide the next
// request through the first at once (the cache would otherwise answer with the old tags for
// keyCacheTTL).
func TestKeyCacheSeesWritesThroughAnyLayer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	other := newLayer(t, Options{})
	admin, viaOther := clientsAt(shared.URL, "testing"), clientsAt(other.URL, "testing")
	key, err := admin.kms.CreateKey(ctx, &kms.CreateKeyInput{Tags: []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("other")}}})
	if err != nil {
		t.Fatal(err)
	}
	id := key.KeyMetadata.KeyId
	user, err := shared.NewUser(ctx, unique("tagged"))
	if err != nil {
		t.Fatal(err)
	}
	if err := shared.SetIdentityPolicy(user, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"*",
		"Condition":{"StringEquals":{"aws:ResourceTag/team":"media"}}}]}`); err != nil {
		t.Fatal(err)
	}
	describe := func() string {
		_, err := clientsAt(shared.URL, user).kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
		return errorCode(err)
	}
	if code := describe(); code != "AccessDeniedException" {
		t.Fatalf("DescribeKey of a key tagged team=other = %q, want AccessDeniedException", code)
	}
	if _, err := viaOther.kms.TagResource(ctx, &kms.TagResourceInput{KeyId: id, Tags: []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("media")}}}); err != nil {
		t.Fatal(err)
	}
	if code := describe(); code != "" {
		t.Errorf("DescribeKey right after the key was tagged team=media through another layer = %q, want allowed", code)
	}
	if _, err := admin.kms.UntagResource(ctx, &kms.UntagResourceInput{KeyId: id, TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	if code := describe(); code != "AccessDeniedException" {
		t.Errorf("DescribeKey right after the tag was removed = %q, want AccessDeniedException", code)
	}
}

// A key's kind is the setting of the layer that marked it (MarkKey): another layer in front of
// the same moto, sharing the cache, still sees the key as moto made it (kms:KeyOrigin AWS_KMS).
func TestKeyKindStaysWithItsLayer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	marking := newLayer(t, Options{})
	key, err := clientsAt(shared.URL, "testing").kms.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	marking.MarkKey(*key.KeyMetadata.KeyId, KeyImported)
	user, err := shared.NewUser(ctx, unique("origin"))
	if err != nil {
		t.Fatal(err)
	}
	onlyAWSKMS := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:DescribeKey","Resource":"*",
		"Condition":{"StringEquals":{"kms:KeyOrigin":"AWS_KMS"}}}]}`
	for _, l := range []*Layer{shared, marking} {
		if err := l.SetIdentityPolicy(user, onlyAWSKMS); err != nil {
			t.Fatal(err)
		}
	}
	describe := func(l *Layer) string {
		_, err := clientsAt(l.URL, user).kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyMetadata.KeyId})
		return errorCode(err)
	}
	if code := describe(marking); code != "AccessDeniedException" {
		t.Errorf("through the layer that marked it imported: %q, want AccessDeniedException (origin EXTERNAL)", code)
	}
	if code := describe(shared); code != "" {
		t.Errorf("through another layer: %q, want allowed (origin AWS_KMS)", code)
	}
}
