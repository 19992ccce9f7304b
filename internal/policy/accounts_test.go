package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestForAccount(t *testing.T) {
	t.Parallel()
	p, err := Load("testdata/ok/accounts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.AccountIDs(), []string{"", "111122223333", "999988887777"}; !cmp.Equal(got, want) {
		t.Errorf("AccountIDs() = %q, want %q", got, want)
	}
	type part struct {
		Account, Region string
		Trusted         []string
		Buckets, Keys   []string
		KeyLines        []int
	}
	for id, want := range map[string]part{
		"":             {Region: "us-east-1", Trusted: []string{"444455556666"}, Buckets: []string{"home-media"}, Keys: []string{"alias/media"}, KeyLines: []int{14}},
		"111122223333": {Account: "111122223333", Region: "eu-west-1", Trusted: []string{"444455556666"}, Buckets: []string{"member-media"}, Keys: []string{"alias/media"}, KeyLines: []int{16}},
		"999988887777": {Account: "999988887777", Region: "us-east-1", Trusted: []string{"444455556666"}, Buckets: []string{"member-logs"}},
	} {
		q := p.ForAccount(id)
		got := part{Account: q.Account, Region: q.Region, Trusted: q.TrustedAccounts}
		for _, b := range q.Buckets {
			got.Buckets = append(got.Buckets, b.Name)
			if b.Account != "" {
				t.Errorf("ForAccount(%q): bucket %s keeps account %q; a part names no account per entry", id, b.Name, b.Account)
			}
		}
		for _, k := range q.Keys {
			got.Keys = append(got.Keys, k.Alias)
			got.KeyLines = append(got.KeyLines, k.Pos.Line)
		}
		if len(q.Accounts) != 0 {
			t.Errorf("ForAccount(%q) lists accounts %v", id, q.Accounts)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("ForAccount(%q) (-want +got):\n%s", id, d)
		}
		// The member's key is found by alias in its part, as in a single-account policy.
		if len(want.Keys) > 0 {
			if k, ok := q.KeyByAlias("alias/media"); !ok || k.Pos.Line != want.KeyLines[0] {
				t.Errorf("ForAccount(%q).KeyByAlias = %+v, %v; want the entry at line %d", id, k, ok, want.KeyLines[0])
			}
		}
	}
	a, ok := p.AccountByID("111122223333")
	if !ok || a.ExternalID != "sseguard-media" || a.PlanRoleARN != "arn:aws:iam::111122223333:role/sseguard-plan" || a.ApplyRoleARN != "arn:aws:iam::111122223333:role/sseguard-apply" {
		t.Errorf("AccountByID = %+v, %v", a, ok)
	}
	// A plan assumes the read-only role, apply the writing one.
	if a.RoleFor(false) != a.PlanRoleARN || a.RoleFor(true) != a.ApplyRoleARN {
		t.Errorf("RoleFor: plan %s, apply %s", a.RoleFor(false), a.RoleFor(true))
	}
}

// A policy without accounts is one part, the home account's, equal to the policy.
func TestForAccountSingle(t *testing.T) {
	t.Parallel()
	p, err := Load("testdata/ok/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.AccountIDs(); !cmp.Equal(got, []string{""}) {
		t.Fatalf("AccountIDs() = %q, want the home account alone", got)
	}
	if d := cmp.Diff(p, p.ForAccount("")); d != "" {
		t.Errorf("ForAccount(\"\") differs from the policy (-policy +part):\n%s", d)
	}
}
