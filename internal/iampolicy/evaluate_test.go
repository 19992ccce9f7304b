package iampolicy

import (
	"testing"
)

const (
	acct       = "111122223333"
	transcoder = "arn:aws:iam::111122223333:role/Elastic_Transcoder_Default_Role"
	keyAdmin   = "arn:aws:iam::111122223333:role/KeyAdmin"
	keyARN     = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	bucketName = "media-hls"
)

func stmt(effect, principal, action, resource, cond string) string {
	s := `{"Effect":"` + effect + `","Principal":` + principal + `,"Action":` + action + `,"Resource":` + resource
	if cond != "" {
		s += `,"Condition":` + cond
	}
	return s + "}"
}

func doc(stmts ...string) string {
	out := `{"Version":"2012-10-17","Statement":[`
	for i, s := range stmts {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out + "]}"
}

// Each case cites the rule of AWS's documentation ("Policy evaluation logic", "IAM JSON policy
// elements: Principal / Action / NotAction / Resource / Condition operators") it covers.
func TestEvaluate(t *testing.T) {
	t.Parallel()
	put := func(ctx map[string][]string) Request {
		return Request{Principal: "arn:aws:iam::111122223333:role/Anyone", Action: "s3:PutObject", Resource: "arn:aws:s3:::media-hls/a.ts", Context: ctx}
	}
	sse := func(v string) map[string][]string { return map[string][]string{KeySSEHeader: {v}} }
	classicDeny := stmt("Deny", `"*"`, `"s3:PutObject"`, `"arn:aws:s3:::media-hls/*"`, `{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"}}`)
	guardedDeny := stmt("Deny", `"*"`, `"s3:PutObject"`, `"arn:aws:s3:::media-hls/*"`, `{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"},"Null":{"s3:x-amz-server-side-encryption":"false"}}`)
	allowAll := stmt("Allow", `"*"`, `"s3:*"`, `"*"`, "")
	tests := map[string]struct {
		policy string
		req    Request
		opt    EvalOptions
		want   Decision
	}{
		// Evaluation logic: no statement applies → implicit deny.
		"implicit deny": {doc(stmt("Allow", `"*"`, `"s3:GetObject"`, `"*"`, "")), put(nil), EvalOptions{}, ImplicitDeny},
		// Evaluation logic: an explicit Deny overrides any Allow.
		"explicit deny wins": {doc(allowAll, stmt("Deny", `"*"`, `"s3:Put*"`, `"*"`, "")), put(nil), EvalOptions{}, ExplicitDeny},
		"allow":              {doc(allowAll), put(nil), EvalOptions{}, Allow},
		// Condition operators: a negated operator is true when the key is absent. The classic
		// mistake: this Deny refuses header-less uploads (and every multipart UploadPart).
		"classic deny refuses header-less upload": {doc(allowAll, classicDeny), put(nil), EvalOptions{}, ExplicitDeny},
		"classic deny refuses AES256":             {doc(allowAll, classicDeny), put(sse("AES256")), EvalOptions{}, ExplicitDeny},
		"classic deny lets aws:kms through":       {doc(allowAll, classicDeny), put(sse("aws:kms")), EvalOptions{}, Allow},
		// Conditions in one statement are ANDed; Null false is true only when the key is present.
		"null-guarded deny lets header-less upload through": {doc(allowAll, guardedDeny), put(nil), EvalOptions{}, Allow},
		"null-guarded deny refuses AES256":                  {doc(allowAll, guardedDeny), put(sse("AES256")), EvalOptions{}, ExplicitDeny},
		"null-guarded deny lets aws:kms through":            {doc(allowAll, guardedDeny), put(sse("aws:kms")), EvalOptions{}, Allow},
		// ...IfExists is true when the key is absent: in a Deny it refuses header-less uploads too.
		"IfExists deny refuses header-less upload": {doc(allowAll, stmt("Deny", `"*"`, `"s3:PutObject"`, `"*"`, `{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"AES256"}}`)), put(nil), EvalOptions{}, ExplicitDeny},
		"IfExists with key present judges value":   {doc(allowAll, stmt("Deny", `"*"`, `"s3:PutObject"`, `"*"`, `{"StringEqualsIfExists":{"s3:x-amz-server-side-encryption":"AES256"}}`)), put(sse("aws:kms")), EvalOptions{}, Allow},
		// A non-negated operator is false when the key is absent.
		"StringEquals absent key is false": {doc(stmt("Allow", `"*"`, `"s3:PutObject"`, `"*"`, `{"StringEquals":{"s3:x-amz-server-side-encryption":"AES256"}}`)), put(nil), EvalOptions{}, ImplicitDeny},
		// Condition key names are case-insensitive; String values are case-sensitive.
		"key name case-insensitive":   {doc(stmt("Allow", `"*"`, `"s3:PutObject"`, `"*"`, `{"StringEquals":{"S3:X-Amz-Server-Side-Encryption":"AES256"}}`)), put(sse("AES256")), EvalOptions{}, Allow},
		"string value case-sensitive": {doc(stmt("Allow", `"*"`, `"s3:PutObject"`, `"*"`, `{"StringEquals":{"s3:x-amz-server-side-encryption":"aes256"}}`)), put(sse("AES256")), EvalOptions{}, ImplicitDeny},
		"IgnoreCase":                  {doc(stmt("Allow", `"*"`, `"s3:PutObject"`, `"*"`, `{"StringEqualsIgnoreCase":{"s3:x-amz-server-side-encryption":"aes256"}}`)), put(sse("AES256")), EvalOptions{}, Allow},
		// Several values for one key are ORed.
		"values ORed": {doc(stmt("Allow", `"*"`, `"s3:PutObject"`, `"*"`, `{"StringEquals":{"s3:x-amz-server-side-encryption":["AES256","aws:kms"]}}`)), put(sse("aws:kms")), EvalOptions{}, Allow},
		// Bool compares true/false.
		"Bool TLS deny":     {doc(allowAll, stmt("Deny", `"*"`, `"s3:*"`, `"*"`, `{"Bool":{"aws:SecureTransport":false}}`)), put(map[string][]string{"aws:SecureTransport": {"false"}}), EvalOptions{}, ExplicitDeny},
		"Bool TLS ok":       {doc(allowAll, stmt("Deny", `"*"`, `"s3:*"`, `"*"`, `{"Bool":{"aws:SecureTransport":"false"}}`)), put(map[string][]string{"aws:SecureTransport": {"true"}}), EvalOptions{}, Allow},
		"Bool absent false": {doc(allowAll, stmt("Deny", `"*"`, `"s3:*"`, `"*"`, `{"Bool":{"aws:SecureTransport":"false"}}`)), put(nil), EvalOptions{}, Allow},
		// Action: wildcards, case-insensitive; NotAction matches every other action.
		"action wildcard case-insensitive": {doc(stmt("Allow", `"*"`, `"S3:put*"`, `"*"`, "")), put(nil), EvalOptions{}, Allow},
		"action ? wildcard":                {doc(stmt("Allow", `"*"`, `"s3:PutObjec?"`, `"*"`, "")), put(nil), EvalOptions{}, Allow},
		"NotAction excludes":               {doc(`{"Effect":"Allow","Principal":"*","NotAction":"s3:PutObject","Resource":"*"}`), put(nil), EvalOptions{}, ImplicitDeny},
		"NotAction includes others":        {doc(`{"Effect":"Allow","Principal":"*","NotAction":"s3:Get*","Resource":"*"}`), put(nil), EvalOptions{}, Allow},
		// Resource: wildcards, case-sensitive; NotResource.
		"resource wildcard":     {doc(stmt("Allow", `"*"`, `"s3:*"`, `"arn:aws:s3:::media-*/*"`, "")), put(nil), EvalOptions{}, Allow},
		"resource other bucket": {doc(stmt("Allow", `"*"`, `"s3:*"`, `"arn:aws:s3:::other/*"`, "")), put(nil), EvalOptions{}, ImplicitDeny},
		"resource case":         {doc(stmt("Allow", `"*"`, `"s3:*"`, `"arn:aws:s3:::MEDIA-HLS/*"`, "")), put(nil), EvalOptions{}, ImplicitDeny},
		"NotResource":           {doc(`{"Effect":"Allow","Principal":"*","Action":"s3:*","NotResource":"arn:aws:s3:::media-hls/*"}`), put(nil), EvalOptions{}, ImplicitDeny},
		// Unknown operator: an Allow does not grant, a Deny possibly denies.
		"unknown operator allow": {doc(stmt("Allow", `"*"`, `"s3:*"`, `"*"`, `{"StringSortOf":{"k":"v"}}`)), put(nil), EvalOptions{}, ImplicitDeny},
		"unknown operator deny":  {doc(allowAll, stmt("Deny", `"*"`, `"s3:*"`, `"*"`, `{"StringSortOf":{"k":"v"}}`)), put(nil), EvalOptions{}, ExplicitDeny},
		// ...but a known condition that is false decides regardless (conditions are ANDed).
		"unknown and false": {doc(allowAll, stmt("Deny", `"*"`, `"s3:*"`, `"*"`, `{"StringSortOf":{"k":"v"},"StringEquals":{"k2":"v"}}`)), put(nil), EvalOptions{}, Allow},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := mustParse(t, tc.policy)
			if got := d.Explain(tc.req, tc.opt).Decision; got != tc.want {
				t.Errorf("Decision = %v, want %v", got, tc.want)
			}
		})
	}
}

