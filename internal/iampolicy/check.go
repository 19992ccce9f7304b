package iampolicy

import (
	"fmt"
	"strings"
)

// Finding is one way a policy falls short of what sseguard requires.
type Finding struct {
	Code      string
	Principal string
	Actions   []string
	// Sid names the statement concerned: the one sseguard would add, or the one in the way.
	Sid     string
	Message string
	// Blocker is true when sseguard cannot (or must not) fix it by adding its own statements.
	Blocker bool
	// Exemptions names the statements that deny part of what is required but leave some
	// principals or requests out, so they do not count as enforcement (bucket policy checks).
	Exemptions []Exemption
}

// Exemption is a statement that enforces a protection only in part, and why.
type Exemption struct {
	Statement StatementRef
	// Reasons say in words what the statement leaves out, e.g. "exempts the principals listed in
	// NotPrincipal: arn:aws:iam::111122223333:role/Admin".
	Reasons []string
}

// Finding codes.
const (
	CodeUserMissingUse      = "user-missing-use"
	CodeUserMissingGrant    = "user-missing-grant"
	CodeReaderMissing       = "reader-missing-decrypt"
	CodeUserDenied          = "user-denied"
	CodeAdminMissing        = "admin-missing"
	CodeAdminCanDelete      = "admin-can-delete"
	CodePublicKey           = "public-key"
	CodeOutsiderKey         = "key-open-to-other-account"
	CodeRootMissing         = "root-missing"
	CodeUnjudged            = "unjudged-statement"
	CodeWrongEncryption     = "upload-wrong-encryption-allowed"
	CodeWrongKey            = "upload-wrong-key-allowed"
	CodeKMSWithoutKey       = "upload-kms-without-key-allowed"
	CodeInsecureTransport   = "insecure-transport-allowed"
	CodeHeaderlessDenied    = "headerless-upload-denied"
	CodeCompliantDenied     = "compliant-upload-denied"
	CodeKeyNameDenied       = "upload-naming-key-denied"
	CodeSecureRequestDenied = "secure-request-denied"
)

// Concrete actions the checks evaluate: wildcards in a policy are judged by what they match.
var (
	useActionsConcrete = []string{
		"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
		"kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair",
		"kms:GenerateDataKeyPairWithoutPlaintext", "kms:DescribeKey",
	}
	adminActionsConcrete = []string{
		"kms:CreateAlias", "kms:DescribeKey", "kms:EnableKeyRotation", "kms:ListResourceTags",
		"kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:RevokeGrant", "kms:DisableKeyRotation",
		"kms:GetKeyPolicy", "kms:TagResource", "kms:UntagResource", "kms:CancelKeyDeletion",
		"kms:RotateKeyOnDemand",
	}
	deleteActionsConcrete = []string{"kms:ScheduleKeyDeletion", "kms:DeleteAlias", "kms:DeleteImportedKeyMaterial"}
	everyKeyAction        = []string{
		"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:CreateGrant",
		"kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion",
		"kms:DisableKey", "kms:TagResource", "kms:CancelKeyDeletion",
	}
)

// KeyRequirements is what a key policy must give and withhold.
type KeyRequirements struct {
	// Partition is the account's partition; empty means the partition of KeyARN when that is an
	// ARN, else DefaultPartition.
	Partition string
	// Account is the home account; empty means the account of KeyARN.
	Account string
	KeyARN  string
	// TrustedAccounts are the accounts besides the home account whose principals may be granted
	// use or management of the key; a grant to any other account is reported.
	TrustedAccounts []string
	// Users must be able to use the key and attach persistent resources (grants) to it.
	Users          []string
	Administrators []string
	// AllowAdminDelete false means administrators must be explicitly denied deleting the key.
	AllowAdminDelete bool
	// CloudFrontDistributions must each be able to have CloudFront use the key (origin access
	// control serving SSE-KMS objects).
	CloudFrontDistributions []string
	// Readers must be able to decrypt with the key when S3 asks on their behalf in Region (the
	// key's region).
	Readers []string
	Region  string
}

