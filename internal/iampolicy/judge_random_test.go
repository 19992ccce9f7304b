package iampolicy

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
)

// Random condition blocks, judged by sseguard and by iam-simulate: the written policies use a
// handful of operators; policies written by others (bucket and key policies sseguard must read
// and keep) can use any. Each case is an identity policy of one to three statements whose
// conditions combine operators of every family, with and without ...IfExists and the set
// operators, over keys of every type, against a request that holds some of the keys. The seed is
// fixed: the corpus is the same on every run. SSEGUARD_LONG=1 judges ten times as many.

// randomKey is a condition key of one type, with the policy values and request values drawn for it.
type randomKey struct {
	name   string
	family string // string, bool, numeric, date, ip, arn
	multi  bool   // a set of values in the request (ArrayOfString)
	policy []string
	values []string
}

var randomKeys = []randomKey{
	{name: "aws:PrincipalTag/team", family: "string", policy: []string{"dev", "Dev", "d*", "*ev", "?ev", "prod"}, values: []string{"dev", "Dev", "prod", "devops", "ev"}},
	{name: "aws:TagKeys", family: "string", multi: true, policy: []string{"env", "Env", "env*", "owner", "*"}, values: []string{"env", "Env", "environment", "owner", "cost"}},
	{name: "aws:SecureTransport", family: "bool", policy: []string{"true", "false"}, values: []string{"true", "false"}},
	{name: "aws:MultiFactorAuthAge", family: "numeric", policy: []string{"3600", "0", "86400"}, values: []string{"0", "3600", "7200", "100000"}},
	{name: "aws:TokenIssueTime", family: "date", policy: []string{"2026-01-01T00:00:00Z", "2025-06-30T12:00:00Z"}, values: []string{"2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"}},
	{name: "aws:SourceIp", family: "ip", policy: []string{"203.0.113.0/24", "198.51.100.7/32", "2001:db8::/32"}, values: []string{"203.0.113.9", "198.51.100.7", "192.0.2.1", "2001:db8::1"}},
	{name: "aws:SourceArn", family: "arn", policy: []string{"arn:aws:s3:::media-*", "arn:aws:s3:::media-hls", "arn:aws:cloudfront::123456789012:distribution/*"}, values: []string{"arn:aws:s3:::media-hls", "arn:aws:s3:::other", "arn:aws:cloudfront::123456789012:distribution/E1"}},
}

var randomOperators = map[string][]string{
	"string":  {"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"},
	"bool":    {"Bool"},
	"numeric": {"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"},
	"date":    {"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"},
	"ip":      {"IpAddress", "NotIpAddress"},
	"arn":     {"ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"},
}

// randomCondition draws one operator on one key.
func randomCondition(r *rand.Rand) (op, key string, vals []string) {
	k := randomKeys[r.IntN(len(randomKeys))]
	if r.IntN(8) == 0 {
		return "Null", k.name, []string{[]string{"true", "false"}[r.IntN(2)]}
	}
	ops := randomOperators[k.family]
	op = ops[r.IntN(len(ops))]
	if r.IntN(3) == 0 {
		op += "IfExists"
	}
	if k.multi {
		op = []string{"ForAnyValue:", "ForAllValues:"}[r.IntN(2)] + op
	}
	n := 1 + r.IntN(2)
	for range n {
		vals = append(vals, k.policy[r.IntN(len(k.policy))])
	}
	return op, k.name, vals
}

// randomContext draws a request: each key present or not; a set key holds one to three values.
func randomContext(r *rand.Rand) map[string][]string {
	ctx := map[string][]string{}
	for _, k := range randomKeys {
		if r.IntN(3) == 0 {
			continue
		}
		n := 1
		if k.multi {
			n = 1 + r.IntN(3)
		}
		seen := map[string]bool{}
		for range n {
			v := k.values[r.IntN(len(k.values))]
			if !seen[v] {
				seen[v] = true
				ctx[k.name] = append(ctx[k.name], v)
			}
		}
	}
	return ctx
}

