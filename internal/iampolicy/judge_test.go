package iampolicy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/testsupport/nodetools"
)

// An independent judge for the evaluator: every policy sseguard writes (key policies, bucket
// policies, the generated role and trust policies of internal/iamgen's goldens) and a corpus of
// AWS's documented evaluation examples are evaluated by sseguard and by @cloud-copilot/iam-simulate
// (pinned in tools/js), an implementation of AWS's evaluation logic written by others. The two
// must agree, request by request, except where knownDisagreements says why with AWS's page.
//
// Like is compared with like, one policy at a time: an identity policy's own result against the
// simulator's identity analysis, a resource policy's against its resource analysis, for a
// same-account request. The simulator says "AllowedForAccount" when a resource policy allows only
// the caller's account principal: sseguard's default Explain counts that as no grant (an account
// principal delegates to IAM; KMS "must explicitly allow"), and EvalOptions.AccountPrincipalMatchesMembers
// counts it as a grant; both readings are checked.

// The pages the documented examples follow.
const (
	pageConditionOps   = "IAM JSON policy elements: Condition operators, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html"
	pageCondition      = "IAM JSON policy elements: Condition, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html"
	pageMultiValue     = "Conditions with multiple context keys or values, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_multi-value-conditions.html"
	pageMultiValued    = "Multivalued context key examples, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition_examples-multi-valued-context-keys.html"
	pageMultiKeys      = "Single-valued vs. multivalued context keys, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html"
	pageNotAction      = "IAM JSON policy elements: NotAction, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html"
	pageNotResource    = "IAM JSON policy elements: NotResource, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notresource.html"
	pageResource       = "IAM JSON policy elements: Resource, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html"
	pageAddTag         = "IAM: Add a specific tag with specific values, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_examples_iam-add-tag-user-role.html"
	pageKeyPolicyRoot  = "Default key policy, https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
	pageCloudFrontOAC  = "Restricting access to an Amazon S3 origin (SSE-KMS), https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html"
	pageKMSGrantForAWS = "kms:GrantIsForAWSResource, https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource"
)

// judgeCase is one request against one policy.
type judgeCase struct {
	name     string
	identity bool   // the policy is an identity policy (no Principal)
	policy   string // the policy document
	// principal is the caller: an IAM or STS ARN, a service principal, or "" for anonymous.
	principal string
	action    string
	resource  string
	account   string // the resource's account
	ctx       map[string][]string
	// For the documented examples: the page and what it says the policy decides.
	page string
	want Decision
}

// without returns c with the context keys dropped that the simulator found not valid for the
// action, except the encryption-context keys it drops by mistake.
func (c judgeCase) without(ignored []string) judgeCase {
	var drop []string
	for _, k := range ignored {
		if !strings.HasPrefix(strings.ToLower(k), "kms:encryptioncontext:") {
			drop = append(drop, k)
		}
	}
	if len(drop) == 0 {
		return c
	}
	ctx := map[string][]string{}
	for k, v := range c.ctx {
		if !slices.ContainsFunc(drop, func(d string) bool { return strings.EqualFold(d, k) }) {
			ctx[k] = v
		}
	}
	c.ctx = ctx
	return c
}

// sseguard evaluates c with sseguard's evaluator: the decision with default options, the one
// with account principals matching the account's members, and whether a Deny could not be judged.
func (c judgeCase) sseguard(t *testing.T) (def, members Decision, unjudged bool) {
	t.Helper()
	src := c.policy
	if c.identity {
		src = withPrincipalStar(t, src)
	}
	d, err := Parse(src)
	if err != nil {
		t.Fatalf("%s: parse: %v", c.name, err)
	}
	r := Request{Principal: c.principal, Action: c.action, Resource: c.resource, Context: c.ctx}
	res := d.Explain(r, EvalOptions{})
	m := d.Explain(r, EvalOptions{AccountPrincipalMatchesMembers: true})
	return res.Decision, m.Decision, len(res.MaybeDenied) > 0 || len(res.Warnings) > 0
}

// withPrincipalStar gives each statement of an identity policy "Principal": "*", as the strict
// layer does (an identity policy applies to whoever it is attached to).
func withPrincipalStar(t *testing.T, src string) string {
	t.Helper()
	return withField(t, src, "Principal", `"*"`)
}

// withField sets one element of every statement of a policy.
func withField(t *testing.T, src, key, raw string) string {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(src), &top); err != nil {
		t.Fatal(err)
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(top["Statement"], &list); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(top["Statement"], &one); err != nil {
			t.Fatal(err)
		}
		list = append(list, one)
	}
	for _, s := range list {
		s[key] = json.RawMessage(raw)
	}
	top["Statement"], _ = json.Marshal(list)
	out, _ := json.Marshal(top)
	return string(out)
}

// simulation is the case as iam-simulate's Simulation.
func (c judgeCase) simulation() map[string]any {
	var principal any = c.principal
	if c.principal == "" {
		principal = map[string]string{"type": "Anonymous"}
	}
	ctx := map[string]any{}
	for k, v := range c.ctx {
		ctx[k] = v
		if len(v) == 1 && !multiValued(k) {
			ctx[k] = v[0]
		}
	}
	sim := map[string]any{
		"request": map[string]any{
			"principal":        principal,
			"action":           c.action,
			"resource":         map[string]string{"resource": c.resource, "accountId": c.account},
			"contextVariables": ctx,
		},
		"identityPolicies":        []any{},
		"serviceControlPolicies":  []any{},
		"resourceControlPolicies": []any{},
	}
	if c.identity {
		sim["identityPolicies"] = []any{map[string]any{"name": "policy", "policy": json.RawMessage(c.policy)}}
	} else {
		sim["resourcePolicy"] = json.RawMessage(c.policy)
	}
	return sim
}