// callerContext is the request context AWS fills in for any authenticated call: aws:PrincipalArn
// (the role's ARN for a role session), aws:PrincipalAccount and kms:CallerAccount ("AWS global
// condition context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html;
// "AWS KMS condition keys", https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html).
func callerContext(principal string, extra map[string][]string) map[string][]string {
	ctx := map[string][]string{KeySecureTransport: {"true"}}
	c := parseCaller(principal)
	if arn := c.principalARN(); arn != "" {
		ctx["aws:PrincipalArn"] = []string{arn}
	}
	if c.account != "" && c.kind != callerService {
		ctx["aws:PrincipalAccount"] = []string{c.account}
		ctx["kms:CallerAccount"] = []string{c.account}
	}
	for k, v := range extra {
		ctx[k] = v
	}
	return ctx
}

// checker collects findings and the warnings of every evaluation made.
type checker struct {
	doc      *Document
	findings []Finding
	warnings map[string]bool
}

func (c *checker) eval(r Request, opt EvalOptions) Result {
	res := c.doc.Explain(r, opt)
	for _, w := range res.Warnings {
		c.warnings[w] = true
	}
	return res
}

// notAllowed lists the actions the document does not allow principal (with no extra context).
func (c *checker) notAllowed(principal string, actions []string, resource string) []string {
	var missing []string
	for _, act := range actions {
		if c.eval(Request{Principal: principal, Action: act, Resource: resource, Context: callerContext(principal, nil)}, EvalOptions{}).Decision != Allow {
			missing = append(missing, act)
		}
	}
	return missing
}

func (c *checker) finish() []Finding {
	for _, w := range sortedKeys(c.warnings) {
		c.findings = append(c.findings, Finding{
			Code:    CodeUnjudged,
			Message: w + "; an Allow there is taken as not granting, a Deny as possibly denying",
		})
	}
	return c.findings
}

// CheckKeyPolicy judges a key policy by evaluating requests against it: the users can use the key
// and create grants for AWS resources, nothing explicitly denies them that, administrators are
// explicitly denied deleting the key unless allowed, no statement opens the key to principals
// outside the home and trusted accounts (see checkOutsiders), and the account root keeps kms:*
// (lockout safety). A nil doc is an empty policy.
func CheckKeyPolicy(doc *Document, req KeyRequirements) []Finding {
	c := &checker{doc: doc, warnings: map[string]bool{}}
	resource := req.KeyARN
	if resource == "" {
		resource = "*"
	}
	account := req.Account
	if account == "" {
		account = AccountOf(req.KeyARN)
	}
	partition := partitionOr(req.Partition, req.KeyARN)
	for _, u := range sortedUnique(req.Users) {
		c.checkUser(u, resource, useActionsConcrete, nil, CodeUserMissingUse, SidKeyUse, "use the key")
		c.checkUser(u, resource, GrantActions, map[string][]string{KeyGrantIsForAWSResource: {"true"}},
			CodeUserMissingGrant, SidKeyGrants, "attach persistent resources (grants for AWS services)")
	}
	for _, r := range sortedUnique(req.Readers) {
		c.checkUser(r, resource, ReaderActions, map[string][]string{KeyViaService: {S3ViaService(partition, req.Region)}},
			CodeReaderMissing, SidKeyReaders, "read the bucket's objects through S3")
	}
	for _, a := range sortedUnique(req.Administrators) {
		need := adminActionsConcrete
		if req.AllowAdminDelete {
			need = append(append([]string(nil), need...), "kms:ScheduleKeyDeletion", "kms:DeleteAlias")
		}
		if missing := c.notAllowed(a, need, resource); len(missing) > 0 {
			c.findings = append(c.findings, Finding{
				Code: CodeAdminMissing, Principal: a, Actions: missing, Sid: SidKeyAdmin,
				Message: fmt.Sprintf("key administrator %s is not allowed %s by the key policy", a, strings.Join(missing, ", ")),
			})
		}
		if !req.AllowAdminDelete {
			c.checkAdminDelete(a, resource)
		}
	}
	c.checkCloudFront(req.CloudFrontDistributions, resource)
	c.checkOutsiders(account, req.TrustedAccounts, req.KeyARN)
	if account != "" {
		root := RootARN(partition, account)
		if missing := c.notAllowed(root, everyKeyAction, resource); len(missing) > 0 {
			c.findings = append(c.findings, Finding{
				Code: CodeRootMissing, Principal: root, Actions: missing, Sid: SidRootEnableIAMPermissions,
				Message: fmt.Sprintf("the account root %s cannot do kms:* on the key (missing %s): IAM policies cannot grant access and the key risks becoming unmanageable; sseguard neither removes nor adds this statement", root, strings.Join(missing, ", ")),
			})
		}
	}
	return c.finish()
}

