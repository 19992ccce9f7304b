package iampolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	readerBucket = "arn:aws:s3:::media-hls"
	partner      = "444455556666"
	partnerRole  = "arn:aws:iam::444455556666:role/Player"
)

func TestBucketReaders(t *testing.T) {
	t.Parallel()
	objects := `"` + readerBucket + `/*"`
	type reader struct {
		Principal   string
		Kind        ReaderKind
		Read, Write bool
		Statements  string
	}
	for name, tc := range map[string]struct {
		policy string
		want   []reader
	}{
		"another account's role, by ARN": {doc(stmt("Allow", `{"AWS":"`+partnerRole+`"}`, `"s3:GetObject"`, objects, "")),
			[]reader{{partnerRole, ReaderPrincipal, true, false, "statement #1"}}},
		"an account id is its root": {doc(stmt("Allow", `{"AWS":"`+partner+`"}`, `"s3:*"`, `["`+readerBucket+`","`+readerBucket+`/*"]`, "")),
			[]reader{{"arn:aws:iam::444455556666:root", ReaderAccount, true, false, "statement #1"}}},
		"the home account is not a reader":                 {doc(stmt("Allow", `{"AWS":["arn:aws:iam::111122223333:role/App","111122223333"]}`, `"s3:GetObject"`, objects, "")), nil},
		"a grant on the bucket alone is not object access": {doc(stmt("Allow", `{"AWS":"`+partnerRole+`"}`, `"s3:*"`, `"`+readerBucket+`"`, "")), nil},
		"s3:Get* covers GetObject": {doc(stmt("Allow", `{"AWS":"`+partnerRole+`"}`, `"s3:Get*"`, `"`+readerBucket+`/videos/*"`, "")),
			[]reader{{partnerRole, ReaderPrincipal, true, false, "statement #1"}}},
		"listing only is no reader": {doc(stmt("Allow", `{"AWS":"`+partnerRole+`"}`, `"s3:ListBucket"`, objects, "")), nil},
		"everyone": {doc(stmt("Allow", `"*"`, `"s3:GetObject"`, objects, "")),
			[]reader{{"*", ReaderPublic, true, false, "statement #1"}}},
		"everyone in the home account only": {doc(stmt("Allow", `"*"`, `"s3:GetObject"`, objects, `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`)), nil},
		"log delivery writes": {doc(stmt("Allow", `{"Service":"logging.s3.amazonaws.com"}`, `"s3:PutObject"`, objects, `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`)),
			[]reader{{"logging.s3.amazonaws.com", ReaderService, false, true, "statement #1"}}},
		"an origin access identity, both ways": {doc(
			stmt("Allow", `{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"}`, `"s3:GetObject"`, objects, ""),
			stmt("Allow", `{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}`, `"s3:GetObject"`, objects, "")),
			[]reader{{"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", ReaderOAI, true, false, "statement #2"},
				{"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL", ReaderOAI, true, false, "statement #1"}}},
		"access points of another account": {doc(stmt("Allow", `{"AWS":"*"}`, `"*"`, objects, `{"StringEquals":{"s3:DataAccessPointAccount":"444455556666"}}`)),
			[]reader{{"arn:aws:iam::444455556666:root", ReaderAccessPoint, true, false, "statement #1"}}},
		"a named access point of the home account is not a reader": {doc(stmt("Allow", `{"AWS":"*"}`, `"*"`, objects, `{"StringEquals":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:111122223333:accesspoint/app"}}`)), nil},
		"a named access point of another account": {doc(stmt("Allow", `{"AWS":"*"}`, `"s3:GetObject"`, objects, `{"ArnEquals":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:444455556666:accesspoint/partner"}}`)),
			[]reader{{"arn:aws:s3:us-east-1:444455556666:accesspoint/partner", ReaderAccessPoint, true, false, "statement #1"}}},
		"a deny is no grant": {doc(stmt("Deny", `{"AWS":"`+partnerRole+`"}`, `"s3:GetObject"`, objects, "")), nil},
		"one reader, two statements": {doc(
			`{"Sid":"PartnerRead","Effect":"Allow","Principal":{"AWS":"`+partnerRole+`"},"Action":"s3:GetObject","Resource":`+objects+`}`,
			stmt("Allow", `{"AWS":"`+partnerRole+`"}`, `"s3:GetObjectVersion"`, objects, ""),
			stmt("Allow", `{"AWS":"`+partnerRole+`"}`, `["s3:GetObject","s3:PutObject"]`, objects, "")),
			[]reader{{partnerRole, ReaderPrincipal, true, false, `"PartnerRead", statement #3`}}},
		"a deleted principal reads nothing": {doc(stmt("Allow", `{"AWS":"AROAKSCDLFT9R5DQP782U"}`, `"s3:GetObject"`, objects, "")), nil},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var got []reader
			for _, r := range BucketReaders(mustParse(t, tc.policy), readerBucket, acct) {
				got = append(got, reader{r.Principal, r.Kind, r.Read, r.Write, refsString(r.Statements)})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("readers (-want +got):\n%s", diff)
			}
		})
	}
	if BucketReaders(nil, readerBucket, acct) != nil {
		t.Error("no bucket policy: readers")
	}
}

