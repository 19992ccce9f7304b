package plan

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/policy"
)

// Merging tags everything with its account and qualifies the member's change ids (the same alias
// in two accounts gives two changes); the per-account view gives each account's part back.
func TestMerge(t *testing.T) {
	t.Parallel()
	part := func(acct, bucket string) *Plan {
		key := "create-key/us-east-1/alias/media"
		set := "set-default-encryption/" + bucket
		return &Plan{PolicyPath: "p.yaml", Account: acct,
			Buckets:  []BucketStatus{{Name: bucket, Status: Drift, Changes: []string{key, set}}},
			Changes:  []Change{{ID: key, Kind: CreateKey}, {ID: set, Kind: SetDefaultEncryption, Bucket: bucket, DependsOn: []string{key}}},
			Blockers: []Blocker{{Code: BlockDeletedPrincipal, Change: set, Bucket: bucket}},
			Warnings: []Warning{{Code: WarnKeyPolicy, Bucket: bucket}},
		}
	}
	home, member := part("123456789012", "a"), part("111122223333", "b")
	m := Merge("123456789012", home, member)

	if diff := cmp.Diff([]string{"123456789012", "111122223333"}, m.Accounts); diff != "" {
		t.Errorf("accounts (-want +got):\n%s", diff)
	}
	var ids []string
	for _, c := range m.Changes {
		ids = append(ids, c.Account+" "+c.ID+" <- "+strings.Join(c.DependsOn, ","))
	}
	want := []string{
		"123456789012 create-key/us-east-1/alias/media <- ",
		"123456789012 set-default-encryption/a <- create-key/us-east-1/alias/media",
		"111122223333 111122223333/create-key/us-east-1/alias/media <- ",
		"111122223333 111122223333/set-default-encryption/b <- 111122223333/create-key/us-east-1/alias/media",
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
	if got := m.Blockers[1]; got.Account != "111122223333" || got.Change != "111122223333/set-default-encryption/b" {
		t.Errorf("member blocker = %+v, want tagged and its change qualified", got)
	}
	if got := m.Buckets[1].Changes; got[0] != "111122223333/create-key/us-east-1/alias/media" {
		t.Errorf("member bucket's changes = %v, want qualified ids", got)
	}
	if home.Changes[1].DependsOn[0] != "create-key/us-east-1/alias/media" || member.Changes[0].ID != "create-key/us-east-1/alias/media" || home.Buckets[0].Account != "" {
		t.Error("Merge modified its arguments")
	}

	for acct, bucket := range map[string]string{"123456789012": "a", "111122223333": "b"} {
		v := m.ForAccount(acct)
		if len(v.Buckets) != 1 || v.Buckets[0].Name != bucket || len(v.Changes) != 2 || len(v.Blockers) != 1 || len(v.Warnings) != 1 {
			t.Errorf("ForAccount(%s) = %+v, want that account's bucket %s, 2 changes, 1 blocker, 1 warning", acct, v, bucket)
		}
	}
}

// An account that cannot be reached blocks its own buckets, each with the reason.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	pol := &policy.Policy{Path: "p.yaml", Buckets: []policy.Bucket{
		{Name: "b2", Encryption: policy.SSES3, Pos: policy.Pos{Line: 9}},
		{Name: "b1", Encryption: policy.SSES3, Pos: policy.Pos{Line: 5}},
	}}
	p := Unreachable(pol, "111122223333", "AccessDenied: not authorized")
	if p.InSync() || len(p.Blockers) != 2 || len(p.Changes) != 0 {
		t.Fatalf("plan = %+v, want two blockers and no change", p)
	}
	for i, b := range p.Blockers {
		if b.Code != BlockAccountUnreachable || !strings.Contains(b.Message, "111122223333") || !strings.Contains(b.Message, "AccessDenied: not authorized") {
			t.Errorf("blocker %d = %+v", i, b)
		}
	}
	if p.Blockers[0].Bucket != "b1" || p.Buckets[0].Name != "b1" || p.Buckets[0].Status != Blocked {
		t.Errorf("buckets/blockers not sorted by line or not blocked: %+v", p)
	}
}