// Principal element: "*" and {"AWS":"*"} match anyone; an ARN as a string, a one-element list or a
// list matches that principal (and a role's sessions); an account principal delegates to IAM.
func TestEvaluatePrincipals(t *testing.T) {
	t.Parallel()
	role := "arn:aws:iam::111122223333:role/path/T"
	tests := map[string]struct {
		principal string
		caller    string
		opt       EvalOptions
		want      Decision
	}{
		"star":                    {`"*"`, role, EvalOptions{}, Allow},
		"star anonymous":          {`"*"`, "", EvalOptions{}, Allow},
		"AWS star":                {`{"AWS":"*"}`, role, EvalOptions{}, Allow},
		"AWS string":              {`{"AWS":"` + role + `"}`, role, EvalOptions{}, Allow},
		"AWS one-element list":    {`{"AWS":["` + role + `"]}`, role, EvalOptions{}, Allow},
		"AWS list":                {`{"AWS":["arn:aws:iam::111122223333:role/Other","` + role + `"]}`, role, EvalOptions{}, Allow},
		"other role":              {`{"AWS":"arn:aws:iam::111122223333:role/Other"}`, role, EvalOptions{}, ImplicitDeny},
		"role session":            {`{"AWS":"` + role + `"}`, "arn:aws:sts::111122223333:assumed-role/T/session1", EvalOptions{}, Allow},
		"other role's session":    {`{"AWS":"` + role + `"}`, "arn:aws:sts::111122223333:assumed-role/U/session1", EvalOptions{}, ImplicitDeny},
		"root delegates":          {`{"AWS":"arn:aws:iam::111122223333:root"}`, role, EvalOptions{}, ImplicitDeny},
		"account id delegates":    {`{"AWS":"111122223333"}`, role, EvalOptions{}, ImplicitDeny},
		"root matches root":       {`{"AWS":"111122223333"}`, "arn:aws:iam::111122223333:root", EvalOptions{}, Allow},
		"root members option":     {`{"AWS":"arn:aws:iam::111122223333:root"}`, role, EvalOptions{AccountPrincipalMatchesMembers: true}, Allow},
		"members of other acct":   {`{"AWS":"arn:aws:iam::111122223333:root"}`, "arn:aws:iam::444455556666:role/T", EvalOptions{AccountPrincipalMatchesMembers: true}, ImplicitDeny},
		"service":                 {`{"Service":"cloudfront.amazonaws.com"}`, "cloudfront.amazonaws.com", EvalOptions{}, Allow},
		"service is not a role":   {`{"Service":"cloudfront.amazonaws.com"}`, role, EvalOptions{}, ImplicitDeny},
		"anonymous not a role":    {`{"AWS":"` + role + `"}`, "", EvalOptions{}, ImplicitDeny},
		"anonymous not a service": {`{"Service":"cloudfront.amazonaws.com"}`, "", EvalOptions{}, ImplicitDeny},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := mustParse(t, doc(stmt("Allow", tc.principal, `"kms:Decrypt"`, `"*"`, "")))
			got := d.Explain(Request{Principal: tc.caller, Action: "kms:Decrypt", Resource: keyARN}, tc.opt).Decision
			if got != tc.want {
				t.Errorf("Decision = %v, want %v", got, tc.want)
			}
		})
	}
	// NotPrincipal listing the role alone leaves the role's sessions (the callers a role ARN stands
	// for) denied: see TestAWSDocumentedExamples for the documented rules.
	np := mustParse(t, doc(`{"Effect":"Deny","NotPrincipal":{"AWS":"`+role+`"},"Action":"kms:*","Resource":"*"}`))
	if got := np.Explain(Request{Principal: role, Action: "kms:Decrypt"}, EvalOptions{}); !got.DenyIsCertain() {
		t.Errorf("NotPrincipal: sessions of the listed role = %+v, want certainly denied", got)
	}
	if got := np.Explain(Request{Principal: "arn:aws:iam::111122223333:role/Other", Action: "kms:Decrypt"}, EvalOptions{}).Decision; got != ExplicitDeny {
		t.Errorf("NotPrincipal: other principal = %v, want ExplicitDeny", got)
	}
}

