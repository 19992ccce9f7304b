package iampolicy

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Statement by statement: an Allow of key use or management to outsiders, under conditions an
// outsider can meet, is a blocker naming its Sid; conditions that pin the caller to the home and
// trusted accounts close it.
func TestCheckKeyPolicyOutsiders(t *testing.T) {
	t.Parallel()
	const other = "444455556666"
	base := []string{
		stmt("Allow", `{"AWS":"arn:aws:iam::111122223333:root"}`, `"kms:*"`, `"*"`, ""),
		stmt("Allow", `{"AWS":"`+keyAdmin+`"}`, `["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:TagResource","kms:UntagResource","kms:CancelKeyDeletion","kms:RotateKeyOnDemand"]`, `"*"`, ""),
		stmt("Deny", `{"AWS":"`+keyAdmin+`"}`, `["kms:Delete*","kms:ScheduleKeyDeletion"]`, `"*"`, ""),
		stmt("Allow", `{"AWS":"`+transcoder+`"}`, `["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"]`, `"*"`, ""),
		stmt("Allow", `{"AWS":"`+transcoder+`"}`, `["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"]`, `"*"`, `{"Bool":{"kms:GrantIsForAWSResource":true}}`),
	}
	sid := func(s string) string { return `{"Sid":"Under test",` + s[1:] }
	star := func(action, cond string) string { return sid(stmt("Allow", `"*"`, action, `"*"`, cond)) }
	tests := map[string]struct {
		extra   []string
		trusted []string
		want    []string
	}{
		"star":                               {[]string{star(`"kms:Decrypt"`, "")}, nil, []string{CodePublicKey}},
		"AWS star, kms:*":                    {[]string{sid(stmt("Allow", `{"AWS":"*"}`, `"kms:*"`, `"*"`, ""))}, nil, []string{CodePublicKey}},
		"another account":                    {[]string{sid(stmt("Allow", `{"AWS":"`+other+`"}`, `"kms:Decrypt"`, `"*"`, ""))}, nil, []string{CodeOutsiderKey}},
		"a role of another account":          {[]string{sid(stmt("Allow", `{"AWS":"arn:aws:iam::`+other+`:role/X"}`, `"kms:Encrypt"`, `"*"`, ""))}, nil, []string{CodeOutsiderKey}},
		"a trusted account":                  {[]string{sid(stmt("Allow", `{"AWS":"arn:aws:iam::`+other+`:role/X"}`, `"kms:Encrypt"`, `"*"`, ""))}, []string{other}, nil},
		"management by another account":      {[]string{sid(stmt("Allow", `{"AWS":"arn:aws:iam::`+other+`:root"}`, `"kms:PutKeyPolicy"`, `"*"`, ""))}, nil, []string{CodeOutsiderKey}},
		"reading is not use":                 {[]string{sid(stmt("Allow", `{"AWS":"arn:aws:iam::`+other+`:role/Audit"}`, `["kms:Describe*","kms:Get*","kms:List*"]`, `"*"`, ""))}, nil, nil},
		"wildcard ARN":                       {[]string{sid(stmt("Allow", `{"AWS":"arn:aws:iam::*:role/X"}`, `"kms:Decrypt"`, `"*"`, ""))}, nil, []string{CodePublicKey}},
		"NotPrincipal Allow":                 {[]string{sid(`{"Effect":"Allow","NotPrincipal":{"AWS":"` + transcoder + `"},"Action":"kms:Decrypt","Resource":"*"}`)}, nil, []string{CodePublicKey}},
		"deleted principal matches nobody":   {[]string{sid(stmt("Allow", `{"AWS":"AROAKSCDLFT9R5DQP782U"}`, `"kms:Decrypt"`, `"*"`, ""))}, nil, nil},
		"pinned by kms:CallerAccount":        {[]string{star(`"kms:Decrypt"`, `{"StringEquals":{"kms:CallerAccount":"111122223333"}}`)}, nil, nil},
		"pinned by aws:PrincipalAccount":     {[]string{star(`"kms:Decrypt"`, `{"StringEquals":{"AWS:PrincipalAccount":["111122223333","`+other+`"]}}`)}, []string{other}, nil},
		"pinned to an untrusted account too": {[]string{star(`"kms:Decrypt"`, `{"StringEquals":{"aws:PrincipalAccount":["111122223333","`+other+`"]}}`)}, nil, []string{CodePublicKey}},
		"IfExists does not protect":          {[]string{star(`"kms:Decrypt"`, `{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}`)}, nil, []string{CodePublicKey}},
		"negated does not protect":           {[]string{star(`"kms:Decrypt"`, `{"StringNotEquals":{"aws:PrincipalAccount":"`+other+`"}}`)}, nil, []string{CodePublicKey}},
		"PrincipalArn in the home account":   {[]string{star(`"kms:Decrypt"`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}`)}, nil, nil},
		"PrincipalArn with wildcard account": {[]string{star(`"kms:Decrypt"`, `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/X"}}`)}, nil, []string{CodePublicKey}},
		"StringLike wildcard before account": {[]string{star(`"kms:Decrypt"`, `{"StringLike":{"aws:PrincipalArn":"arn:aws:iam:*:111122223333:role/X"}}`)}, nil, []string{CodePublicKey}},
		"organization is not trust":          {[]string{star(`"kms:Decrypt"`, `{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)}, nil, []string{CodePublicKey}},
		"ViaService is not trust":            {[]string{star(`"kms:Decrypt"`, `{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`)}, nil, []string{CodePublicKey}},
		"unknown condition does not protect": {[]string{star(`"kms:Decrypt"`, `{"StringSortOf":{"aws:PrincipalAccount":"111122223333"}}`)}, nil, []string{CodePublicKey, CodeUnjudged}},
		"grants for AWS resources are use":   {[]string{star(`"kms:CreateGrant"`, `{"Bool":{"kms:GrantIsForAWSResource":true}}`)}, nil, []string{CodePublicKey}},
		"one pinning clause among others":    {[]string{star(`"kms:Decrypt"`, `{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}`)}, nil, nil},
		"service without condition":          {[]string{sid(stmt("Allow", `{"Service":"cloudtrail.amazonaws.com"}`, `"kms:GenerateDataKey*"`, `"*"`, ""))}, nil, []string{CodeOutsiderKey}},
		"service pinned by SourceAccount":    {[]string{sid(stmt("Allow", `{"Service":"cloudtrail.amazonaws.com"}`, `"kms:GenerateDataKey*"`, `"*"`, `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`))}, nil, nil},
		"service pinned by SourceArn":        {[]string{sid(stmt("Allow", `{"Service":"cloudfront.amazonaws.com"}`, `"kms:Decrypt"`, `"*"`, `{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}}`))}, nil, nil},
		"service for another account":        {[]string{sid(stmt("Allow", `{"Service":"cloudfront.amazonaws.com"}`, `"kms:Decrypt"`, `"*"`, `{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::`+other+`:distribution/X"}}`))}, nil, []string{CodeOutsiderKey}},
		"another key's statement":            {[]string{sid(stmt("Allow", `"*"`, `"kms:Decrypt"`, `"arn:aws:kms:us-east-1:111122223333:key/other"`, ""))}, nil, nil},
		"closed by a Deny to outsiders": {[]string{star(`"kms:Decrypt"`, ""),
			stmt("Deny", `"*"`, `"kms:*"`, `"*"`, `{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}`)}, nil, nil},
		"a Deny with another condition does not close": {[]string{star(`"kms:Decrypt"`, ""),
			stmt("Deny", `"*"`, `"kms:*"`, `"*"`, `{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"},"Bool":{"aws:SecureTransport":"false"}}`)}, nil, []string{CodePublicKey}},
		"a Deny leaving another account open does not close": {[]string{star(`"kms:Decrypt"`, ""),
			stmt("Deny", `"*"`, `"kms:*"`, `"*"`, `{"StringNotEquals":{"aws:PrincipalAccount":["111122223333","`+other+`"]}}`)}, nil, []string{CodePublicKey}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			req := keyReq
			req.TrustedAccounts = tc.trusted
			fs := CheckKeyPolicy(mustParse(t, doc(append(slices.Clone(base), tc.extra...)...)), req)
			if diff := cmp.Diff(tc.want, codes(fs)); diff != "" {
				t.Fatalf("codes (-want +got):\n%s\nfindings: %+v", diff, fs)
			}
			for _, f := range fs {
				if f.Code == CodeUnjudged {
					continue
				}
				if !f.Blocker || f.Sid != `"Under test"` || !strings.Contains(f.Message, `"Under test"`) || len(f.Actions) == 0 {
					t.Errorf("finding does not name the statement as a blocker: %+v", f)
				}
			}
		})
	}
}

func TestDeletedPrincipals(t *testing.T) {
	t.Parallel()
	d := mustParse(t, doc(
		`{"Sid":"Old","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/AROAKSCDLFT9R5DQP782U","AROAKSCDLFT9R5DQP782U"]},"Action":"kms:Decrypt","Resource":"*"}`,
		stmt("Allow", `{"AWS":"AROAX"}`, `"kms:Decrypt"`, `"*"`, ""),
		`{"Effect":"Deny","NotPrincipal":{"AWS":["AIDAJQABLZS4A3QDU576Q","111122223333"]},"Action":"kms:*","Resource":"*"}`,
		stmt("Allow", `{"Service":"AROAKSCDLFT9R5DQP782U"}`, `"kms:Decrypt"`, `"*"`, ""),
	))
	want := []DeletedPrincipal{
		{Statement: StatementRef{Index: 0, Sid: "Old"}, Element: "Principal", Value: "AROAKSCDLFT9R5DQP782U"},
		{Statement: StatementRef{Index: 2}, Element: "NotPrincipal", Value: "AIDAJQABLZS4A3QDU576Q"},
	}
	if diff := cmp.Diff(want, DeletedPrincipals(d)); diff != "" {
		t.Errorf("DeletedPrincipals (-want +got):\n%s", diff)
	}
	if got := DeletedPrincipals(nil); got != nil {
		t.Errorf("nil document: %v", got)
	}
	if got := DeletedPrincipals(KeyPolicy(keySpec)); got != nil {
		t.Errorf("sseguard's own policy: %v", got)
	}
}

func TestPrincipalInAccounts(t *testing.T) {
	t.Parallel()
	accounts := []string{"111122223333", "444455556666"}
	for p, want := range map[string]bool{
		"arn:aws:iam::111122223333:role/T":           true,
		"arn:aws-cn:iam::444455556666:user/U":        true,
		"arn:aws:sts::111122223333:assumed-role/T/s": true,
		"arn:aws:iam::111122223333:root":             true,
		"111122223333":                               true,
		"arn:aws:iam::999999999999:role/T":           false,
		"999999999999":                               false,
		"arn:aws:iam::*:role/T":                      false,
		"arn:aws:s3:::111122223333":                  false,
		"arn:aws:kms:us-east-1:111122223333:key/k":   false,
		"cloudfront.amazonaws.com":                   false,
		"*":                                          false,
		"":                                           false,
		"arn:aws:iam::11112222333:role/T":            false,
	} {
		if got := PrincipalInAccounts(p, accounts); got != want {
			t.Errorf("PrincipalInAccounts(%q) = %v, want %v", p, got, want)
		}
	}
}