func TestReaderKeyUse(t *testing.T) {
	t.Parallel()
	root := stmt("Allow", `{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, `"*"`, "")
	bucketPolicy := func(principal, action, cond string) Reader {
		rs := BucketReaders(mustParse(t, doc(stmt("Allow", principal, action, `"`+readerBucket+`/*"`, cond))), readerBucket, acct)
		if len(rs) != 1 {
			t.Fatalf("readers %+v", rs)
		}
		return rs[0]
	}
	role := bucketPolicy(`{"AWS":"`+partnerRole+`"}`, `"s3:GetObject"`, "")
	account := bucketPolicy(`{"AWS":"`+partner+`"}`, `"s3:GetObject"`, "")
	logs := bucketPolicy(`{"Service":"logging.s3.amazonaws.com"}`, `"s3:PutObject"`, `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`)
	oai := bucketPolicy(`{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"}`, `"s3:GetObject"`, "")
	public := bucketPolicy(`"*"`, `"s3:GetObject"`, "")
	readersStmt := `{"Sid":"SseguardKeyReaders","Effect":"Allow","Principal":{"AWS":"` + partnerRole + `"},"Action":"kms:Decrypt","Resource":"*",` +
		`"Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}}`
	for name, tc := range map[string]struct {
		r      Reader
		policy string
		ok     bool
	}{
		"no grant":                                   {role, doc(root), false},
		"the home root statement is not it":          {account, doc(root), false},
		"sseguard's readers statement":               {role, doc(root, readersStmt), true},
		"its account, delegating to its IAM":         {role, doc(root, stmt("Allow", `{"AWS":"arn:aws:iam::444455556666:root"}`, `"kms:Decrypt"`, `"*"`, "")), true},
		"a role grant does not cover the account":    {account, doc(root, stmt("Allow", `{"AWS":"`+partnerRole+`"}`, `"kms:Decrypt"`, `"*"`, "")), false},
		"through another service only":               {role, doc(root, stmt("Allow", `{"AWS":"`+partnerRole+`"}`, `"kms:Decrypt"`, `"*"`, `{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}`)), false},
		"decrypt alone does not let a service write": {logs, doc(root, stmt("Allow", `{"Service":"logging.s3.amazonaws.com"}`, `"kms:Decrypt"`, `"*"`, "")), false},
		"a service may write for the home account":   {logs, doc(root, stmt("Allow", `{"Service":"logging.s3.amazonaws.com"}`, `"kms:GenerateDataKey*"`, `"*"`, `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`)), true},
		"a service pinned to another account":        {logs, doc(root, stmt("Allow", `{"Service":"logging.s3.amazonaws.com"}`, `"kms:GenerateDataKey*"`, `"*"`, `{"StringEquals":{"aws:SourceAccount":"999988887777"}}`)), false},
		"an origin access identity never":            {oai, doc(root, stmt("Allow", `"*"`, `"kms:*"`, `"*"`, "")), false},
		"everyone only when the key is public":       {public, doc(root), false},
		"a deny wins":                                {role, doc(root, readersStmt, stmt("Deny", `{"AWS":"arn:aws:iam::444455556666:root"}`, `"kms:*"`, `"*"`, "")), false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			v := tc.r.KeyUse(mustParse(t, tc.policy), keyARN, readerBucket, true)
			if v.OK != tc.ok || (v.OK != (v.Why == "")) {
				t.Errorf("verdict %+v, want ok=%v", v, tc.ok)
			}
		})
	}
}

func TestReadersStatementAndCheck(t *testing.T) {
	t.Parallel()
	if _, ok := ReadersStatement("aws", "us-east-1", nil); ok {
		t.Error("no readers: a statement")
	}
	s, _ := ReadersStatement("aws-cn", "cn-north-1", []string{partnerRole, "arn:aws-cn:iam::444455556666:root", partnerRole})
	if got := s.Condition["StringEquals"][KeyViaService]; len(got) != 1 || got[0] != "s3.cn-north-1.amazonaws.com.cn" {
		t.Errorf("via service %v", got)
	}
	if len(s.Principal.AWS) != 2 || s.Sid != SidKeyReaders || !s.Owned() {
		t.Errorf("statement %+v", s)
	}

	root := stmt("Allow", `{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, `"*"`, "")
	req := KeyRequirements{Account: acct, KeyARN: keyARN, TrustedAccounts: []string{partner}, Readers: []string{partnerRole}, Region: "us-east-1"}
	codes := func(fs []Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Code)
		}
		return out
	}
	if got := codes(CheckKeyPolicy(mustParse(t, doc(root)), req)); !cmp.Equal(got, []string{CodeReaderMissing}) {
		t.Errorf("without the grant: %v", got)
	}
	spec := KeyPolicySpec{Account: acct, Readers: []string{partnerRole}, Region: "us-east-1"}
	merged := Merge(mustParse(t, doc(root)), KeyStatements(spec))
	if got := codes(CheckKeyPolicy(merged, req)); len(got) != 0 {
		t.Errorf("after merging sseguard's statements: %v", got)
	}
	if ReadersStale(merged, spec) {
		t.Error("the statement just written is stale")
	}
	if !ReadersStale(merged, KeyPolicySpec{Account: acct, Region: "us-east-1"}) {
		t.Error("a readers statement nobody asks for is not stale")
	}
	// A grant through another service does not let S3 decrypt for the reader.
	viaEC2 := stmt("Allow", `{"AWS":"`+partnerRole+`"}`, `"kms:Decrypt"`, `"*"`, `{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}`)
	if got := codes(CheckKeyPolicy(mustParse(t, doc(root, viaEC2)), req)); !cmp.Equal(got, []string{CodeReaderMissing}) {
		t.Errorf("through EC2 only: %v", got)
	}
}