func (c *checker) checkUser(user, resource string, actions []string, extra map[string][]string, code, sid, what string) {
	var missing, denied []string
	deniers := map[string]StatementRef{}
	maybe := false
	for _, act := range actions {
		res := c.eval(Request{Principal: user, Action: act, Resource: resource, Context: callerContext(user, extra)}, EvalOptions{})
		switch res.Decision {
		case ExplicitDeny:
			denied = append(denied, act)
			for _, r := range append(append([]StatementRef(nil), res.Denied...), res.MaybeDenied...) {
				deniers[r.String()] = r
			}
			maybe = maybe || !res.DenyIsCertain()
		case ImplicitDeny:
			missing = append(missing, act)
		}
	}
	if len(denied) > 0 {
		var refs []StatementRef
		blocker := false
		for _, r := range deniers {
			refs = append(refs, r)
			if !strings.HasPrefix(r.Sid, SidPrefix) {
				blocker = true
			}
		}
		verb := "denies"
		if maybe {
			verb = "may deny"
		}
		c.findings = append(c.findings, Finding{
			Code: CodeUserDenied, Principal: user, Actions: denied, Sid: refsString(refs), Blocker: blocker,
			Message: fmt.Sprintf("an explicit Deny (%s) %s %s %s, needed to %s; adding statements cannot fix that", refsString(refs), verb, user, strings.Join(denied, ", "), what),
		})
	}
	if len(missing) > 0 {
		c.findings = append(c.findings, Finding{
			Code: code, Principal: user, Actions: missing, Sid: sid,
			Message: fmt.Sprintf("the key policy does not allow %s %s, needed to %s", user, strings.Join(missing, ", "), what),
		})
	}
}

// checkAdminDelete requires an explicit Deny: with the account root statement delegating to IAM,
// any principal of the account may be granted the action by an IAM policy, so "not allowed by the
// key policy" is no guarantee.
func (c *checker) checkAdminDelete(admin, resource string) {
	var open []string
	direct := false
	for _, act := range deleteActionsConcrete {
		r := Request{Principal: admin, Action: act, Resource: resource, Context: callerContext(admin, nil)}
		if res := c.eval(r, EvalOptions{}); !res.DenyIsCertain() {
			open = append(open, act)
			direct = direct || res.Decision == Allow
		}
	}
	if len(open) == 0 {
		return
	}
	how := "an IAM policy can grant them through the account root statement"
	if direct {
		how = "the key policy itself allows some of them"
	}
	c.findings = append(c.findings, Finding{
		Code: CodeAdminCanDelete, Principal: admin, Actions: open, Sid: SidKeyAdminDenyDelete,
		Message: fmt.Sprintf("key administrator %s is not explicitly denied %s (%s); only an explicit Deny guarantees it", admin, strings.Join(open, ", "), how),
	})
}

// probeRole is the caller of the bucket policy probes: a principal of no particular account, with
// no special standing (not the root, not named in any statement sseguard writes).
const probeRole = "role/sseguard-probe"

type probe struct {
	code, sid, what string
	action          string
	resource        string
	ctx             map[string][]string
	// name, when set, tells apart probes of one code that are each reported (key names).
	name string
}