// randomPolicy draws an identity policy: one to three statements, Allow or Deny, each with one to
// three conditions (operators on the same key are ANDed too).
func randomPolicy(r *rand.Rand) string {
	var stmts []string
	for i := range 1 + r.IntN(3) {
		effect := "Allow"
		if i > 0 && r.IntN(2) == 0 {
			effect = "Deny"
		}
		cond := map[string]map[string]any{}
		for range 1 + r.IntN(3) {
			op, key, vals := randomCondition(r)
			if cond[op] == nil {
				cond[op] = map[string]any{}
			}
			if len(vals) == 1 {
				cond[op][key] = vals[0]
			} else {
				cond[op][key] = vals
			}
		}
		c, _ := json.Marshal(cond)
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%d","Effect":%q,"Action":"s3:GetObject","Resource":"arn:aws:s3:::media-hls/*","Condition":%s}`, i, effect, c))
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// randomCases returns the fixed corpus of random cases.
func randomCases(n int) []judgeCase {
	r := rand.New(rand.NewPCG(18, 7))
	const session = "arn:aws:sts::123456789012:assumed-role/Random/s1"
	out := make([]judgeCase, 0, n)
	for i := range n {
		ctx := randomContext(r)
		ctx["aws:PrincipalArn"] = []string{"arn:aws:iam::123456789012:role/Random"}
		ctx["aws:PrincipalAccount"] = []string{"123456789012"}
		out = append(out, judgeCase{
			name: fmt.Sprintf("random #%d", i), identity: true, policy: randomPolicy(r), principal: session,
			action: "s3:GetObject", resource: "arn:aws:s3:::media-hls/videos/a.ts", account: judgeAccount, ctx: ctx,
		})
	}
	return out
}

// contextKeys lists a case's context for messages, sorted.
func contextKeys(ctx map[string][]string) string {
	var s []string
	for k, v := range ctx {
		s = append(s, k+"="+strings.Join(v, "|"))
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// Random bucket policies: principals and NotPrincipal of every form, actions and resources with
// wildcards, NotAction and NotResource, Allow and Deny, some with a condition, against callers
// of every kind (the account root, role sessions of this and another account, a user, a service,
// anonymous). The resource analysis is compared, as for the policies sseguard writes.

const (
	rndA = "123456789012"
	rndB = "444455556666"
)

var (
	rndPrincipals = []string{
		`"*"`, `{"AWS":"*"}`, `{"AWS":"` + rndA + `"}`, `{"AWS":"arn:aws:iam::` + rndA + `:root"}`,
		`{"AWS":"arn:aws:iam::` + rndA + `:role/R1"}`, `{"AWS":"arn:aws:sts::` + rndA + `:assumed-role/R1/s1"}`,
		`{"AWS":"arn:aws:iam::` + rndA + `:user/U"}`, `{"AWS":"` + rndB + `"}`, `{"AWS":"arn:aws:iam::` + rndB + `:role/X"}`,
		`{"Service":"cloudfront.amazonaws.com"}`,
		`{"AWS":["arn:aws:iam::` + rndA + `:role/R1","arn:aws:iam::` + rndA + `:root"]}`,
		`{"AWS":["arn:aws:sts::` + rndA + `:assumed-role/R1/s1","arn:aws:iam::` + rndA + `:role/R1","` + rndA + `"]}`,
	}
	rndCallers = []string{
		"arn:aws:iam::" + rndA + ":root", "arn:aws:sts::" + rndA + ":assumed-role/R1/s1", "arn:aws:sts::" + rndA + ":assumed-role/R1/s2",
		"arn:aws:sts::" + rndA + ":assumed-role/R2/s1", "arn:aws:iam::" + rndA + ":user/U", "arn:aws:sts::" + rndB + ":assumed-role/X/s1",
		"cloudfront.amazonaws.com", "",
	}
	rndActions   = []string{`"s3:GetObject"`, `"s3:Get*"`, `"s3:*"`, `"S3:getobject"`, `"s3:Get?bject"`, `"*"`, `["s3:PutObject","s3:GetObject"]`, `"s3:PutObject"`, `"s3:List*"`}
	rndResources = []string{`"arn:aws:s3:::media-hls/*"`, `"arn:aws:s3:::media-*/*"`, `"arn:aws:s3:::media-hls/videos/?.ts"`, `"*"`, `"arn:aws:s3:::other/*"`, `"arn:aws:s3:::media-hls"`, `"arn:aws:s3:::Media-hls/*"`, `["arn:aws:s3:::other/*","arn:aws:s3:::media-hls/videos/*"]`}
)

// randomBucketPolicy draws a bucket policy of one to three statements.
func randomBucketPolicy(r *rand.Rand) string {
	var stmts []string
	for i := range 1 + r.IntN(3) {
		effect := []string{"Allow", "Deny"}[r.IntN(2)]
		who := `"Principal":` + rndPrincipals[r.IntN(len(rndPrincipals))]
		if r.IntN(6) == 0 {
			// NotPrincipal lists named principals ("*" is not allowed there).
			who = `"NotPrincipal":` + rndPrincipals[4+r.IntN(len(rndPrincipals)-4)]
		}
		what := `"Action":` + rndActions[r.IntN(len(rndActions))]
		if r.IntN(6) == 0 {
			what = `"NotAction":` + rndActions[r.IntN(len(rndActions))]
		}
		where := `"Resource":` + rndResources[r.IntN(len(rndResources))]
		if r.IntN(6) == 0 {
			where = `"NotResource":` + rndResources[r.IntN(len(rndResources))]
		}
		cond := ""
		if r.IntN(3) == 0 {
			op, key, vals := randomCondition(r)
			c, _ := json.Marshal(map[string]map[string][]string{op: {key: vals}})
			cond = `,"Condition":` + string(c)
		}
		stmts = append(stmts, fmt.Sprintf(`{"Sid":"S%d","Effect":%q,%s,%s,%s%s}`, i, effect, who, what, where, cond))
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// randomBucketCases returns the fixed corpus of random bucket policy cases.
func randomBucketCases(n int) []judgeCase {
	r := rand.New(rand.NewPCG(18, 8))
	out := make([]judgeCase, 0, n)
	for i := range n {
		caller := rndCallers[r.IntN(len(rndCallers))]
		probe := randomContext(r)
		delete(probe, "aws:TagKeys") // not a key of s3:GetObject requests
		out = append(out, judgeCase{
			name: fmt.Sprintf("random bucket policy #%d", i), policy: randomBucketPolicy(r), principal: caller,
			action: "s3:GetObject", resource: "arn:aws:s3:::media-hls/videos/a.ts", account: rndA,
			ctx: requestContext(caller, "s3:GetObject", probe),
		})
	}
	return out
}