// multiValued reports the context keys that hold a set of values (ArrayOf... in the Service
// Authorization Reference) among those the corpus uses.
func multiValued(key string) bool {
	switch strings.ToLower(key) {
	case "kms:resourcealiases", "aws:tagkeys", "aws:principalorgpaths":
		return true
	}
	return false
}

// simResult is what tools/js/iam-judge.mjs prints for a case.
type simResult struct {
	Name, Overall, Identity, Resource, Error string
	// Ignored are the context keys the simulator dropped as not valid for the action.
	Ignored []string
}

// expected returns the decisions the simulator's result stands for: with default options and
// with account principals matching members.
//
// The account root user needs no identity policy ("AWS account root user",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user.html: it has complete access to
// the account's resources, within what resource policies allow): for a root caller, a resource
// policy that allows its own account ("AllowedForAccount") allows it, which is what sseguard's
// Explain says for the root ARN.
func (r simResult) expected(c judgeCase) (def, members Decision, ok bool) {
	res := r.Resource
	if c.identity {
		res = r.Identity
	}
	switch res {
	case "Allowed":
		return Allow, Allow, true
	case "AllowedForAccount":
		if k := parseCaller(c.principal); k.kind == callerRoot && k.account == c.account {
			return Allow, Allow, true
		}
		return ImplicitDeny, Allow, true
	case "ExplicitlyDenied", "DeniedForAccount":
		return ExplicitDeny, ExplicitDeny, true
	case "ImplicitlyDenied", "NotApplicable":
		return ImplicitDeny, ImplicitDeny, true
	}
	return 0, 0, false
}

// disagreement is a known, explained difference between sseguard and the simulator.
type disagreement struct {
	// why says who is right and cites AWS's page.
	why string
	// covers reports whether the rule explains a case the two judge differently.
	covers func(c judgeCase, r simResult, v verdicts) bool
}

// verdicts are the two judges' decisions on a case.
type verdicts struct {
	sseguard, simulator Decision
	unjudged            bool // sseguard could not judge a statement (a Deny then counts as denying)
}

// knownDisagreements explain every case where sseguard and the simulator differ. Each must
// explain at least one differing case, or the test fails: a rule nothing needs goes.
var knownDisagreements = []disagreement{
	{
		why: "iam-simulate drops context keys whose variable part follows a colon (kms:EncryptionContext:aws:s3:arn) " +
			"as not valid for the action, so an Allow conditioned on the encryption context never matches there. " +
			"AWS KMS documents kms:EncryptionContext:context-key for Decrypt, Encrypt, GenerateDataKey* and ReEncrypt* " +
			"(\"AWS KMS condition keys\", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context-context-key): sseguard is right",
		covers: func(_ judgeCase, r simResult, _ verdicts) bool {
			for _, k := range r.Ignored {
				if strings.HasPrefix(strings.ToLower(k), "kms:encryptioncontext:") {
					return true
				}
			}
			return false
		},
	},
	{
		why: "iam-simulate exempts from a statement with NotPrincipal (Deny or Allow) every session of a listed role and every " +
			"principal of a listed account. AWS applies such a statement to everyone but the principals listed: a role's session is " +
			"exempt only when its session ARN is listed, a user only when the user is; listing the account alone exempts none of " +
			"its users (\"AWS JSON policy elements: NotPrincipal\", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html, " +
			"its examples \"IAM user in the same or a different account\" and \"IAM role in the same or different account\"): sseguard follows the page",
		covers: func(c judgeCase, _ simResult, v verdicts) bool {
			return !v.unjudged && notPrincipalCoversOnlyByAccountOrRole(c)
		},
	},
	{
		why: "sseguard counts a Deny with NotPrincipal that lists the caller but not its role and account as possibly denying " +
			"(a Deny it cannot rule out); iam-simulate exempts the caller. AWS's page says of such a statement that " +
			"\"AWS might validate the account first, then the role, and then the assumed-role user\" and deny it " +
			"(\"AWS JSON policy elements: NotPrincipal\", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html): " +
			"sseguard is deliberately conservative",
		covers: func(c judgeCase, _ simResult, v verdicts) bool {
			return strings.Contains(c.policy, `"NotPrincipal"`) && v.unjudged && v.sseguard == ExplicitDeny && v.simulator != ExplicitDeny
		},
	},
}