// CheckBucketPolicy judges a bucket policy (nil: none) by evaluating representative requests:
// uploads that ask for another encryption mode or key, and plain-HTTP requests, must be explicitly
// denied as spec asks; header-less uploads (and so multipart UploadPart), uploads with the right
// headers (naming the key by its ARN or any of spec.KeyNames) and requests over TLS must never be.
// Each failed expectation is one Finding naming the protection and the Sid sseguard adds for it (or
// the Sid in the way).
//
// A refusal counts as enforcement only when it comes from a statement that applies to everyone and
// every object: Principal "*", no NotPrincipal, no condition other than on the encryption headers
// and aws:SecureTransport, and a Resource covering the whole bucket. A Deny that exempts some
// principals (NotPrincipal, a Principal that is not everyone, a condition such as aws:PrincipalArn
// StringNotLike ...), adds other conditions or covers part of the bucket is named in the Finding's
// Exemptions, and sseguard adds its own statement.
func CheckBucketPolicy(doc *Document, spec BucketSpec) []Finding {
	c := &checker{doc: doc, warnings: map[string]bool{}}
	mustDeny, mustAllow := bucketProbes(spec)
	caller := "arn:" + spec.partition() + ":iam::111122223333:" + probeRole
	seen := map[string]bool{}
	c.checkDenied(spec, mustDeny, caller, seen)
	c.checkNotDenied(mustAllow, caller, seen)
	return c.finish()
}

// bucketProbes are the requests spec says the bucket policy must deny, and those it must never.
func bucketProbes(spec BucketSpec) (mustDeny, mustAllow []probe) {
	partition := spec.partition()
	objects := spec.bucketARN() + "/sseguard-probe"
	bucket := spec.bucketARN()
	otherKey := fmt.Sprintf("arn:%s:kms:us-east-1:111122223333:key/00000000-0000-0000-0000-000000000000", partition)
	if spec.KeyARN == otherKey {
		otherKey = fmt.Sprintf("arn:%s:kms:us-east-1:111122223333:key/11111111-1111-1111-1111-111111111111", partition)
	}
	const otherAlias = "alias/sseguard-probe-other-key"
	put := func(code, sid, what string, h map[string][]string) probe {
		return probe{code: code, sid: sid, what: what, action: "s3:PutObject", resource: objects, ctx: h}
	}
	right := sseHeaders(spec.Algorithm, "")
	if spec.Algorithm == AlgorithmKMS {
		right = sseHeaders(AlgorithmKMS, spec.KeyARN)
	}
	if spec.EnforceOnUpload {
		const wrongAlg = "an upload asking for another encryption mode"
		const wrongKey = "an upload naming another KMS key"
		switch spec.Algorithm {
		case AlgorithmKMS:
			mustDeny = append(mustDeny,
				put(CodeWrongEncryption, SidDenyWrongEncryption, wrongAlg, sseHeaders(AlgorithmAES256, "")),
				put(CodeWrongEncryption, SidDenyWrongEncryption, wrongAlg, sseHeaders("aws:kms:dsse", spec.KeyARN)),
				put(CodeWrongKey, SidDenyWrongKMSKey, wrongKey, sseHeaders(AlgorithmKMS, otherKey)),
				put(CodeWrongKey, SidDenyWrongKMSKey, wrongKey, sseHeaders(AlgorithmKMS, otherAlias)),
				put(CodeKMSWithoutKey, SidDenyKMSWithoutKey, "an aws:kms upload naming no key (it would use the AWS managed aws/s3 key)", sseHeaders(AlgorithmKMS, "")))
		case AlgorithmAES256:
			mustDeny = append(mustDeny,
				put(CodeWrongEncryption, SidDenyWrongEncryption, wrongAlg, sseHeaders(AlgorithmKMS, "")),
				put(CodeWrongEncryption, SidDenyWrongEncryption, wrongAlg, sseHeaders(AlgorithmKMS, otherKey)))
		}
	}
	mustAllow = append(mustAllow,
		put(CodeHeaderlessDenied, "", "an upload without encryption headers (also every multipart UploadPart)", sseHeaders("", "")))
	if spec.Algorithm != "" {
		mustAllow = append(mustAllow, put(CodeCompliantDenied, "", "an upload asking for the required encryption", right))
	}
	if spec.Algorithm == AlgorithmKMS {
		for _, n := range spec.keyIDs()[1:] {
			p := put(CodeKeyNameDenied, SidDenyWrongKMSKey, fmt.Sprintf("an upload naming the required key as %q", n), sseHeaders(AlgorithmKMS, n))
			p.name = n
			mustAllow = append(mustAllow, p)
		}
	}
	insecure := map[string][]string{KeySecureTransport: {"false"}}
	if spec.RequireTLS {
		const what = "a request over plain HTTP"
		mustDeny = append(mustDeny,
			probe{code: CodeInsecureTransport, sid: SidDenyInsecureTransport, what: what, action: "s3:GetObject", resource: objects, ctx: insecure},
			probe{code: CodeInsecureTransport, sid: SidDenyInsecureTransport, what: what, action: "s3:ListBucket", resource: bucket, ctx: insecure},
			probe{code: CodeInsecureTransport, sid: SidDenyInsecureTransport, what: what, action: "s3:PutObject", resource: objects, ctx: mergeCtx(right, insecure)})
	}
	mustAllow = append(mustAllow,
		probe{code: CodeSecureRequestDenied, what: "a GetObject over TLS", action: "s3:GetObject", resource: objects},
		probe{code: CodeSecureRequestDenied, what: "a ListBucket over TLS", action: "s3:ListBucket", resource: bucket})
	return mustDeny, mustAllow
}