// Condition operators, one key at a time, present and absent ("Condition operators",
// "Single-valued vs. multivalued context keys").
func TestConditionOperators(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		op     string
		policy []string
		req    []string // nil: key absent
		want   bool
	}{
		"StringEquals absent":              {"StringEquals", []string{"a"}, nil, false},
		"StringNotEquals absent":           {"StringNotEquals", []string{"a"}, nil, true},
		"StringNotEquals same":             {"StringNotEquals", []string{"a"}, []string{"a"}, false},
		"StringNotEquals other":            {"StringNotEquals", []string{"a", "b"}, []string{"c"}, true},
		"StringNotEqualsIgnoreCase absent": {"StringNotEqualsIgnoreCase", []string{"a"}, nil, true},
		"StringNotEqualsIgnoreCase case":   {"StringNotEqualsIgnoreCase", []string{"A"}, []string{"a"}, false},
		"StringLike":                       {"StringLike", []string{"videos/*"}, []string{"videos/x.ts"}, true},
		"StringLike case":                  {"StringLike", []string{"Videos/*"}, []string{"videos/x.ts"}, false},
		"StringNotLike absent":             {"StringNotLike", []string{"videos/*"}, nil, true},
		"StringNotLike match":              {"StringNotLike", []string{"videos/*"}, []string{"videos/a"}, false},
		"StringEqualsIfExists absent":      {"StringEqualsIfExists", []string{"a"}, nil, true},
		"StringNotEqualsIfExists absent":   {"StringNotEqualsIfExists", []string{"a"}, nil, true},
		"StringEqualsIfExists present":     {"StringEqualsIfExists", []string{"a"}, []string{"b"}, false},
		"ArnEquals":                        {"ArnEquals", []string{keyARN}, []string{keyARN}, true},
		"ArnLike wildcard":                 {"ArnLike", []string{"arn:aws:kms:*:111122223333:key/*"}, []string{keyARN}, true},
		"ArnLike per component":            {"ArnLike", []string{"arn:aws:kms:*"}, []string{keyARN}, false},
		"ArnNotEquals absent":              {"ArnNotEquals", []string{keyARN}, nil, true},
		"ArnNotLike absent":                {"ArnNotLike", []string{keyARN}, nil, true},
		"ArnNotLike match":                 {"ArnNotLike", []string{"arn:aws:kms:*:*:key/*"}, []string{keyARN}, false},
		"ArnLikeIfExists absent":           {"ArnLikeIfExists", []string{keyARN}, nil, true},
		"Bool":                             {"Bool", []string{"true"}, []string{"true"}, true},
		"Bool absent":                      {"Bool", []string{"false"}, nil, false},
		"BoolIfExists absent":              {"BoolIfExists", []string{"false"}, nil, true},
		"Null true absent":                 {"Null", []string{"true"}, nil, true},
		"Null true present":                {"Null", []string{"true"}, []string{"x"}, false},
		"Null false present":               {"Null", []string{"false"}, []string{"x"}, true},
		"Null false absent":                {"Null", []string{"false"}, nil, false},
		"NumericLessThan":                  {"NumericLessThan", []string{"10"}, []string{"9.5"}, true},
		"NumericLessThan equal":            {"NumericLessThan", []string{"10"}, []string{"10"}, false},
		"NumericGreaterThanEquals":         {"NumericGreaterThanEquals", []string{"10"}, []string{"10"}, true},
		"NumericEquals bad number":         {"NumericEquals", []string{"10"}, []string{"ten"}, false},
		"NumericNotEquals absent":          {"NumericNotEquals", []string{"10"}, nil, true},
		"DateLessThan":                     {"DateLessThan", []string{"2026-01-01T00:00:00Z"}, []string{"2025-06-01T00:00:00Z"}, true},
		"IpAddress":                        {"IpAddress", []string{"203.0.113.0/24"}, []string{"203.0.113.7"}, true},
		"NotIpAddress absent":              {"NotIpAddress", []string{"203.0.113.0/24"}, nil, true},
		"ForAnyValue absent":               {"ForAnyValue:StringEquals", []string{"a"}, nil, false},
		"ForAnyValue one matches":          {"ForAnyValue:StringEquals", []string{"a"}, []string{"b", "a"}, true},
		"ForAnyValue negated absent":       {"ForAnyValue:StringNotEquals", []string{"a"}, nil, false},
		"ForAllValues absent":              {"ForAllValues:StringEquals", []string{"a"}, nil, true},
		"ForAllValues all match":           {"ForAllValues:StringLike", []string{"a*", "b"}, []string{"ax", "b"}, true},
		"ForAllValues one does not":        {"ForAllValues:StringEquals", []string{"a"}, []string{"a", "c"}, false},
		"ForAllValues negated":             {"ForAllValues:StringNotEquals", []string{"a"}, []string{"b", "c"}, true},
		"ForAllValues negated one matches": {"ForAllValues:StringNotEquals", []string{"a"}, []string{"a", "c"}, false},
		"multivalued negated without set":  {"StringNotEquals", []string{"a"}, []string{"a", "c"}, false},
		"multivalued positive without set": {"StringEquals", []string{"a"}, []string{"c", "a"}, true},
		// The set operator decides first: ForAnyValue is false for an absent key, IfExists or not
		// (see operator.eval; iam-simulate and AWS agree, sseguard said true before).
		"ForAnyValue IfExists absent":       {"ForAnyValue:StringEqualsIfExists", []string{"a"}, nil, false},
		"ForAnyValue negated IfExists abs":  {"ForAnyValue:StringNotEqualsIfExists", []string{"a"}, nil, false},
		"ForAllValues negated ifexists abs": {"ForAllValues:StringNotLikeIfExists", []string{"a"}, nil, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := map[string][]string{}
			if tc.req != nil {
				ctx["some:key"] = tc.req
			}
			got, why := evalConditions(map[string]map[string][]string{tc.op: {"Some:Key": tc.policy}}, ctx, false)
			if got == unknown {
				t.Fatalf("operator %s not judged: %s", tc.op, why)
			}
			if (got == yes) != tc.want {
				t.Errorf("%s %v against %v = %v, want %v", tc.op, tc.policy, tc.req, got == yes, tc.want)
			}
		})
	}
	for _, op := range []string{"StringSortOf", "NullIfExists", "ForSomeValues:StringEquals", "stringequals"} {
		if o, ok := parseOperator(op); ok {
			t.Errorf("parseOperator(%q) = %+v, want unknown", op, o)
		}
	}
}

