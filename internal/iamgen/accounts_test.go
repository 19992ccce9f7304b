package iamgen

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
)

func accountsPolicy(t *testing.T) *policy.Policy {
	t.Helper()
	p, err := policy.Load("../policy/testdata/ok/accounts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The home role reads and writes the home account's buckets and keys and assumes the listed
// roles; a member's role covers that account's buckets and keys alone and assumes nothing.
func TestAccountsGolden(t *testing.T) {
	t.Parallel()
	pol := accountsPolicy(t)
	for name, o := range map[string]Options{
		"accounts-home-apply":   {Role: RoleApply, Account: acct},
		"accounts-home-plan":    {Role: RolePlan, Account: acct},
		"accounts-member-apply": {Role: RoleApply, Account: "111122223333"},
		"accounts-member-plan":  {Role: RolePlan, Account: "111122223333"},
	} {
		d, err := Policy(pol, o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := render(t, d)
		golden.Check(t, filepath.Join("testdata", name+".json"), got)
		home := o.Account == acct
		if strings.Contains(got, "sts:AssumeRole") != home {
			t.Errorf("%s: sts:AssumeRole present = %v, want %v", name, !home, home)
		}
		// The home plan role may assume the members' plan roles only, the home apply role their
		// apply roles only.
		for _, a := range pol.Accounts {
			for kind, arn := range map[Role]string{RolePlan: a.PlanRoleARN, RoleApply: a.ApplyRoleARN} {
				want := home && kind == o.Role
				if got := allowed(t, d, "sts:AssumeRole", arn, nil); got != want {
					t.Errorf("%s: sts:AssumeRole on %s allowed = %v, want %v", name, arn, got, want)
				}
			}
		}
		if o.Role == RolePlan {
			for _, st := range d.Statements {
				for _, act := range st.Action {
					if !readOnly(act) {
						t.Errorf("%s: statement %s grants %s, which is not read-only", name, st.Sid, act)
					}
				}
			}
		}
		for bucket, inHome := range map[string]bool{"home-media": true, "member-media": false, "member-logs": false} {
			if o.Account == "111122223333" {
				inHome = bucket == "member-media"
			}
			if strings.Contains(got, ":::"+bucket+"\"") != inHome {
				t.Errorf("%s: names bucket %s = %v, want %v", name, bucket, !inHome, inHome)
			}
		}
	}
}

func TestMemberTrust(t *testing.T) {
	t.Parallel()
	pol := accountsPolicy(t)
	home := "arn:aws:iam::" + acct + ":role/sseguard-apply"
	for name, o := range map[string]MemberTrustOptions{
		"accounts-trust-external-id": {Role: RoleApply, Account: "111122223333", AssumedBy: []string{home}},
		"accounts-trust":             {Role: RolePlan, Account: "999988887777", AssumedBy: []string{"arn:aws:iam::" + acct + ":role/sseguard-plan"}},
	} {
		d, err := MemberTrust(pol, o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		golden.Check(t, filepath.Join("testdata", name+".json"), render(t, d))
	}
	for name, tc := range map[string]struct {
		o    MemberTrustOptions
		want string
	}{
		"not listed":    {MemberTrustOptions{Role: RoleApply, Account: acct, AssumedBy: []string{home}}, "not listed under the policy's accounts"},
		"no home role":  {MemberTrustOptions{Role: RoleApply, Account: "111122223333"}, "pass --assumed-by"},
		"not a role":    {MemberTrustOptions{Role: RoleApply, Account: "111122223333", AssumedBy: []string{"arn:aws:iam::" + acct + ":user/x"}}, "want an IAM role ARN"},
		"member itself": {MemberTrustOptions{Role: RoleApply, Account: "111122223333", AssumedBy: []string{"arn:aws:iam::111122223333:role/x"}}, "member account itself"},
		"member's role": {MemberTrustOptions{Role: RolePlan, Account: "999988887777", AssumedBy: []string{"arn:aws:iam::111122223333:role/sseguard-apply"}}, "a member account's role"},
		"batch":         {MemberTrustOptions{Role: RoleBatch, Account: "111122223333", AssumedBy: []string{home}}, "a plan role and an apply role"},
	} {
		if _, err := MemberTrust(pol, tc.o); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}

// readOnly reports whether an IAM action only reads: its verb is one of the read and list verbs
// the Service Authorization Reference's Read and List access levels use, or sts:AssumeRole (which
// the home plan role needs to reach the members' plan roles, themselves read-only).
func readOnly(action string) bool {
	if action == "sts:AssumeRole" {
		return true
	}
	_, name, _ := strings.Cut(action, ":")
	for _, verb := range []string{"Get", "List", "Describe"} {
		if strings.HasPrefix(name, verb) {
			return true
		}
	}
	return false
}