// sseHeaders are an upload's encryption condition keys: the algorithm and the KMS key it names
// (either left out when empty).
func sseHeaders(alg, key string) map[string][]string {
	m := map[string][]string{}
	if alg != "" {
		m[KeySSEHeader] = []string{alg}
	}
	if key != "" {
		m[KeySSEKMSKeyIDHeader] = []string{key}
	}
	return m
}

// checkDenied finds each protection whose probes the policy does not deny to everyone, once per
// code (seen), naming the statements that deny only in part.
func (c *checker) checkDenied(spec BucketSpec, mustDeny []probe, caller string, seen map[string]bool) {
	for _, p := range mustDeny {
		if seen[p.code] {
			continue
		}
		res := c.eval(p.request(caller), EvalOptions{})
		enforced := false
		for _, r := range res.Denied {
			if len(c.doc.Statements[r.Index].exemptions(spec, p)) == 0 {
				enforced = true
			}
		}
		if enforced {
			continue
		}
		seen[p.code] = true
		exempt := c.partialDeniers(spec, p, caller)
		msg := fmt.Sprintf("the bucket policy does not deny %s; sseguard adds statement %q for it", p.what, p.sid)
		if len(exempt) > 0 {
			var parts []string
			for _, e := range exempt {
				parts = append(parts, fmt.Sprintf("statement %s %s", e.Statement, strings.Join(e.Reasons, "; ")))
			}
			msg = fmt.Sprintf("the bucket policy denies %s only in part (%s); sseguard adds statement %q, which applies to everyone", p.what, strings.Join(parts, "; "), p.sid)
		}
		c.findings = append(c.findings, Finding{
			Code: p.code, Principal: "*", Actions: []string{p.action}, Sid: p.sid, Message: msg, Exemptions: exempt,
		})
	}
}

// checkNotDenied finds each request the policy denies (or may deny) though it must not, once per
// code and key name (seen); a Deny sseguard does not own makes the finding a blocker.
func (c *checker) checkNotDenied(mustAllow []probe, caller string, seen map[string]bool) {
	for _, p := range mustAllow {
		key := p.code + "\x00" + p.name
		res := c.eval(p.request(caller), EvalOptions{})
		if res.Decision != ExplicitDeny || seen[key] {
			continue
		}
		seen[key] = true
		refs := append(append([]StatementRef(nil), res.Denied...), res.MaybeDenied...)
		blocker := false
		for _, r := range refs {
			if !strings.HasPrefix(r.Sid, SidPrefix) {
				blocker = true
			}
		}
		verb := "denies"
		if !res.DenyIsCertain() {
			verb = "may deny"
		}
		msg := fmt.Sprintf("the bucket policy %s %s (by %s)", verb, p.what, refsString(refs))
		switch p.code {
		case CodeHeaderlessDenied:
			msg += ": a Deny with a negated or ...IfExists operator and no Null check on the same key refuses requests that lack the key"
		case CodeKeyNameDenied:
			msg += ": a client naming the key by this name would be refused"
		}
		c.findings = append(c.findings, Finding{
			Code: p.code, Principal: "*", Actions: []string{p.action}, Sid: refsString(refs), Blocker: blocker, Message: msg,
		})
	}
}

func (p probe) request(caller string) Request {
	return Request{Principal: caller, Action: p.action, Resource: p.resource, Context: callerContext(caller, p.ctx)}
}

func mergeCtx(a, b map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
