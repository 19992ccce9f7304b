package iampolicy

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustParse(t *testing.T, src string) *Document {
	t.Helper()
	d, err := Parse(src)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		src  string
		want string
	}{
		"not json":         {`{"Version":`, "not a JSON object"},
		"array":            {`[]`, "not a JSON object"},
		"null":             {`null`, "not a JSON object"},
		"no statement":     {`{"Version":"2012-10-17"}`, "no Statement"},
		"bad version":      {`{"Version":"2020-01-01","Statement":[]}`, "Version"},
		"unknown top":      {`{"Statement":[],"Foo":1}`, `unknown element "Foo"`},
		"statement string": {`{"Statement":"x"}`, "object or a list"},
		"effect missing":   {`{"Statement":{"Principal":"*","Action":"s3:*","Resource":"*"}}`, "Effect is missing"},
		"effect bad":       {`{"Statement":{"Sid":"X","Effect":"allow","Principal":"*","Action":"s3:*","Resource":"*"}}`, `statement 1 ("X"): Effect "allow"`},
		"no principal":     {`{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}`, "Principal"},
		"principal string": {`{"Statement":{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"s3:*","Resource":"*"}}`, `must be "*"`},
		"principal type":   {`{"Statement":{"Effect":"Allow","Principal":{"Bogus":"x"},"Action":"s3:*","Resource":"*"}}`, "unknown principal type"},
		"both actions":     {`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","NotAction":"s3:Get*","Resource":"*"}}`, "both Action and NotAction"},
		"no action":        {`{"Statement":{"Effect":"Allow","Principal":"*","Resource":"*"}}`, "Action (or NotAction) is missing"},
		"empty action":     {`{"Statement":{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}}`, "empty list"},
		"no resource":      {`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*"}}`, "Resource"},
		"action number":    {`{"Statement":{"Effect":"Allow","Principal":"*","Action":1,"Resource":"*"}}`, "string or a list"},
		"condition shape":  {`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":"x"}}}`, "Condition operator"},
		"condition null":   {`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Condition":{"Bool":{"k":null}}}}`, "string, boolean or number"},
		"unknown element":  {`{"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*","Extra":1}}`, `unknown element "Extra"`},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.src)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseShapes(t *testing.T) {
	t.Parallel()
	d := mustParse(t, `{
	  "Statement": {
	    "Effect": "Allow",
	    "Principal": {"AWS": "arn:aws:iam::111122223333:role/A", "Service": ["s3.amazonaws.com"]},
	    "Action": "kms:Decrypt",
	    "Resource": ["*"],
	    "Condition": {"NumericLessThan": {"kms:X": 5}, "Bool": {"aws:SecureTransport": [true, "false"]}}
	  }
	}`)
	want := Statement{
		Effect:    "Allow",
		Principal: &Principal{AWS: []string{"arn:aws:iam::111122223333:role/A"}, Service: []string{"s3.amazonaws.com"}},
		Action:    []string{"kms:Decrypt"},
		Resource:  []string{"*"},
		Condition: map[string]map[string][]string{
			"NumericLessThan": {"kms:X": {"5"}},
			"Bool":            {"aws:SecureTransport": {"true", "false"}},
		},
	}
	if diff := cmp.Diff(want, d.Statements[0], cmp.AllowUnexported(Statement{}), cmp.FilterPath(func(p cmp.Path) bool {
		n := p.Last().String()
		return n == ".raw" || n == ".fingerprint"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("statement (-want +got):\n%s", diff)
	}
}

// A policy written in the same layout as JSON's output comes back byte for byte, and foreign
// statements keep their spelling (key order, the boolean true) even after the document changes.
func TestJSONKeepsForeignStatementsVerbatim(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"console-default-key-policy.json", "key-policy-cloudfront-audit.json", "bucket-policy-cloudfront-oac.json"} {
		src := readFixture(t, name)
		got, err := mustParse(t, src).JSON()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(src, got); diff != "" {
			t.Errorf("%s: JSON() differs from the source (-src +got):\n%s", name, diff)
		}
	}
}

func TestJSONRendersChangedStatements(t *testing.T) {
	t.Parallel()
	d := mustParse(t, readFixture(t, "console-default-key-policy.json"))
	d.Statements[2].Action = []string{"kms:Decrypt"}
	got, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	back := mustParse(t, got)
	if diff := cmp.Diff([]string{"kms:Decrypt"}, back.Statements[2].Action); diff != "" {
		t.Errorf("edited statement not rendered from its fields:\n%s", diff)
	}
	if !strings.Contains(got, `"kms:GrantIsForAWSResource": true`) {
		t.Errorf("untouched statement lost its original spelling:\n%s", got)
	}
}

func TestJSONOfBuiltPolicyParsesBack(t *testing.T) {
	t.Parallel()
	d := KeyPolicy(KeyPolicySpec{Account: "111122223333", Administrators: []string{"arn:aws:iam::111122223333:role/KeyAdmin"}, Users: []string{"arn:aws:iam::111122223333:role/T"}})
	s1, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	s2, err := mustParse(t, s1).JSON()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s1, s2); diff != "" {
		t.Errorf("render → parse → render is not stable:\n%s", diff)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"console-default-key-policy.json", "key-policy-cloudfront-audit.json", "bucket-policy-cloudfront-oac.json", "bucket-policy-classic-mistake.json"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`{"Statement":{"Effect":"Deny","Principal":"*","NotAction":"s3:Get?","NotResource":"*","Condition":{"ForAllValues:StringLikeIfExists":{"k":["*",1,true]},"Weird:Op":{"k":"v"}}}}`)
	f.Add(`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::1:assumed-role/X/s","AROAKSCDLFT9R5DQP782U","111122223333"]},"Action":"*","Resource":"*"},{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:role/X","Service":"s"},"Action":"kms:*","Resource":"*","Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:*"}}}]}`)
	f.Fuzz(func(t *testing.T, src string) {
		d, err := Parse(src)
		if err != nil {
			return
		}
		out, err := d.JSON()
		if err != nil {
			t.Fatalf("JSON of a parsed document: %v", err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("rendered document does not parse: %v\n%s", err, out)
		}
		d.Explain(Request{Principal: "arn:aws:iam::111122223333:role/X", Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k",
			Context: map[string][]string{"k": {"v"}, "aws:SecureTransport": {"false"}}}, EvalOptions{AccountPrincipalMatchesMembers: true})
		d.Explain(Request{Principal: "arn:aws:sts::111122223333:assumed-role/X/s", Action: "kms:Decrypt", Resource: "*"}, EvalOptions{})
		CheckKeyPolicy(d, KeyRequirements{Account: "111122223333", Users: []string{"arn:aws:iam::111122223333:role/X"}, Administrators: []string{"arn:aws:iam::111122223333:role/A"}, TrustedAccounts: []string{"444455556666"}})
		CheckBucketPolicy(d, BucketSpec{Bucket: "b", Algorithm: AlgorithmKMS, KeyARN: "arn:aws:kms:us-east-1:111122223333:key/k", KeyNames: []string{"alias/k"}, EnforceOnUpload: true, RequireTLS: true})
		DeletedPrincipals(d)
		d.Grants()
		Diff(d, Merge(d, BucketStatements(BucketSpec{Bucket: "b", Algorithm: AlgorithmAES256, EnforceOnUpload: true})))
	})
}