func TestIndependentJudge(t *testing.T) {
	t.Parallel()
	random := 400
	if fullSweep {
		random = 3000
	}
	cases := append(writtenPolicyCases(t), documentedCases()...)
	cases = append(cases, randomCases(random)...)
	cases = append(cases, randomBucketCases(random)...)
	names := map[string]bool{}
	in := make([]map[string]any, 0, len(cases))
	for _, c := range cases {
		if names[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		names[c.name] = true
		in = append(in, map[string]any{"name": c.name, "simulation": c.simulation()})
	}
	var out []simResult
	nodetools.Run(t, "iam-judge.mjs", in, &out)
	if len(out) != len(cases) {
		t.Fatalf("the simulator answered %d cases, sent %d", len(out), len(cases))
	}
	used := make([]int, len(knownDisagreements))
	counts := map[string]int{}
	for i, c := range cases {
		r := out[i]
		if r.Error != "" {
			t.Errorf("%s: the simulator refused the case: %s", c.name, r.Error)
			continue
		}
		simDef, simMembers, ok := r.expected(c)
		if !ok {
			t.Errorf("%s: unknown simulator result %+v", c.name, r)
			continue
		}
		// A key the simulator drops as not valid for the action is one AWS never sends with it
		// (kms:BypassPolicyLockoutSafetyCheck with EnableKeyRotation, say): judge the request
		// AWS would make. The encryption-context keys it drops wrongly stay (see
		// knownDisagreements).
		c = c.without(r.Ignored)
		def, members, unjudged := c.sseguard(t)
		counts[def.String()]++
		if c.page != "" && def != c.want {
			t.Errorf("%s: sseguard decides %s, AWS documents %s (%s)", c.name, def, c.want, c.page)
		}
		if def == simDef && members == simMembers {
			continue
		}
		explained := false
		for i, d := range knownDisagreements {
			if d.covers(c, r, verdicts{sseguard: def, simulator: simDef, unjudged: unjudged}) {
				explained = true
				used[i]++
			}
		}
		if !explained {
			t.Errorf("%s: sseguard %s (members: %s), iam-simulate %s (resource %q, identity %q, ignored %v)\n%s\n%s %s %s ctx: %s",
				c.name, def, members, simDef, r.Resource, r.Identity, r.Ignored, c.policy, c.principal, c.action, c.resource, contextKeys(c.ctx))
		}
	}
	for i, d := range knownDisagreements {
		if used[i] == 0 {
			t.Errorf("known disagreement explains no case any more: %s", d.why)
		}
		t.Logf("known disagreement, %d cases: %s", used[i], d.why)
	}
	// The corpus must exercise every outcome, or the comparison proves little.
	for _, d := range []Decision{Allow, ExplicitDeny, ImplicitDeny} {
		if counts[d.String()] < 20 {
			t.Errorf("only %d cases end in %s; the corpus is too thin", counts[d.String()], d)
		}
	}
	t.Logf("%d cases judged by both: %v", len(cases), counts)
}

// notPrincipalCoversOnlyByAccountOrRole reports whether a NotPrincipal of the case's policy lists
// the caller's account or role (a session's) but not the caller itself: the statement AWS applies
// to the caller and the simulator does not.
func notPrincipalCoversOnlyByAccountOrRole(c judgeCase) bool {
	d, err := Parse(c.policy)
	if err != nil {
		return false
	}
	caller := parseCaller(c.principal)
	for _, s := range d.Statements {
		if s.NotPrincipal == nil {
			continue
		}
		self, group := false, false
		for _, v := range s.NotPrincipal.AWS {
			switch {
			case v == c.principal:
				self = true
			case v == caller.account || v == RootARN(caller.partition, caller.account) ||
				(caller.kind == callerSession && v == caller.principalARN()):
				group = true
			}
		}
		if group && !self {
			return true
		}
	}
	return false
}

// ---- the policies sseguard writes ----

const (
	judgeAccount = "123456789012"
	judgeOther   = "444455556666"
	judgeKeyARN  = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	judgeDist    = "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"
)

// policySource is a policy and what it governs.
type policySource struct {
	name     string
	identity bool
	policy   string
	account  string
}

func writtenPolicyCases(t *testing.T) []judgeCase {
	t.Helper()
	var out []judgeCase
	role := func(name string) string { return "arn:aws:iam::" + judgeAccount + ":role/" + name }
	spec := KeyPolicySpec{
		Account:                 judgeAccount,
		Administrators:          []string{role("KeyAdmin")},
		Users:                   []string{role("Elastic_Transcoder_Default_Role"), role("MediaConvert_Default_Role")},
		CloudFrontDistributions: []string{judgeDist},
	}
	deletable := spec
	deletable.AllowAdminDelete = true
	console := mustParse(t, strings.ReplaceAll(readFixture(t, "console-default-key-policy.json"), "111122223333", judgeAccount))
	for _, p := range []struct {
		name string
		doc  *Document
	}{
		{"key policy", KeyPolicy(spec)},
		{"key policy, admins may delete", KeyPolicy(deletable)},
		{"console key policy merged", Merge(console, KeyStatements(spec))},
		{"key policy with an audit account", mustParse(t, strings.ReplaceAll(readFixture(t, "key-policy-cloudfront-audit.json"), "111122223333", judgeAccount))},
	} {
		out = append(out, probeResourcePolicy(t, policySource{name: p.name, policy: mustJSON(t, p.doc), account: judgeAccount}, judgeKeyARN)...)
	}
	kmsSpec := BucketSpec{
		Bucket: "media-hls", Algorithm: AlgorithmKMS, KeyARN: judgeKeyARN,
		KeyNames: KeyNamesOf(judgeKeyARN, "alias/hls-adaptive-key"), EnforceOnUpload: true, RequireTLS: true,
	}
	s3Spec := BucketSpec{Bucket: "media-hls", Algorithm: AlgorithmAES256, EnforceOnUpload: true, RequireTLS: true}
	oac := mustParse(t, strings.ReplaceAll(readFixture(t, "bucket-policy-cloudfront-oac.json"), "111122223333", judgeAccount))
	for _, p := range []struct {
		name string
		doc  *Document
	}{
		{"bucket policy sse-kms", &Document{Version: Version2012, Statements: BucketStatements(kmsSpec)}},
		{"bucket policy sse-s3", &Document{Version: Version2012, Statements: BucketStatements(s3Spec)}},
		{"bucket policy merged into the classic mistake", Merge(mustParse(t, readFixture(t, "bucket-policy-classic-mistake.json")), BucketStatements(kmsSpec))},
		{"bucket policy merged beside CloudFront's", Merge(oac, BucketStatements(s3Spec))},
	} {
		out = append(out, probeResourcePolicy(t, policySource{name: p.name, policy: mustJSON(t, p.doc), account: judgeAccount}, "arn:aws:s3:::media-hls")...)
	}
	out = append(out, iamgenCases(t)...)
	return out
}

func mustJSON(t *testing.T, d *Document) string {
	t.Helper()
	s, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// iamgenCases probes every policy of internal/iamgen's goldens: identity policies with their
// role's session, trust policies as the resource policies of their role.
func iamgenCases(t *testing.T) []judgeCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "iamgen", "testdata", "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("iamgen goldens: %v (%d files)", err, len(files))
	}
	var out []judgeCase
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "cfn-") {
			// CloudFormation templates: their policies are the other goldens' (a test of iamgen
			// holds them equal).
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := "iamgen " + strings.TrimSuffix(filepath.Base(f), ".json")
		if strings.Contains(string(b), `"Principal"`) {
			out = append(out, probeTrustPolicy(t, policySource{name: name, policy: string(b), account: judgeAccount})...)
			continue
		}
		out = append(out, probeIdentityPolicy(t, policySource{name: name, identity: true, policy: string(b)})...)
	}
	return out
}

