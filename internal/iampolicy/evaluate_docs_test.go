package iampolicy

import "testing"

// The pages the examples below come from.
const (
	pageEvaluation   = "Policy evaluation logic, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
	pagePrincipal    = "AWS JSON policy elements: Principal, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
	pageNotPrincipal = "AWS JSON policy elements: NotPrincipal, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
)

// outcome is a Decision, with ExplicitDeny split by whether the Deny could be fully judged.
type outcome string

const (
	outAllow       outcome = "Allow"
	outImplicit    outcome = "ImplicitDeny"
	outDenied      outcome = "Denied"      // ExplicitDeny by a statement that certainly applies
	outMaybeDenied outcome = "MaybeDenied" // ExplicitDeny only by statements that might apply
)

func outcomeOf(r Result) outcome {
	switch {
	case r.DenyIsCertain():
		return outDenied
	case r.Decision == ExplicitDeny:
		return outMaybeDenied
	case r.Decision == Allow:
		return outAllow
	}
	return outImplicit
}

// TestAWSDocumentedExamples evaluates the examples of AWS's IAM pages (each case names its page
// and section) and the cases those pages state in words.
func TestAWSDocumentedExamples(t *testing.T) {
	t.Parallel()
	const (
		carlos     = "arn:aws:iam::123456789012:user/carlossalazar"
		carlosPol  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/carlossalazar"},"Action":"s3:*","Resource":["arn:aws:s3:::carlossalazar/*","arn:aws:s3:::carlossalazar"]}]}`
		reportsPol = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowGetList","Effect":"Allow","Principal":"*","Action":["iam:Get*","iam:List*"],"Resource":"*"},{"Sid":"DenyReports","Effect":"Deny","Principal":"*","Action":"iam:*Report","Resource":"*"}]}`
		role       = "arn:aws:iam::123456789012:role/examplerole"
		session    = "arn:aws:sts::123456789012:assumed-role/examplerole/examplerolesessionname"
		bob        = "arn:aws:iam::444455556666:user/Bob"
		auditRole  = "arn:aws:iam::444455556666:role/cross-account-read-only-role"
		auditApp   = "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app"
		bucketRes  = `["arn:aws:s3:::BUCKETNAME","arn:aws:s3:::BUCKETNAME/*"]`
	)
	allowRole := `{"Effect":"Allow","Principal":{"AWS":"` + role + `"},"Action":"kms:*","Resource":"*"}`
	npDeny := func(listed ...string) string {
		list := ""
		for i, l := range listed {
			if i > 0 {
				list += ","
			}
			list += `"` + l + `"`
		}
		return doc(`{"Effect":"Deny","NotPrincipal":{"AWS":[` + list + `]},"Action":"s3:*","Resource":` + bucketRes + `}`)
	}
	tests := map[string]struct {
		page      string
		policy    string
		principal string
		action    string
		resource  string
		opt       EvalOptions
		want      outcome
	}{
		// "Example identity-based and resource-based policy evaluation": the carlossalazar bucket
		// policy grants Carlos s3:* on his bucket, nothing on carlossalazar-logs.
		"Carlos saves to his bucket":      {pageEvaluation, carlosPol, carlos, "s3:PutObject", "arn:aws:s3:::carlossalazar/f", EvalOptions{}, outAllow},
		"Carlos saves to the logs bucket": {pageEvaluation, carlosPol, carlos, "s3:PutObject", "arn:aws:s3:::carlossalazar-logs/f", EvalOptions{}, outImplicit},
		"another user on Carlos's bucket": {pageEvaluation, carlosPol, "arn:aws:iam::123456789012:user/other", "s3:PutObject", "arn:aws:s3:::carlossalazar/f", EvalOptions{}, outImplicit},
		// "The difference between explicit and implicit denies" (AllowGetList/DenyReports, written
		// here as a resource policy with Principal "*").
		"Get allowed":                    {pageEvaluation, reportsPol, carlos, "iam:GetUser", "*", EvalOptions{}, outAllow},
		"CreatePolicy implicitly denied": {pageEvaluation, reportsPol, carlos, "iam:CreatePolicy", "*", EvalOptions{}, outImplicit},
		"report explicitly denied":       {pageEvaluation, reportsPol, carlos, "iam:GenerateCredentialReport", "*", EvalOptions{}, outDenied},
		"deny wins over Get*":            {pageEvaluation, reportsPol, carlos, "iam:GetOrganizationsAccessReport", "*", EvalOptions{}, outDenied},
		// KMS key policies "must explicitly allow access for principals"; an account principal
		// "delegates authority to the account" (Principal, AWS account principals).
		"account id in Allow delegates":     {pagePrincipal, doc(stmt("Allow", `{"AWS":"123456789012"}`, `"kms:*"`, `"*"`, "")), role, "kms:Decrypt", "*", EvalOptions{}, outImplicit},
		"root ARN in Allow delegates":       {pagePrincipal, doc(stmt("Allow", `{"AWS":"arn:aws:iam::123456789012:root"}`, `"kms:*"`, `"*"`, "")), session, "kms:Decrypt", "*", EvalOptions{}, outImplicit},
		"root ARN in Allow allows the root": {pagePrincipal, doc(stmt("Allow", `{"AWS":"123456789012"}`, `"kms:*"`, `"*"`, "")), "arn:aws:iam::123456789012:root", "kms:Decrypt", "*", EvalOptions{}, outAllow},
		"delegation counted when asked":     {pagePrincipal, doc(stmt("Allow", `{"AWS":"arn:aws:iam::123456789012:root"}`, `"kms:*"`, `"*"`, "")), role, "kms:Decrypt", "*", EvalOptions{AccountPrincipalMatchesMembers: true}, outAllow},
		// "Using the account ARN in the Principal element does not limit permissions to only the
		// root user": in a Deny, both forms cover every identity of the account.
		"account id in Deny covers a role":  {pagePrincipal, doc(allowRole, stmt("Deny", `{"AWS":"123456789012"}`, `"kms:Decrypt"`, `"*"`, "")), role, "kms:Decrypt", "*", EvalOptions{}, outDenied},
		"root ARN in Deny covers a session": {pagePrincipal, doc(allowRole, stmt("Deny", `{"AWS":"arn:aws:iam::123456789012:root"}`, `"kms:Decrypt"`, `"*"`, "")), session, "kms:Decrypt", "*", EvalOptions{}, outDenied},
		"root ARN in Deny covers a user":    {pagePrincipal, doc(stmt("Deny", `{"AWS":"arn:aws:iam::123456789012:root"}`, `"s3:*"`, `"*"`, "")), carlos, "s3:GetObject", "*", EvalOptions{}, outDenied},
		"Deny of another account":           {pagePrincipal, doc(allowRole, stmt("Deny", `{"AWS":"555555555555"}`, `"kms:Decrypt"`, `"*"`, "")), session, "kms:Decrypt", "*", EvalOptions{}, outAllow},
		"principals in an array are ORed":   {pagePrincipal, doc(stmt("Deny", `{"AWS":["123456789012","555555555555"]}`, `"s3:*"`, `"*"`, "")), "arn:aws:iam::555555555555:role/R", "s3:GetObject", "*", EvalOptions{}, outDenied},
		// IAM role principals and role sessions: a role ARN covers its sessions; a session ARN
		// names one session ("Principals must always name a specific session").
		"role ARN allows its session":         {pagePrincipal, doc(allowRole), session, "kms:Decrypt", "*", EvalOptions{}, outAllow},
		"session ARN allows that session":     {pagePrincipal, doc(stmt("Allow", `{"AWS":"`+session+`"}`, `"kms:*"`, `"*"`, "")), session, "kms:Decrypt", "*", EvalOptions{}, outAllow},
		"session ARN not another session":     {pagePrincipal, doc(stmt("Allow", `{"AWS":"`+session+`"}`, `"kms:*"`, `"*"`, "")), "arn:aws:sts::123456789012:assumed-role/examplerole/other", "kms:Decrypt", "*", EvalOptions{}, outImplicit},
		"session ARN denies one session only": {pagePrincipal, doc(allowRole, stmt("Deny", `{"AWS":"`+session+`"}`, `"kms:*"`, `"*"`, "")), role, "kms:Decrypt", "*", EvalOptions{}, outMaybeDenied},
		// All principals: "*" and {"AWS": "*"} are equivalent and include anonymous users.
		"star allows anonymous":              {pagePrincipal, doc(stmt("Allow", `"*"`, `"s3:GetObject"`, `"*"`, "")), "", "s3:GetObject", "*", EvalOptions{}, outAllow},
		"AWS star allows anonymous":          {pagePrincipal, doc(stmt("Allow", `{"AWS":"*"}`, `"s3:GetObject"`, `"*"`, "")), "", "s3:GetObject", "*", EvalOptions{}, outAllow},
		"no partial wildcard in a principal": {pagePrincipal, doc(stmt("Allow", `{"AWS":"arn:aws:iam::*:role/examplerole"}`, `"kms:*"`, `"*"`, "")), role, "kms:Decrypt", "*", EvalOptions{}, outImplicit},
		// UsePrincipalArnInsteadOfNotPrincipalWithDeny.
		"PrincipalArn deny spares the user": {pagePrincipal, doc(`{"Sid":"UsePrincipalArnInsteadOfNotPrincipalWithDeny","Effect":"Deny","Action":"s3:*","Principal":"*","Resource":` + bucketRes + `,"Condition":{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:user/user-name"}}}`), "arn:aws:iam::444455556666:user/user-name", "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outImplicit},
		"PrincipalArn deny denies others":   {pagePrincipal, doc(`{"Sid":"UsePrincipalArnInsteadOfNotPrincipalWithDeny","Effect":"Deny","Action":"s3:*","Principal":"*","Resource":` + bucketRes + `,"Condition":{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:user/user-name"}}}`), bob, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outDenied},
		// NotPrincipal with Deny, "IAM user in the same or a different account".
		"Bob and his account listed: Bob spared":    {pageNotPrincipal, npDeny(bob, "arn:aws:iam::444455556666:root"), bob, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outImplicit},
		"Bob and his account listed: Alice denied":  {pageNotPrincipal, npDeny(bob, "arn:aws:iam::444455556666:root"), "arn:aws:iam::444455556666:user/Alice", "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outDenied},
		"Bob and his account listed: root spared":   {pageNotPrincipal, npDeny(bob, "arn:aws:iam::444455556666:root"), "arn:aws:iam::444455556666:root", "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outImplicit},
		"Bob and his account listed: others denied": {pageNotPrincipal, npDeny(bob, "arn:aws:iam::444455556666:root"), carlos, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outDenied},
		"Bob without his account: might be denied":  {pageNotPrincipal, npDeny(bob), bob, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outMaybeDenied},
		"account listed alone: its users denied":    {pageNotPrincipal, npDeny("444455556666"), bob, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outDenied},
		// NotPrincipal with Deny, "IAM role in the same or different account".
		"session, role and account listed: session spared": {pageNotPrincipal, npDeny(auditApp, auditRole, "arn:aws:iam::444455556666:root"), auditApp, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outImplicit},
		"session, role and account listed: other session":  {pageNotPrincipal, npDeny(auditApp, auditRole, "arn:aws:iam::444455556666:root"), "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/other", "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outDenied},
		"session, role and account listed: any session":    {pageNotPrincipal, npDeny(auditApp, auditRole, "arn:aws:iam::444455556666:root"), auditRole, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outMaybeDenied},
		"role missing: might deny the session":             {pageNotPrincipal, npDeny(auditApp, "arn:aws:iam::444455556666:root"), auditApp, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outMaybeDenied},
		"account missing: might deny the session":          {pageNotPrincipal, npDeny(auditApp, auditRole), auditApp, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outMaybeDenied},
		"session missing: the session is denied":           {pageNotPrincipal, npDeny(auditRole, "arn:aws:iam::444455556666:root"), auditApp, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outDenied},
		"session missing: every session of the role":       {pageNotPrincipal, npDeny(auditRole, "444455556666"), auditRole, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/k", EvalOptions{}, outDenied},
		// NotPrincipal with Allow "allows all principals except the one named ... you might grant
		// access to anonymous (unauthenticated) users".
		"NotPrincipal Allow grants anonymous": {pageNotPrincipal, doc(`{"Effect":"Allow","NotPrincipal":{"AWS":"` + bob + `"},"Action":"s3:GetObject","Resource":"*"}`), "", "s3:GetObject", "*", EvalOptions{}, outAllow},
		"NotPrincipal Allow spares the named": {pageNotPrincipal, doc(`{"Effect":"Allow","NotPrincipal":{"AWS":["` + bob + `","444455556666"]},"Action":"s3:GetObject","Resource":"*"}`), bob, "s3:GetObject", "*", EvalOptions{}, outImplicit},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := mustParse(t, tc.policy)
			r := Request{Principal: tc.principal, Action: tc.action, Resource: tc.resource, Context: callerContext(tc.principal, nil)}
			if got := outcomeOf(d.Explain(r, tc.opt)); got != tc.want {
				t.Errorf("%s\n%s: got %s, want %s", tc.page, name, got, tc.want)
			}
		})
	}
}
