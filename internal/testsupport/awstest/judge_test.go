package awstest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/testsupport/nodetools"
)

// TestDecideAgreesWithAnIndependentJudge compares the layer's authorisation decision (decide:
// the caller's identity policy with the bucket or key policy, same account) with iam-simulate's
// overall result (tools/js, pinned) over the policies sseguard writes: the apply role's generated
// policy (iamgen's golden) and a transcoder's, against the key policy sseguard writes for a new
// key, the same without the account root statement, and the bucket policy it writes. Every
// difference must be one of layerDisagreements, which cite AWS's pages.
func TestDecideAgreesWithAnIndependentJudge(t *testing.T) {
	t.Parallel()
	const (
		account  = "123456789012"
		keyARN   = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
		bucket   = "arn:aws:s3:::media-hls"
		object   = "arn:aws:s3:::media-hls/videos/a.ts"
		apply    = "arn:aws:sts::123456789012:assumed-role/sseguard-apply/run"
		trans    = "arn:aws:sts::123456789012:assumed-role/Elastic_Transcoder_Default_Role/job"
		stranger = "arn:aws:sts::123456789012:assumed-role/Unnamed/s"
	)
	applyPolicy, err := os.ReadFile(filepath.Join("..", "..", "iamgen", "testdata", "example-apply.json"))
	if err != nil {
		t.Fatal(err)
	}
	// A role without sseguard's policy: an identity policy that grants nothing relevant, so that
	// only the resource policy can allow (the layer treats a key without one as unrestricted).
	const nothing = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListAllMyBuckets","Resource":"*"}]}`
	spec := iampolicy.KeyPolicySpec{
		Account:        account,
		Administrators: []string{"arn:aws:iam::123456789012:role/KeyAdmin"},
		Users:          []string{"arn:aws:iam::123456789012:role/Elastic_Transcoder_Default_Role"},
	}
	withRoot := iampolicy.KeyPolicy(spec)
	noRoot := &iampolicy.Document{Version: iampolicy.Version2012, Statements: iampolicy.KeyStatements(spec)}
	bucketPolicy := &iampolicy.Document{Version: iampolicy.Version2012, Statements: iampolicy.BucketStatements(iampolicy.BucketSpec{
		Bucket: "media-hls", Algorithm: iampolicy.AlgorithmKMS, KeyARN: keyARN,
		KeyNames: iampolicy.KeyNamesOf(keyARN, "alias/hls-adaptive-key"), EnforceOnUpload: true, RequireTLS: true,
	})}
	type scenario struct {
		name, identity, principal, action, resource string
		bucketPolicy, keyPolicy                     *iampolicy.Document
		ctx                                         map[string][]string
	}
	var cases []scenario
	aliases := map[string][]string{"kms:ResourceAliases": {"alias/hls-adaptive-key"}}
	other := map[string][]string{"kms:ResourceAliases": {"alias/someone-elses"}}
	for kpName, kp := range map[string]*iampolicy.Document{"key policy": withRoot, "key policy without the root statement": noRoot} {
		for _, who := range []struct{ name, principal, identity string }{
			{"apply role", apply, string(applyPolicy)}, {"transcoder", trans, nothing}, {"unnamed role", stranger, nothing},
		} {
			for _, action := range []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:ScheduleKeyDeletion"} {
				for ctxName, ctx := range map[string]map[string][]string{"its alias": aliases, "another alias": other} {
					cases = append(cases, scenario{
						name:     fmt.Sprintf("%s, %s: %s %s (%s)", kpName, who.name, action, keyARN, ctxName),
						identity: who.identity, principal: who.principal, action: action, resource: keyARN, keyPolicy: kp, ctx: ctx,
					})
				}
			}
		}
	}
	headers := map[string]map[string][]string{
		"no header":             nil,
		"aws:kms with the key":  {"s3:x-amz-server-side-encryption": {"aws:kms"}, "s3:x-amz-server-side-encryption-aws-kms-key-id": {keyARN}},
		"aws:kms without a key": {"s3:x-amz-server-side-encryption": {"aws:kms"}},
		"AES256":                {"s3:x-amz-server-side-encryption": {"AES256"}},
		"plain HTTP":            {"aws:SecureTransport": {"false"}},
	}
	for _, who := range []struct{ name, principal, identity string }{{"apply role", apply, string(applyPolicy)}, {"unnamed role", stranger, nothing}} {
		for _, a := range []struct{ action, resource string }{{"s3:PutObject", object}, {"s3:GetObject", object}, {"s3:ListBucket", bucket}, {"s3:PutEncryptionConfiguration", bucket}, {"s3:PutBucketPolicy", bucket}} {
			for hName, h := range headers {
				cases = append(cases, scenario{
					name:     fmt.Sprintf("bucket policy, %s: %s %s (%s)", who.name, a.action, a.resource, hName),
					identity: who.identity, principal: who.principal, action: a.action, resource: a.resource, bucketPolicy: bucketPolicy, ctx: h,
				})
			}
		}
	}

	type input struct {
		Name       string         `json:"name"`
		Simulation map[string]any `json:"simulation"`
	}
	var in []input
	contexts := make([]map[string][]string, len(cases))
	for i, c := range cases {
		ctx := map[string][]string{
			"aws:SecureTransport":  {"true"},
			"aws:PrincipalAccount": {account},
			"aws:PrincipalArn":     {"arn:aws:iam::123456789012:role/" + strings.Split(c.principal, "/")[1]},
		}
		if strings.HasPrefix(c.action, "kms:") {
			ctx["kms:CallerAccount"] = []string{account}
		}
		for k, v := range c.ctx {
			ctx[k] = v
		}
		contexts[i] = ctx
		simCtx := map[string]any{}
		for k, v := range ctx {
			simCtx[k] = v
			if k != "kms:ResourceAliases" {
				simCtx[k] = v[0]
			}
		}
		sim := map[string]any{
			"request": map[string]any{
				"principal": c.principal, "action": c.action,
				"resource":         map[string]string{"resource": c.resource, "accountId": account},
				"contextVariables": simCtx,
			},
			"identityPolicies":        []any{map[string]any{"name": "role", "policy": json.RawMessage(c.identity)}},
			"serviceControlPolicies":  []any{},
			"resourceControlPolicies": []any{},
		}
		for _, d := range []*iampolicy.Document{c.bucketPolicy, c.keyPolicy} {
			if d != nil {
				js, err := d.JSON()
				if err != nil {
					t.Fatal(err)
				}
				sim["resourcePolicy"] = json.RawMessage(js)
			}
		}
		in = append(in, input{c.name, sim})
	}
	var out []struct{ Name, Overall, Error string }
	nodetools.Run(t, "iam-judge.mjs", in, &out)
	if len(out) != len(cases) {
		t.Fatalf("the simulator answered %d cases, sent %d", len(out), len(cases))
	}
	outcomes := map[bool]int{}
	for i, c := range cases {
		if out[i].Error != "" {
			t.Errorf("%s: the simulator refused the case: %s", c.name, out[i].Error)
			continue
		}
		idDoc, err := parseIdentityPolicy(c.identity)
		if err != nil {
			t.Fatal(err)
		}
		res := resources{bucketPolicy: c.bucketPolicy, bucketOwner: account, keyPolicy: c.keyPolicy}
		if c.keyPolicy != nil {
			res.keyARN = c.resource
		}
		v := decide(iampolicy.Request{Principal: c.principal, Action: c.action, Resource: c.resource, Context: contexts[i]}, idDoc, res)
		outcomes[v.allowed]++
		if simAllowed := out[i].Overall == "Allowed"; v.allowed != simAllowed {
			t.Errorf("%s: the layer decides allowed=%v (%s %s), iam-simulate %s", c.name, v.allowed, v.policy, v.detail, out[i].Overall)
		}
	}
	if outcomes[true] < 20 || outcomes[false] < 20 {
		t.Errorf("outcomes %v: the scenarios must both allow and refuse", outcomes)
	}
	t.Logf("%d scenarios judged by both: %v", len(cases), outcomes)
}
