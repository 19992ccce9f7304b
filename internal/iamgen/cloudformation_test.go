package iamgen

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
)

// cfnCases are the templates the goldens hold: the example's home account, a policy listing
// accounts (home and member) and one with Batch Operations job roles.
var cfnCases = []struct {
	name, policy, account string
}{
	{"cfn-example", "../../policy.example.yaml", ""},
	{"cfn-accounts-home", "../policy/testdata/ok/accounts.yaml", acct},
	{"cfn-accounts-member", "../policy/testdata/ok/accounts.yaml", "111122223333"},
	{"cfn-batch", "../policy/testdata/ok/batch.yaml", ""},
}

func loadPolicy(t *testing.T, path string) *policy.Policy {
	t.Helper()
	p, err := policy.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCloudFormationGolden(t *testing.T) {
	t.Parallel()
	for _, c := range cfnCases {
		text, err := CloudFormation(loadPolicy(t, c.policy), CloudFormationOptions{Account: c.account, Source: filepath.Base(c.policy)})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !json.Valid(text) {
			t.Fatalf("%s: not JSON", c.name)
		}
		golden.Check(t, filepath.Join("testdata", c.name+".json"), string(text))
	}
}

// The template's roles hold exactly what iam-policy prints: the identity policy (its managed
// policies together) and the trust policy, for each choice of its parameters.
func TestCloudFormationRolesAreTheGeneratedPolicies(t *testing.T) {
	t.Parallel()
	const provider = "arn:aws:iam::" + acct + ":oidc-provider/token.actions.githubusercontent.com"
	home := loadPolicy(t, "../../policy.example.yaml")
	text, err := CloudFormation(home, CloudFormationOptions{Source: "policy.example.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	for _, params := range []map[string]string{
		{paramRepository: "octo-org/media"},
		{paramRepository: "octo-org@5544123/media@821093847", paramBranch: "release", paramEnvironment: "production", paramProvider: provider},
	} {
		tpl := resolveTemplate(t, text, params, map[string]string{"GitHubOIDCProvider": provider})
		if want := params[paramProvider] == ""; tpl.created["GitHubOIDCProvider"] != want {
			t.Errorf("%v: provider created = %v, want %v", params, tpl.created["GitHubOIDCProvider"], want)
		}
		for _, role := range []Role{RolePlan, RoleApply} {
			id := map[Role]string{RolePlan: "PlanRole", RoleApply: "ApplyRole"}[role]
			want, err := Policy(home, Options{Role: role})
			if err != nil {
				t.Fatal(err)
			}
			tpl.checkRole(t, id, want)
			trust, err := Trust(TrustOptions{Role: role, Account: acct, Repo: params[paramRepository], Branch: params[paramBranch], Environment: params[paramEnvironment]})
			if err != nil {
				t.Fatal(err)
			}
			tpl.checkTrust(t, id, trust)
		}
	}

	accounts := loadPolicy(t, "../policy/testdata/ok/accounts.yaml")
	text, err = CloudFormation(accounts, CloudFormationOptions{Account: "111122223333"})
	if err != nil {
		t.Fatal(err)
	}
	homePlan, homeApply := "arn:aws:iam::"+acct+":role/ci/sseguard-plan", "arn:aws:iam::"+acct+":role/ci/sseguard-apply"
	tpl := resolveTemplate(t, text, map[string]string{paramHomePlan: homePlan, paramHomeApply: homeApply}, nil)
	for _, role := range []Role{RolePlan, RoleApply} {
		id := map[Role]string{RolePlan: "PlanRole", RoleApply: "ApplyRole"}[role]
		want, err := Policy(accounts, Options{Role: role, Account: "111122223333"})
		if err != nil {
			t.Fatal(err)
		}
		tpl.checkRole(t, id, want)
		trust, err := MemberTrust(accounts, MemberTrustOptions{Role: role, Account: "111122223333",
			AssumedBy: []string{map[Role]string{RolePlan: homePlan, RoleApply: homeApply}[role]}})
		if err != nil {
			t.Fatal(err)
		}
		tpl.checkTrust(t, id, trust)
		a, _ := accounts.AccountByID("111122223333")
		if got, want := tpl.roleARN(id, "111122223333"), map[Role]string{RolePlan: a.PlanRoleARN, RoleApply: a.ApplyRoleARN}[role]; got != want {
			t.Errorf("member %s role would be %s, the policy file names %s", role, got, want)
		}
	}

	batch := loadPolicy(t, "../policy/testdata/ok/batch.yaml")
	text, err = CloudFormation(batch, CloudFormationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tpl = resolveTemplate(t, text, map[string]string{paramRepository: "octo-org/media"}, map[string]string{"GitHubOIDCProvider": provider})
	want, err := Policy(batch, Options{Role: RoleBatch})
	if err != nil {
		t.Fatal(err)
	}
	tpl.checkRole(t, "BatchRole", want)
	trust, err := BatchTrust(acct)
	if err != nil {
		t.Fatal(err)
	}
	tpl.checkTrust(t, "BatchRole", trust)
}

// A role's policy larger than one managed policy is split by statement, each part within IAM's
// 6,144 characters; past the 10 a role may hold, the template is refused with the reason.
func TestCloudFormationSplitsLargePolicies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		buckets   int
		wantParts int
		wantErr   string
	}{{buckets: 60, wantParts: 2}, {buckets: 1500, wantErr: "more than the 10 a role may have"}} {
		var b strings.Builder
		b.WriteString("version: 1\naccount: \"" + acct + "\"\nbuckets:\n")
		for i := range tc.buckets {
			fmt.Fprintf(&b, "  - name: media-bucket-number-%04d\n    encryption: sse-kms\n    kms_key: alias/key-%d\n    existing_objects: reencrypt\n    prefixes: [videos/, audio/]\n", i, i%7)
		}
		pol, err := policy.Parse("big.yaml", []byte(b.String()))
		if err != nil {
			t.Fatal(err)
		}
		text, err := CloudFormation(pol, CloudFormationOptions{})
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%d buckets: error %v, want %q", tc.buckets, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		tpl := resolveTemplate(t, text, map[string]string{paramRepository: "o/r"}, map[string]string{"GitHubOIDCProvider": "p"})
		want, err := Policy(pol, Options{Role: RoleApply})
		if err != nil {
			t.Fatal(err)
		}
		parts := tpl.checkRole(t, "ApplyRole", want)
		if parts < tc.wantParts {
			t.Errorf("%d buckets: the apply policy is in %d managed policies, want at least %d", tc.buckets, parts, tc.wantParts)
		}
	}
}

// cfn-lint, AWS's CloudFormation linter, finds nothing in the goldens.
func TestCloudFormationLint(t *testing.T) {
	t.Parallel()
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint checks the CloudFormation templates: install it with `pip install cfn-lint==1.51.0`")
	}
	var files []string
	for _, c := range cfnCases {
		files = append(files, filepath.Join("testdata", c.name+".json"))
	}
	if out, err := exec.Command(lint, files...).CombinedOutput(); err != nil {
		t.Errorf("cfn-lint: %v\n%s", err, out)
	}
}