func TestExplainNamesStatements(t *testing.T) {
	t.Parallel()
	d := mustParse(t, readFixture(t, "bucket-policy-classic-mistake.json"))
	res := d.Explain(Request{Principal: "arn:aws:iam::111122223333:role/Anyone", Action: "s3:PutObject", Resource: "arn:aws:s3:::media-hls/x"}, EvalOptions{})
	if got := refsString(res.Denied); got != `"DenyIncorrectEncryptionHeader", "DenyUnencryptedObjectUploads"` {
		t.Errorf("Denied = %s", got)
	}
	if res.Decision.String() != "ExplicitDeny" {
		t.Errorf("Decision = %s", res.Decision)
	}
	unk := mustParse(t, doc(stmt("Deny", `"*"`, `"s3:*"`, `"*"`, `{"StringSortOf":{"k":"v"}}`)))
	res = unk.Explain(Request{Action: "s3:GetObject"}, EvalOptions{})
	if res.DenyIsCertain() || len(res.MaybeDenied) != 1 || len(res.Warnings) != 1 {
		t.Errorf("unknown operator: %+v", res)
	}
	var nilDoc *Document
	if nilDoc.Explain(Request{Action: "s3:GetObject"}, EvalOptions{}).Decision != ImplicitDeny {
		t.Error("nil document should allow nothing")
	}
}

func TestGlob(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*", "a", true}, {"*a", "*ba", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"kms:ReEncrypt*", "kms:ReEncryptFrom", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
		{"", "", true}, {"", "a", false}, {"ünï*", "ünïcode", true},
	} {
		if got := Glob(tc.p, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.p, tc.s, got, tc.want)
		}
	}
}