// ---- probes ----

// kmsProbeActions and s3ProbeActions are the requests made against a key and a bucket: what
// sseguard grants and denies, and what it must not grant.
var (
	kmsProbeActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey", "kms:DescribeKey",
		"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy",
		"kms:DisableKey", "kms:EnableKeyRotation", "kms:TagResource", "kms:GetKeyPolicy"}
	// kmsFastActions are the fast tier's: use, grants, an administrator's and deletion.
	kmsFastActions       = []string{"kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:TagResource"}
	s3ObjectProbeActions = []string{"s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:PutObjectAcl"}
	s3BucketProbeActions = []string{"s3:ListBucket", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucket"}
)

// callers returns the principals a resource policy is probed with: a session of every role it
// names, the roles themselves, every named service, the account root, an unnamed role of the
// account, a role of another account, and (for S3) an anonymous caller.
func callers(d *Document, anonymous bool) []string {
	set := map[string]bool{
		"arn:aws:iam::" + judgeAccount + ":root":                       true,
		"arn:aws:sts::" + judgeAccount + ":assumed-role/Unnamed/s1":    true,
		"arn:aws:sts::" + judgeOther + ":assumed-role/SecurityAudit/a": true,
	}
	if anonymous {
		set[""] = true
	}
	for _, s := range d.Statements {
		for _, p := range []*Principal{s.Principal, s.NotPrincipal} {
			if p == nil {
				continue
			}
			for _, a := range p.AWS {
				c := parseCaller(a)
				switch c.kind {
				case callerRole:
					// A role ARN as the caller stands for any of its sessions (see Request).
					set[a] = fullSweep
					set["arn:"+c.partition+":sts::"+c.account+":assumed-role/"+c.roleName+"/s1"] = true
				case callerUser, callerSession:
					set[a] = true
				}
			}
			for _, svc := range p.Service {
				set[svc] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for p, ok := range set {
		if ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// conditionValues returns each condition key of the statements that cover action, with the
// values worth trying: absent, each policy value (up to three), and one no policy value names.
func conditionValues(d *Document, action string) map[string][][]string {
	keys := map[string][][]string{}
	for _, s := range d.Statements {
		if !s.coversAction(action) {
			continue
		}
		for op, kv := range s.Condition {
			boolean := strings.HasPrefix(op, "Bool")
			for k, vals := range kv {
				if _, ok := keys[k]; ok {
					continue
				}
				tries := [][]string{nil}
				if boolean {
					tries = append(tries, []string{"true"}, []string{"false"})
				} else {
					for i, v := range vals {
						if i == 3 {
							break
						}
						tries = append(tries, []string{strings.ReplaceAll(v, "*", "x")})
					}
					tries = append(tries, []string{otherValue(k)})
				}
				keys[k] = tries
			}
		}
	}
	return keys
}

// otherValue is a value no policy of the corpus names for the key, shaped as the key's type wants.
func otherValue(key string) string {
	switch k := strings.ToLower(key); {
	case strings.HasSuffix(k, "sourcearn"), strings.HasSuffix(k, "principalarn"):
		return "arn:aws:cloudfront::" + judgeOther + ":distribution/EOTHER"
	case strings.HasSuffix(k, "account"):
		return judgeOther
	}
	return "something-else"
}

// fullSweep is set by the long tier (SSEGUARD_LONG=1): every combination of condition values is
// tried, and roles are callers beside their sessions. The fast tier tries each value of a key
// against the request that satisfies every other key (someCombinations).
var fullSweep = os.Getenv("SSEGUARD_LONG") == "1"

// combinations returns the assignments of the keys' tries to judge, keys in sorted order.
func combinations(keys map[string][][]string) []map[string][]string {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	if !fullSweep {
		return someCombinations(names, keys)
	}
	out := []map[string][]string{{}}
	for _, k := range names {
		var next []map[string][]string
		for _, base := range out {
			for _, v := range keys[k] {
				m := make(map[string][]string, len(base)+1)
				for bk, bv := range base {
					m[bk] = bv
				}
				if v != nil {
					m[k] = v
				}
				next = append(next, m)
			}
		}
		out = next
	}
	return out
}

// someCombinations returns the request without any of the keys, the one with every key at its
// first policy value, each key alone at its first value, and each other try of a key (absent,
// other policy values, a value no policy names) with every other key at its first value.
func someCombinations(names []string, keys map[string][][]string) []map[string][]string {
	first := map[string][]string{}
	for _, k := range names {
		if len(keys[k]) > 1 {
			first[k] = keys[k][1]
		}
	}
	out := []map[string][]string{{}}
	seen := map[string]bool{"{}": true}
	add := func(m map[string][]string) {
		b, _ := json.Marshal(m)
		if !seen[string(b)] {
			seen[string(b)] = true
			out = append(out, m)
		}
	}
	add(first)
	for _, k := range names {
		if v, ok := first[k]; ok {
			add(map[string][]string{k: v})
		}
		for _, v := range keys[k] {
			m := make(map[string][]string, len(first))
			for fk, fv := range first {
				m[fk] = fv
			}
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
			add(m)
		}
	}
	return out
}

// requestContext is the context both evaluators get: the caller's keys AWS fills in (with
// kms:CallerAccount only for KMS actions, the only ones that have it), then the probe's.
func requestContext(principal, action string, probe map[string][]string) map[string][]string {
	ctx := callerContext(principal, nil)
	if !strings.HasPrefix(action, "kms:") {
		delete(ctx, "kms:CallerAccount")
	}
	if parseCaller(principal).kind == callerService || principal == "" {
		delete(ctx, "aws:PrincipalArn")
	}
	for k, v := range probe {
		ctx[k] = v
	}
	return ctx
}

// probeResourcePolicy makes the requests for a key policy (resource a key ARN) or a bucket
// policy (resource a bucket ARN; objects under it).
func probeResourcePolicy(t *testing.T, src policySource, resource string) []judgeCase {
	t.Helper()
	d := mustParse(t, src.policy)
	s3 := strings.HasPrefix(resource, "arn:aws:s3:::")
	type target struct{ action, resource string }
	var targets []target
	if s3 {
		for _, a := range s3ObjectProbeActions {
			targets = append(targets, target{a, resource + "/videos/a.ts"})
		}
		for _, a := range s3BucketProbeActions {
			targets = append(targets, target{a, resource})
		}
	} else {
		actions := kmsProbeActions
		if !fullSweep {
			actions = kmsFastActions
		}
		for _, a := range actions {
			targets = append(targets, target{a, resource})
		}
	}
	var out []judgeCase
	for _, p := range callers(d, s3) {
		for _, tg := range targets {
			for i, probe := range combinations(conditionValues(d, tg.action)) {
				out = append(out, judgeCase{
					name:   fmt.Sprintf("%s: %s %s %s #%d", src.name, orAnonymous(p), tg.action, tg.resource, i),
					policy: src.policy, principal: p, action: tg.action, resource: tg.resource,
					account: src.account, ctx: requestContext(p, tg.action, probe),
				})
			}
		}
	}
	return out
}

func orAnonymous(p string) string {
	if p == "" {
		return "anonymous"
	}
	return p
}

// probeTrustPolicy makes sts:AssumeRole requests against a trust policy naming AWS principals or
// a service; trust policies of OIDC providers (sts:AssumeRoleWithWebIdentity) are left to
// awstest's AssumeRole rule: iampolicy's callers are IAM and STS ARNs and services.
func probeTrustPolicy(t *testing.T, src policySource) []judgeCase {
	t.Helper()
	// A trust policy has no Resource: it is the role's own policy. Both evaluators get the role
	// as each statement's Resource, as the strict layer's AssumeRole rule gives it.
	roleARN := "arn:aws:iam::" + judgeAccount + ":role/sseguard-member"
	src.policy = withField(t, src.policy, "Resource", `"`+roleARN+`"`)
	d := mustParse(t, src.policy)
	var out []judgeCase
	for _, s := range d.Statements {
		if s.Principal != nil && len(s.Principal.Federated) > 0 {
			return nil
		}
	}
	for _, p := range callers(d, false) {
		for i, probe := range combinations(conditionValues(d, "sts:AssumeRole")) {
			out = append(out, judgeCase{
				name:   fmt.Sprintf("%s: %s sts:AssumeRole #%d", src.name, p, i),
				policy: src.policy, principal: p, action: "sts:AssumeRole", resource: roleARN,
				account: judgeAccount, ctx: requestContext(p, "sts:AssumeRole", probe),
			})
		}
	}
	return out
}

// probeIdentityPolicy makes, for every action the policy names and a few it must not grant, the
// requests on every resource the statements naming the action name (fitting the action), and on
// one of the same kind the policy does not name.
func probeIdentityPolicy(t *testing.T, src policySource) []judgeCase {
	t.Helper()
	d := mustParse(t, withPrincipalStar(t, src.policy))
	account := judgeAccount
	outsiders := []string{
		"arn:aws:s3:::not-in-the-policy", "arn:aws:s3:::not-in-the-policy/a.ts",
		"arn:aws:iam::" + judgeOther + ":role/Elsewhere",
		"arn:aws:kms:us-east-1:" + judgeOther + ":key/1234abcd-12ab-34cd-56ef-1234567890ab",
	}
	perAction := map[string]map[string]bool{
		"s3:DeleteObject": {}, "s3:DeleteBucket": {}, "kms:ScheduleKeyDeletion": {}, "iam:DeleteRole": {},
	}
	for _, s := range d.Statements {
		for _, a := range s.Action {
			if perAction[a] == nil {
				perAction[a] = map[string]bool{}
			}
			for _, r := range s.Resource {
				if r == "*" {
					continue
				}
				perAction[a][concreteARN(r)] = true
				if arn, ok := parseARN(r); ok && arn.account != "" && arn.account != "*" {
					account = arn.account
				}
			}
		}
	}
	session := "arn:aws:sts::" + account + ":assumed-role/sseguard/s1"
	var out []judgeCase
	actions := make([]string, 0, len(perAction))
	for a := range perAction {
		actions = append(actions, a)
	}
	sort.Strings(actions)
	for _, action := range actions {
		named := perAction[action]
		for _, o := range outsiders {
			named[o] = true
		}
		for _, res := range resourcesFor(action, sortedKeys(named)) {
			for i, probe := range combinations(conditionValues(d, action)) {
				out = append(out, judgeCase{
					name:     fmt.Sprintf("%s: %s %s #%d", src.name, action, res, i),
					identity: true, policy: src.policy, principal: session, action: action, resource: res,
					account: accountOfResource(res, account), ctx: requestContext(session, action, probe),
				})
			}
		}
	}
	return out
}

// concreteARN fills an ARN pattern's wildcards with a value each field accepts.
func concreteARN(pattern string) string {
	parts := strings.SplitN(pattern, ":", 6)
	if len(parts) != 6 {
		return pattern
	}
	if parts[3] == "*" {
		parts[3] = "us-east-1"
	}
	if parts[4] == "*" {
		parts[4] = judgeAccount
	}
	res := parts[5]
	if strings.HasPrefix(res, "key/") {
		res = strings.ReplaceAll(res, "*", "1234abcd-12ab-34cd-56ef-1234567890ab")
	}
	parts[5] = strings.ReplaceAll(res, "*", "x1")
	return strings.Join(parts, ":")
}

func accountOfResource(res, fallback string) string {
	if a := AccountOf(res); a != "" {
		return a
	}
	return fallback
}

// resourcesFor keeps the resources of the kind an action takes (Service Authorization Reference:
// object actions take an object ARN, bucket actions a bucket ARN, key actions a key ARN, ...);
// actions that take no resource get "*".
func resourcesFor(action string, resources []string) []string {
	var kind string
	switch {
	case action == "s3:ListAllMyBuckets" || action == "s3:CreateJob" || action == "s3:ListJobs" ||
		action == "kms:CreateKey" || action == "kms:ListAliases" || action == "kms:ListKeys":
		return []string{"*"}
	case action == "s3:DescribeJob":
		kind = "s3job"
	case s3ObjectAction(action):
		kind = "s3object"
	case strings.HasPrefix(action, "s3:"):
		kind = "s3bucket"
	case action == "kms:CreateAlias":
		kind = "kmsalias"
	case strings.HasPrefix(action, "kms:"):
		kind = "kmskey"
	case strings.HasPrefix(action, "iam:"), strings.HasPrefix(action, "sts:"):
		kind = "role"
	}
	var out []string
	for _, r := range resources {
		a, ok := parseARN(r)
		if !ok {
			continue
		}
		var k string
		switch {
		case a.service == "s3" && strings.HasPrefix(a.resource, "job/"):
			k = "s3job"
		case a.service == "s3" && strings.Contains(a.resource, "/"):
			k = "s3object"
		case a.service == "s3":
			k = "s3bucket"
		case a.service == "kms" && strings.HasPrefix(a.resource, "alias/"):
			k = "kmsalias"
		case a.service == "kms":
			k = "kmskey"
		case a.service == "iam" && strings.HasPrefix(a.resource, "role/"):
			k = "role"
		}
		if k == kind {
			out = append(out, r)
		}
	}
	return out
}

// s3ObjectAction reports the S3 actions that take an object ARN (GetBucketObjectLockConfiguration
// takes a bucket's).
func s3ObjectAction(action string) bool {
	for _, p := range []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:UpdateObject", "s3:AbortMultipartUpload", "s3:RestoreObject"} {
		if strings.HasPrefix(action, p) {
			return true
		}
	}
	return false
}

// ---- AWS's documented examples ----

// documentedCases are the examples of AWS's pages (each names its page), with the decision the
// page states. The policies are the pages' (identity policies unless they carry a Principal).
func documentedCases() []judgeCase {
	const (
		session    = "arn:aws:sts::123456789012:assumed-role/Developer/s1"
		johndoeARN = "arn:aws:iam::123456789012:user/johndoe"
	)
	id := func(name, page, policy, action, resource string, ctx map[string][]string, want Decision) judgeCase {
		return judgeCase{name: "AWS docs: " + name, page: page, identity: true, policy: policy, principal: session,
			action: action, resource: resource, account: judgeAccount, ctx: requestContext(session, action, ctx), want: want}
	}
	res := func(name, page, policy, principal, action, resource string, ctx map[string][]string, want Decision) judgeCase {
		return judgeCase{name: "AWS docs: " + name, page: page, policy: policy, principal: principal,
			action: action, resource: resource, account: judgeAccount, ctx: requestContext(principal, action, ctx), want: want}
	}
	kv := func(pairs ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i+1 < len(pairs); i += 2 {
			m[pairs[i]] = append(m[pairs[i]], pairs[i+1])
		}
		return m
	}
	const (
		notActionS3  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"arn:aws:s3:::*"}}`
		notActionIAM = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}}`
		denyNoMFA    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Sid":"DenyAllUsersNotUsingMFA","Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`
		payroll      = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}]}`
		jobCategory  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::123456789012:user/*","Condition":{"StringEquals":{"aws:PrincipalTag/job-category":"iamuser-admin"}}}}`
		johndoe      = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringEquals":{"aws:username":"johndoe"}}}}`
		tokenNull    = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}}}`
		denyTagKeys  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagUser","Resource":"*"},{"Sid":"DenyRestrictedTags","Effect":"Deny","Action":["iam:Tag*","iam:UnTag*"],"Resource":["*"],"Condition":{"ForAllValues:StringNotLike":{"aws:TagKeys":"key1*"}}}]}`
		anyIfExists  = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:TagUser","Resource":"*","Condition":{"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":["team"]}}}}`
		anyTagKeys   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:TagUser","Resource":"*"},{"Effect":"Deny","Action":"iam:TagUser","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["webserver"]}}}]}`
		notTwoTags   = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/role":["audit","security"]}}}}`
		twoOps       = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/department":["finance","hr"]},"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::123456789012:role/Developer*"]}}}}`
		wildRes      = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/examplefolder/?ile*"}}`
		rootKey      = `{"Version":"2012-10-17","Statement":{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}}`
		oacKey       = `{"Version":"2012-10-17","Statement":{"Sid":"AllowCloudFrontServicePrincipalSSE-KMS","Effect":"Allow","Principal":{"Service":["cloudfront.amazonaws.com"]},"Action":["kms:Decrypt","kms:Encrypt","kms:GenerateDataKey*"],"Resource":"*","Condition":{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"}}}}`
		// "IAM: Add a specific tag with specific values" (its AddTag statement).
		addTag   = `{"Version":"2012-10-17","Statement":{"Sid":"AddTag","Effect":"Allow","Action":["iam:TagUser","iam:TagRole"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/CostCenter":["A-123","B-456"]},"ForAllValues:StringEquals":{"aws:TagKeys":"CostCenter"}}}}`
		grantKey = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/ExampleRole"},"Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":true}}}}`
	)
	bucket := "arn:aws:s3:::amzn-s3-demo-bucket"
	const auditApp = "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app"
	npDeny := func(listed ...string) string {
		return `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["` + strings.Join(listed, `","`) +
			`"]},"Action":"s3:*","Resource":["arn:aws:s3:::amzn-s3-demo-bucket","arn:aws:s3:::amzn-s3-demo-bucket/*"]}}`
	}
	npBob := npDeny("arn:aws:iam::444455556666:user/Bob", "arn:aws:iam::444455556666:root")
	npAudit := npDeny(auditApp, "arn:aws:iam::444455556666:role/cross-account-read-only-role", "arn:aws:iam::444455556666:root")
	npAuditRole := npDeny("arn:aws:iam::444455556666:role/cross-account-read-only-role", "arn:aws:iam::444455556666:root")
	return []judgeCase{
		// NotAction with Allow: every S3 action on S3 resources except DeleteBucket; nothing of
		// another service; and everything but IAM.
		id("NotAction allows s3:GetObject", pageNotAction, notActionS3, "s3:GetObject", bucket+"/k", nil, Allow),
		id("NotAction leaves s3:DeleteBucket out", pageNotAction, notActionS3, "s3:DeleteBucket", bucket, nil, ImplicitDeny),
		id("NotAction with S3 resources grants no IAM", pageNotAction, notActionS3, "iam:GetUser", "arn:aws:iam::123456789012:user/x", nil, ImplicitDeny),
		id("NotAction iam:* allows S3", pageNotAction, notActionIAM, "s3:ListBucket", bucket, nil, Allow),
		id("NotAction iam:* leaves IAM out", pageNotAction, notActionIAM, "iam:CreateUser", "arn:aws:iam::123456789012:user/x", nil, ImplicitDeny),
		// NotAction with Deny: DenyAllUsersNotUsingMFA (BoolIfExists: absent key counts as false).
		id("MFA deny: no MFA key, S3 denied", pageNotAction, denyNoMFA, "s3:ListBucket", bucket, nil, ExplicitDeny),
		id("MFA deny: MFA false, S3 denied", pageNotAction, denyNoMFA, "s3:ListBucket", bucket, kv("aws:MultiFactorAuthPresent", "false"), ExplicitDeny),
		id("MFA deny: MFA true, S3 allowed", pageNotAction, denyNoMFA, "s3:ListBucket", bucket, kv("aws:MultiFactorAuthPresent", "true"), Allow),
		id("MFA deny: IAM never denied", pageNotAction, denyNoMFA, "iam:GetUser", "arn:aws:iam::123456789012:user/x", nil, Allow),
		// NotResource with Deny: HRPayroll may reach only the Payroll folder.
		id("NotResource: Payroll folder", pageNotResource, payroll, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/x", nil, Allow),
		id("NotResource: elsewhere in HRBucket", pageNotResource, payroll, "s3:GetObject", "arn:aws:s3:::HRBucket/Other/x", nil, ExplicitDeny),
		id("NotResource: another bucket", pageNotResource, payroll, "s3:ListBucket", bucket, nil, ExplicitDeny),
		// Resource wildcards: * any run, ? one character.
		id("Resource ? matches one character", pageResource, wildRes, "s3:GetObject", bucket+"/examplefolder/file1.txt", nil, Allow),
		id("Resource ? needs exactly one", pageResource, wildRes, "s3:GetObject", bucket+"/examplefolder/ile1.txt", nil, ImplicitDeny),
		id("Resource * spans slashes", pageResource, wildRes, "s3:GetObject", bucket+"/examplefolder/file/deep.txt", nil, Allow),
		// String operators: the principal tag example; an absent key makes StringEquals false.
		id("StringEquals tag present", pageConditionOps, jobCategory, "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/u", kv("aws:PrincipalTag/job-category", "iamuser-admin"), Allow),
		id("StringEquals tag absent", pageConditionOps, jobCategory, "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/u", nil, ImplicitDeny),
		id("StringEquals tag other value", pageConditionOps, jobCategory, "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/u", kv("aws:PrincipalTag/job-category", "dev"), ImplicitDeny),
		// Condition: values are case-sensitive with StringEquals (JohnDoe does not match johndoe),
		// key names are not.
		id("StringEquals johndoe", pageCondition, johndoe, "iam:GetUser", johndoeARN, kv("aws:username", "johndoe"), Allow),
		id("StringEquals JohnDoe", pageCondition, johndoe, "iam:GetUser", johndoeARN, kv("aws:username", "JohnDoe"), ImplicitDeny),
		id("key names ignore case", pageCondition, johndoe, "iam:GetUser", johndoeARN, kv("AWS:UserName", "johndoe"), Allow),
		// Null: true when the key is absent (temporary credentials carry aws:TokenIssueTime).
		id("Null true, key absent", pageConditionOps, tokenNull, "ec2:DescribeInstances", "*", nil, Allow),
		id("Null true, key present", pageConditionOps, tokenNull, "ec2:DescribeInstances", "*", kv("aws:TokenIssueTime", "2026-01-01T00:00:00Z"), ImplicitDeny),
		// Multivalued keys: ForAllValues is true when the key is absent; ForAnyValue false.
		// "Deny a single policy condition value for a multivalued context key" (DenyRestrictedTags,
		// beside an Allow of iam:TagUser), row by row of the page's table.
		id("ForAllValues deny: key1:legal", pageMultiValued, denyTagKeys, "iam:TagUser", johndoeARN, kv("aws:TagKeys", "key1:legal"), Allow),
		id("ForAllValues deny: key1:hr, key1:personnel", pageMultiValued, denyTagKeys, "iam:TagUser", johndoeARN, kv("aws:TagKeys", "key1:hr", "aws:TagKeys", "key1:personnel"), Allow),
		id("ForAllValues deny: key2:audit", pageMultiValued, denyTagKeys, "iam:TagUser", johndoeARN, kv("aws:TagKeys", "key2:audit"), ExplicitDeny),
		id("ForAllValues deny: no aws:TagKeys", pageMultiValued, denyTagKeys, "iam:TagUser", johndoeARN, nil, ExplicitDeny),
		// ForAnyValue is false when the key is absent, with ...IfExists too (pageMultiKeys).
		id("ForAnyValue IfExists allow: no aws:TagKeys", pageMultiKeys, anyIfExists, "iam:TagUser", johndoeARN, nil, ImplicitDeny),
		id("ForAnyValue IfExists allow: team", pageMultiKeys, anyIfExists, "iam:TagUser", johndoeARN, kv("aws:TagKeys", "team"), Allow),
		id("ForAnyValue deny, webserver among tags", pageMultiValued, anyTagKeys, "iam:TagUser", johndoeARN, kv("aws:TagKeys", "env", "aws:TagKeys", "webserver"), ExplicitDeny),
		id("ForAnyValue deny, no tags: false", pageMultiValued, anyTagKeys, "iam:TagUser", johndoeARN, nil, Allow),
		id("AddTag: CostCenter A-123", pageAddTag, addTag, "iam:TagUser", johndoeARN, kv("aws:RequestTag/CostCenter", "A-123", "aws:TagKeys", "CostCenter"), Allow),
		id("AddTag: CostCenter C-789", pageAddTag, addTag, "iam:TagUser", johndoeARN, kv("aws:RequestTag/CostCenter", "C-789", "aws:TagKeys", "CostCenter"), ImplicitDeny),
		id("AddTag: a second tag key", pageAddTag, addTag, "iam:TagUser", johndoeARN, kv("aws:RequestTag/CostCenter", "B-456", "aws:TagKeys", "CostCenter", "aws:TagKeys", "Owner"), ImplicitDeny),
		// Several values of a negated operator are NORed; several operators and keys ANDed.
		id("StringNotEquals NOR: audit", pageMultiValue, notTwoTags, "iam:GetUser", johndoeARN, kv("aws:PrincipalTag/role", "audit"), ImplicitDeny),
		id("StringNotEquals NOR: dev", pageMultiValue, notTwoTags, "iam:GetUser", johndoeARN, kv("aws:PrincipalTag/role", "dev"), Allow),
		id("StringNotEquals NOR: absent is true", pageConditionOps, notTwoTags, "iam:GetUser", johndoeARN, nil, Allow),
		id("operators ANDed: both hold", pageMultiValue, twoOps, "s3:GetObject", bucket+"/k", kv("aws:PrincipalTag/department", "hr"), Allow),
		id("operators ANDed: tag missing", pageMultiValue, twoOps, "s3:GetObject", bucket+"/k", nil, ImplicitDeny),
		// NotPrincipal with Deny: everyone but the listed principals is denied.
		res("NotPrincipal: Bob and his account listed, Alice", pageNotPrincipal, npBob, "arn:aws:iam::444455556666:user/Alice", "s3:GetObject", bucket+"/k", nil, ExplicitDeny),
		res("NotPrincipal: Bob and his account listed, Bob", pageNotPrincipal, npBob, "arn:aws:iam::444455556666:user/Bob", "s3:GetObject", bucket+"/k", nil, ImplicitDeny),
		res("NotPrincipal: session, role and account listed, the session", pageNotPrincipal, npAudit, auditApp, "s3:GetObject", bucket+"/k", nil, ImplicitDeny),
		res("NotPrincipal: session, role and account listed, another session", pageNotPrincipal, npAudit, "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/other", "s3:GetObject", bucket+"/k", nil, ExplicitDeny),
		// The page: listing Bob without his account, "AWS might validate the account first" and
		// deny him; sseguard counts the Deny as possibly applying.
		res("NotPrincipal: Bob alone listed, Bob might be denied", pageNotPrincipal, npDeny("arn:aws:iam::444455556666:user/Bob"), "arn:aws:iam::444455556666:user/Bob", "s3:GetObject", bucket+"/k", nil, ExplicitDeny),
		res("NotPrincipal: role and account listed, a session", pageNotPrincipal, npAuditRole, auditApp, "s3:GetObject", bucket+"/k", nil, ExplicitDeny),
		// KMS: the root statement allows the account root; others only through IAM (the
		// simulator's AllowedForAccount); CloudFront by SourceArn; grants for AWS resources.
		res("root statement: root", pageKeyPolicyRoot, rootKey, "arn:aws:iam::123456789012:root", "kms:Decrypt", judgeKeyARN, nil, Allow),
		res("root statement: a role only through IAM", pageKeyPolicyRoot, rootKey, session, "kms:Decrypt", judgeKeyARN, nil, ImplicitDeny),
		res("root statement: another account", pageKeyPolicyRoot, rootKey, "arn:aws:sts::444455556666:assumed-role/X/s", "kms:Decrypt", judgeKeyARN, nil, ImplicitDeny),
		res("OAC key: distribution", pageCloudFrontOAC, oacKey, "cloudfront.amazonaws.com", "kms:Decrypt", judgeKeyARN, kv("AWS:SourceArn", "arn:aws:cloudfront::123456789012:distribution/EDFDVBD6EXAMPLE"), Allow),
		res("OAC key: another distribution", pageCloudFrontOAC, oacKey, "cloudfront.amazonaws.com", "kms:Decrypt", judgeKeyARN, kv("AWS:SourceArn", "arn:aws:cloudfront::123456789012:distribution/EOTHER"), ImplicitDeny),
		res("OAC key: no SourceArn", pageCloudFrontOAC, oacKey, "cloudfront.amazonaws.com", "kms:GenerateDataKey", judgeKeyARN, nil, ImplicitDeny),
		res("grant for an AWS resource", pageKMSGrantForAWS, grantKey, "arn:aws:sts::123456789012:assumed-role/ExampleRole/s", "kms:CreateGrant", judgeKeyARN, kv("kms:GrantIsForAWSResource", "true"), Allow),
		res("grant not for an AWS resource", pageKMSGrantForAWS, grantKey, "arn:aws:sts::123456789012:assumed-role/ExampleRole/s", "kms:CreateGrant", judgeKeyARN, kv("kms:GrantIsForAWSResource", "false"), ImplicitDeny),
		res("grant key absent", pageKMSGrantForAWS, grantKey, "arn:aws:sts::123456789012:assumed-role/ExampleRole/s", "kms:CreateGrant", judgeKeyARN, nil, ImplicitDeny),
	}
}