// resolved is a template with its parameters, conditions and references worked out as
// CloudFormation would for one deployment.
type resolved struct {
	resources map[string]map[string]any
	created   map[string]bool
}

// resolveTemplate works out text for params (defaults filled in) and refs (what Ref of a
// resource created in the stack returns, e.g. the OIDC provider's ARN).
func resolveTemplate(t *testing.T, text []byte, params, refs map[string]string) *resolved {
	t.Helper()
	var tpl struct {
		Parameters map[string]struct{ Default *string }
		Conditions map[string]any
		Resources  map[string]struct {
			Type       string
			Condition  string
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(text, &tpl); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	for name, p := range tpl.Parameters {
		switch {
		case params[name] != "":
			values[name] = params[name]
		case p.Default != nil:
			values[name] = *p.Default
		default:
			t.Fatalf("parameter %s has no default and no value", name)
		}
	}
	r := &resolved{resources: map[string]map[string]any{}, created: map[string]bool{}}
	conds := map[string]bool{}
	var eval func(v any) any
	eval = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 1 {
				for fn, arg := range x {
					switch fn {
					case "Ref":
						name := arg.(string)
						if v, ok := values[name]; ok {
							return v
						}
						if v, ok := refs[name]; ok {
							return v
						}
						if p, ok := tpl.Resources[name]; ok && p.Type == "AWS::IAM::Role" {
							return "role:" + name
						}
						t.Fatalf("Ref %s: unknown", name)
					case "Fn::Sub":
						return regexp.MustCompile(`\$\{([A-Za-z0-9]+)\}`).ReplaceAllStringFunc(arg.(string), func(m string) string {
							return values[m[2:len(m)-1]]
						})
					case "Fn::If":
						a := arg.([]any)
						if conds[a[0].(string)] {
							return eval(a[1])
						}
						return eval(a[2])
					case "Fn::Equals":
						a := arg.([]any)
						return reflect.DeepEqual(eval(a[0]), eval(a[1]))
					case "Fn::Not":
						return !eval(arg.([]any)[0]).(bool)
					}
				}
			}
			out := map[string]any{}
			for k, e := range x {
				out[k] = eval(e)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = eval(e)
			}
			return out
		}
		return v
	}
	for name, c := range tpl.Conditions {
		conds[name] = eval(c).(bool)
	}
	for name, res := range tpl.Resources {
		if res.Condition != "" && !conds[res.Condition] {
			continue
		}
		r.created[name] = true
		r.resources[name] = eval(res.Properties).(map[string]any)
	}
	return r
}

// checkRole compares role id's managed policies, together, with want; it returns how many
// managed policies the role has, each checked against IAM's size limit.
func (r *resolved) checkRole(t *testing.T, id string, want *iampolicy.Document) int {
	t.Helper()
	props, ok := r.resources[id]
	if !ok {
		t.Fatalf("no role %s in the template", id)
	}
	if _, ok := props["ManagedPolicyArns"]; ok {
		t.Errorf("%s: ManagedPolicyArns (the policies name their role instead)", id)
	}
	var got []any
	var pids []string
	for pid := range r.resources {
		if roles, ok := r.resources[pid]["Roles"].([]any); ok && slices.Contains(roles, any("role:"+id)) {
			pids = append(pids, pid)
		}
	}
	// PlanRolePolicy1, PlanRolePolicy2, ...: in order (numbers stay under 10).
	slices.Sort(pids)
	for _, pid := range pids {
		doc := r.resources[pid]["PolicyDocument"].(map[string]any)
		text, _ := json.Marshal(doc)
		if n := len(strings.Join(strings.Fields(string(text)), "")); n > managedPolicyChars {
			t.Errorf("%s: managed policy %s has %d characters, over IAM's %d", id, pid, n, managedPolicyChars)
		}
		got = append(got, doc["Statement"].([]any)...)
	}
	got = joinParts(got)
	wantText, err := want.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var w map[string]any
	if err := json.Unmarshal([]byte(wantText), &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, w["Statement"]) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("%s: the template's statements differ from iam-policy's:\n%s\nwant:\n%s", id, g, wantText)
	}
	return len(pids)
}

// joinParts puts a statement split by its resources (Sid, SidPart2, ...) back together.
func joinParts(stmts []any) []any {
	var out []any
	bySid := map[string]map[string]any{}
	for _, s := range stmts {
		st := s.(map[string]any)
		sid, _ := st["Sid"].(string)
		if base, _, ok := strings.Cut(sid, "Part"); ok && bySid[base] != nil {
			first := bySid[base]
			first["Resource"] = append(asList(first["Resource"]), asList(st["Resource"])...)
			continue
		}
		bySid[sid] = st
		out = append(out, st)
	}
	return out
}

// asList is a policy element's value as a list (a single value is written as itself).
func asList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

// checkTrust compares role id's trust policy with want.
func (r *resolved) checkTrust(t *testing.T, id string, want *iampolicy.Document) {
	t.Helper()
	wantText, err := want.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var w any
	if err := json.Unmarshal([]byte(wantText), &w); err != nil {
		t.Fatal(err)
	}
	if got := r.resources[id]["AssumeRolePolicyDocument"]; !reflect.DeepEqual(got, w) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("%s: the template's trust policy differs from iam-policy's:\n%s\nwant:\n%s", id, g, wantText)
	}
}

// roleARN is the ARN role id gets in account.
func (r *resolved) roleARN(id, account string) string {
	props := r.resources[id]
	path, _ := props["Path"].(string)
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":role" + path + props["RoleName"].(string)
}
