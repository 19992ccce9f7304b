package awstest

// Rule 7 — a per-request permission check, and rule 1's enforcement of held bucket policies.
//
// Each request is mapped to the IAM actions and resources it needs, following the Service
// Authorization Reference ("Actions, resources, and condition keys for Amazon S3",
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html; "... for
// AWS Key Management Service", .../list_awskeymanagementservice.html; "... for AWS Identity and
// Access Management", .../list_awsidentityandaccessmanagementiam.html; "... for AWS Security Token
// Service", .../list_awssecuritytokenservice.html) and "Required permissions for Amazon S3 API
// operations" (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
//
// Each action is then judged as AWS's same-account evaluation logic documents ("Policy evaluation
// logic", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
// an explicit Deny in any policy refuses; otherwise an Allow in the identity policy or in the
// resource policy (the held bucket policy) allows. KMS keys are stricter: IAM policies only count
// when the key policy allows the account ("Default key policy: Allows access to the AWS account and
// enables IAM policies", https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam).
// Access keys without an identity policy are unrestricted: only explicit Denies in bucket and key
// policies refuse them.

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// requirement is one IAM action a request needs on one resource, and the verdict.
type requirement struct {
	action   string
	resource string
	bucket   string              // for s3 actions: the bucket whose policy applies
	keyARN   string              // for kms actions: the key whose key policy applies
	ctx      map[string][]string // condition keys of this action besides the request's own
	free     bool                // needs no permission
	allowed  bool
	reason   string // the AccessDenied message, worded as AWS words it
	detail   string // which statements decided, for the record only (AWS's message has no Sids)
}

// SetIdentityPolicy gives an access key an IAM identity policy: from now on every request signed
// with that key is checked against it (and the bucket and key policies), and refused with the
// service's own AccessDenied error when not allowed. An empty policy removes it (the key is
// unrestricted again). The policy is an identity policy: statements have no Principal.
func (l *Layer) SetIdentityPolicy(accessKeyID, policyJSON string) error {
	return l.setPolicy(func(s *state) map[string]*iampolicy.Document { return s.identity }, accessKeyID, policyJSON, "identity policy for access key")
}

// setPolicy parses policyJSON as an identity policy and files it under id in the map of the
// layer's state that pick names (read under the lock: a reset replaces the state); an empty
// policy removes it.
func (l *Layer) setPolicy(pick func(*state) map[string]*iampolicy.Document, id, policyJSON, what string) error {
	var doc *iampolicy.Document
	if strings.TrimSpace(policyJSON) != "" {
		var err error
		if doc, err = parseIdentityPolicy(policyJSON); err != nil {
			return fmt.Errorf("%s %s: %w", what, id, err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if doc == nil {
		delete(pick(l.st), id)
	} else {
		pick(l.st)[id] = doc
	}
	return nil
}

// parseIdentityPolicy parses an identity policy with iampolicy, which reads resource policies:
// each statement gets "Principal": "*" (an identity policy applies to whoever it is attached to).
func parseIdentityPolicy(src string) (*iampolicy.Document, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(src), &top); err != nil || top == nil {
		return nil, errors.New("not a JSON object")
	}
	raw, ok := top["Statement"]
	if !ok {
		return nil, errors.New("no Statement")
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(raw, &one); err != nil || one == nil {
			return nil, errors.New("Statement must be an object or a list of objects")
		}
		list = []map[string]json.RawMessage{one}
	}
	for i, s := range list {
		if s == nil {
			return nil, fmt.Errorf("statement %d is not an object", i+1)
		}
		if _, ok := s["Principal"]; ok {
			return nil, fmt.Errorf("statement %d has a Principal: identity policies have none", i+1)
		}
		if _, ok := s["NotPrincipal"]; ok {
			return nil, fmt.Errorf("statement %d has a NotPrincipal: identity policies have none", i+1)
		}
		s["Principal"] = json.RawMessage(`"*"`)
	}
	b, err := json.Marshal(list)
	if err != nil {
		return nil, err
	}
	top["Statement"] = b
	full, err := json.Marshal(top)
	if err != nil {
		return nil, err
	}
	return iampolicy.Parse(string(full))
}

// identify finds the caller of a request (cached per access key) and whether it is restricted.
func (l *Layer) identify(ctx context.Context, c *call) *iampolicy.Document {
	if c.akid != "" {
		if id, err := l.caller(ctx, c.akid); err == nil {
			c.id = id
			c.principal = id.ARN
		}
	}
	l.mu.Lock()
	idDoc := l.st.identity[c.akid]
	if idDoc == nil && c.id.principalARN() != c.id.ARN {
		// A session of a role (rule 11): the role's policy, given with SetRolePolicy.
		idDoc = l.st.rolePolicies[c.id.principalARN()]
	}
	l.mu.Unlock()
	c.restricted = idDoc != nil
	return idDoc
}

// authorize maps the request to its IAM actions, judges each, records them, and answers
// AccessDenied (returning false) when one is refused.
func (l *Layer) authorize(w http.ResponseWriter, c *call) bool {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	idDoc := l.identify(ctx, c)
	reqs := l.requirements(ctx, c)
	refused := -1
	for i := range reqs {
		l.judge(ctx, c, idDoc, &reqs[i])
		if !reqs[i].allowed && refused < 0 {
			refused = i
		}
	}
	l.record(c, reqs, "")
	if refused >= 0 {
		writeAccessDenied(w, c, reqs[refused].reason)
		return false
	}
	return true
}

// recordHooked records the actions of a request a Handle hook answered (unjudged).
func (l *Layer) recordHooked(c *call) {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	l.identify(ctx, c)
	reqs := l.requirements(ctx, c)
	for i := range reqs {
		reqs[i].allowed = true
	}
	l.record(c, reqs, "answered by a test hook")
}

// baseContext returns the global condition keys of the request ("AWS global condition context
// keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
func (l *Layer) baseContext(c *call) map[string][]string {
	secure := "true"
	if l.options().PlainHTTP {
		secure = "false"
	}
	now := time.Now().UTC()
	m := map[string][]string{
		"aws:SecureTransport":        {secure},
		"aws:CurrentTime":            {now.Format(time.RFC3339)},
		"aws:EpochTime":              {strconv.FormatInt(now.Unix(), 10)},
		"aws:RequestedRegion":        {c.region},
		"aws:ViaAWSService":          {"false"},
		"aws:MultiFactorAuthPresent": {"false"},
	}
	if host, _, err := net.SplitHostPort(c.r.RemoteAddr); err == nil {
		m["aws:SourceIp"] = []string{host}
	}
	if c.id.ARN != "" {
		m["aws:PrincipalArn"] = []string{c.id.principalARN()}
		m["aws:PrincipalAccount"] = []string{c.id.Account}
		m["aws:userid"] = []string{c.id.UserID}
		a, _ := parseARN(c.id.ARN)
		switch {
		case strings.HasPrefix(a.resource, "assumed-role/"):
			m["aws:PrincipalType"] = []string{"AssumedRole"}
		case strings.HasPrefix(a.resource, "user/"):
			m["aws:PrincipalType"] = []string{"User"}
			m["aws:username"] = []string{a.resource[strings.LastIndexByte(a.resource, '/')+1:]}
		case a.resource == "root":
			m["aws:PrincipalType"] = []string{"Account"}
		}
	}
	return m
}

// judge decides one requirement.
func (l *Layer) judge(ctx context.Context, c *call, idDoc *iampolicy.Document, q *requirement) {
	q.allowed = true
	if q.action == "" || q.free {
		return
	}
	reqCtx := l.baseContext(c)
	for k, v := range q.ctx {
		reqCtx[k] = v
	}
	req := iampolicy.Request{Principal: c.principal, Action: q.action, Resource: q.resource, Context: reqCtx}
	// Resource policies: the held bucket policy for S3, the key policy for KMS.
	var bucketPolicy, keyPolicy *iampolicy.Document
	owner := ""
	if q.bucket != "" && strings.HasPrefix(q.action, "s3:") {
		l.mu.Lock()
		if bp, ok := l.st.policies[q.bucket]; ok {
			bucketPolicy = bp.doc
		}
		l.mu.Unlock()
		// The owner decides both the root user's policy actions and whether the request comes
		// from another account (rule 14).
		if c.op == "CreateBucket" {
			// A bucket being created has no owner to look up; one that exists was created
			// through the layer, which knows its owner.
			l.mu.Lock()
			owner = l.st.owners[q.bucket]
			l.mu.Unlock()
		} else {
			owner, _ = l.bucketOwner(c, q.bucket)
		}
	}
	if q.keyARN != "" {
		keyPolicy = l.keyPolicy(ctx, c, q.keyARN)
	}
	v := decide(req, idDoc, resources{bucketPolicy: bucketPolicy, bucketOwner: owner, keyPolicy: keyPolicy, keyARN: q.keyARN})
	if v.allowed {
		return
	}
	who := c.principal
	if who == "" {
		who = "anonymous"
	}
	q.allowed, q.detail = false, v.detail
	if v.explicit {
		q.reason = fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s with an explicit deny in %s", who, q.action, quoteRes(c, q.resource), v.policy)
		return
	}
	q.reason = fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no %s allows the %s action", who, q.action, quoteRes(c, q.resource), v.policy, q.action)
}

// verdict is the layer's decision on one request.
type verdict struct {
	allowed  bool
	explicit bool   // refused by an explicit Deny
	policy   string // the kind of policy that refused, worded as AWS's AccessDenied message words it
	detail   string // which statements decided, for the record only
}

// resources are the resource policies that apply to a request.
type resources struct {
	bucketPolicy *iampolicy.Document // nil: no bucket policy applies
	bucketOwner  string              // the bucket's account, when known
	keyPolicy    *iampolicy.Document // nil: no key policy applies
	keyARN       string              // the key the key policy belongs to
}

// decide judges req as AWS's same-account evaluation logic does, from the caller's identity
// policy (nil: unrestricted, only explicit Denies refuse) and the bucket or key policy. An
// explicit Deny in any of them refuses; else an Allow in the identity policy or the resource
// policy allows, except that for a key the identity policy counts only when the key policy allows
// the key's account (the root statement). The bucket owner account's root user is never refused
// GetBucketPolicy, PutBucketPolicy or DeleteBucketPolicy by the bucket policy; anyone else is
// ("PutBucketPolicy", https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketPolicy.html:
// "the root principal in a bucket owner's Amazon Web Services account can perform the
// GetBucketPolicy, PutBucketPolicy, and DeleteBucketPolicy API actions, even if their bucket
// policy explicitly denies the root principal's access"). It is pure, so that the independent
// judge (judge_test.go) can compare it with iam-simulate.
func decide(req iampolicy.Request, idDoc *iampolicy.Document, r resources) verdict {
	members := iampolicy.EvalOptions{AccountPrincipalMatchesMembers: true}
	bucketPolicy, keyPolicy, keyARN := r.bucketPolicy, r.keyPolicy, r.keyARN
	if bucketPolicyAction(req.Action) && r.bucketOwner != "" && isRootOf(req.Principal, r.bucketOwner) {
		bucketPolicy = nil
	}
	resourceAllows := false
	// resourceAllowsAccount: the resource policy allows the caller or, delegating to its
	// account's IAM policies, its account (what a request from another account needs, rule 14).
	resourceAllowsAccount := false
	caller := callerAccount(req)
	cross := !bucketPolicyAction(req.Action) && r.bucketOwner != "" && caller != "" && r.bucketOwner != caller
	if bucketPolicy != nil {
		if res := bucketPolicy.Explain(req, members); res.Decision == iampolicy.ExplicitDeny {
			return verdict{explicit: true, policy: "a resource-based policy", detail: "bucket policy statements " + refs(res.Denied, res.MaybeDenied)}
		}
		resourceAllows = bucketPolicy.Explain(req, iampolicy.EvalOptions{}).Decision == iampolicy.Allow
		resourceAllowsAccount = bucketPolicy.Explain(req, members).Decision == iampolicy.Allow
	}
	keyDelegates := true
	if keyARN != "" {
		a, _ := parseARN(keyARN)
		cross = caller != "" && a.account != "" && a.account != caller
	}
	if keyARN != "" && keyPolicy != nil {
		if res := keyPolicy.Explain(req, members); res.Decision == iampolicy.ExplicitDeny {
			return verdict{explicit: true, policy: "a resource-based policy", detail: "key policy statements " + refs(res.Denied, res.MaybeDenied)}
		}
		resourceAllows = keyPolicy.Explain(req, iampolicy.EvalOptions{}).Decision == iampolicy.Allow
		resourceAllowsAccount = keyPolicy.Explain(req, members).Decision == iampolicy.Allow
		root := req
		a, _ := parseARN(keyARN)
		root.Principal = fmt.Sprintf("arn:%s:iam::%s:root", a.partition, a.account)
		keyDelegates = keyPolicy.Explain(root, iampolicy.EvalOptions{}).Decision == iampolicy.Allow
	}
	if cross {
		return decideCrossAccount(req, idDoc, resourceAllowsAccount)
	}
	if idDoc == nil {
		return verdict{allowed: true}
	}
	res := idDoc.Explain(req, iampolicy.EvalOptions{})
	switch {
	case res.Decision == iampolicy.ExplicitDeny:
		return verdict{explicit: true, policy: "an identity-based policy", detail: "identity policy statements " + refs(res.Denied, res.MaybeDenied)}
	case keyARN != "":
		if !resourceAllows && !(keyDelegates && res.Decision == iampolicy.Allow) {
			if keyDelegates {
				return verdict{policy: "identity-based policy"}
			}
			return verdict{policy: "resource-based policy"}
		}
	case res.Decision != iampolicy.Allow && !resourceAllows:
		return verdict{policy: "identity-based policy"}
	}
	return verdict{allowed: true}
}

func quoteRes(c *call, res string) string {
	if c.service == "s3" {
		return strconv.Quote(res)
	}
	return res
}

func refs(lists ...[]iampolicy.StatementRef) string {
	var s []string
	for _, l := range lists {
		for _, r := range l {
			s = append(s, r.String())
		}
	}
	return strings.Join(s, ", ")
}

// bucketPolicyAction reports the actions a bucket policy never refuses the bucket owner
// account's root user, so that a policy that denies everything can still be read, replaced or
// deleted (see decide).
func bucketPolicyAction(a string) bool {
	return a == "s3:GetBucketPolicy" || a == "s3:PutBucketPolicy" || a == "s3:DeleteBucketPolicy"
}

// isRootOf reports whether principal is the root user of account.
func isRootOf(principal, account string) bool {
	a, ok := parseARN(principal)
	return ok && a.service == "iam" && a.resource == "root" && a.account == account
}

// requirements maps a request to the IAM actions it needs.
func (l *Layer) requirements(ctx context.Context, c *call) []requirement {
	switch c.service {
	case "kms":
		return l.kmsRequirements(ctx, c)
	case "iam":
		return l.iamRequirements(ctx, c)
	case "sts":
		return stsRequirements(c)
	case s3ControlService:
		return l.s3ControlRequirements(c)
	}
	return l.s3Requirements(ctx, c)
}

func (c *call) partition() string {
	if p := c.id.partition(); p != "" {
		return p
	}
	return "aws"
}

// s3Context returns the S3 condition keys the request's headers carry ("Actions, resources, and
// condition keys for Amazon S3", condition keys table).
func s3Context(c *call) map[string][]string {
	m := map[string][]string{
		"s3:signatureversion": {"AWS4-HMAC-SHA256"},
		"s3:authType":         {"REST-HEADER"},
	}
	if c.r.Header.Get("Authorization") == "" {
		m["s3:authType"] = []string{"REST-QUERY-STRING"}
	}
	for key, header := range map[string]string{
		"s3:x-amz-server-side-encryption":                    "X-Amz-Server-Side-Encryption",
		"s3:x-amz-server-side-encryption-aws-kms-key-id":     "X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id",
		"s3:x-amz-server-side-encryption-customer-algorithm": "X-Amz-Server-Side-Encryption-Customer-Algorithm",
		"s3:x-amz-acl":                       "X-Amz-Acl",
		"s3:x-amz-copy-source":               "X-Amz-Copy-Source",
		"s3:x-amz-metadata-directive":        "X-Amz-Metadata-Directive",
		"s3:x-amz-storage-class":             "X-Amz-Storage-Class",
		"s3:x-amz-content-sha256":            "X-Amz-Content-Sha256",
		"s3:x-amz-website-redirect-location": "X-Amz-Website-Redirect-Location",
	} {
		if v := c.r.Header.Get(header); v != "" {
			m[key] = []string{v}
		}
	}
	for key, param := range map[string]string{"s3:prefix": "prefix", "s3:delimiter": "delimiter", "s3:max-keys": "max-keys", "s3:VersionId": "versionId"} {
		if c.has(param) {
			m[key] = []string{c.query.Get(param)}
		}
	}
	return m
}

func (l *Layer) s3Requirements(ctx context.Context, c *call) []requirement {
	bucketARN := fmt.Sprintf("arn:%s:s3:::%s", c.partition(), c.bucket)
	sctx := s3Context(c)
	switch {
	case c.bucket == "":
		if c.op == "ListBuckets" {
			return []requirement{{action: "s3:ListAllMyBuckets", resource: "*"}}
		}
		return nil
	case c.key == "":
		return bucketRequirements(c, bucketARN, sctx)
	}
	return l.objectRequirements(ctx, c, bucketARN+"/"+c.key, sctx)
}

// bucketRequirements are those of a request on a bucket (not on one of its objects).
func bucketRequirements(c *call, bucketARN string, sctx map[string][]string) []requirement {
	onBucket := func(action string) requirement {
		return requirement{action: action, resource: bucketARN, bucket: c.bucket, ctx: sctx}
	}
	if _, sub, ok := c.subresource(); ok {
		a := map[string]string{http.MethodGet: sub.getAction, http.MethodPut: sub.putAction, http.MethodDelete: sub.delAct}[c.r.Method]
		if a != "" {
			return []requirement{onBucket(a)}
		}
	}
	switch c.op {
	case "CreateBucket", "DeleteBucket":
		return []requirement{onBucket("s3:" + c.op)}
	case "HeadBucket", "ListObjects", "ListObjectsV2":
		return []requirement{onBucket("s3:ListBucket")}
	case "ListObjectVersions":
		return []requirement{onBucket("s3:ListBucketVersions")}
	case "ListMultipartUploads":
		return []requirement{onBucket("s3:ListBucketMultipartUploads")}
	case "DeleteObjects":
		return deleteObjectsRequirements(c, bucketARN, sctx)
	}
	return []requirement{onBucket(guessAction(c))}
}

// objectRequirements are those of a request on an object (objARN), or on one of its versions.
func (l *Layer) objectRequirements(ctx context.Context, c *call, objARN string, sctx map[string][]string) []requirement {
	onObject := func(action string) requirement {
		return requirement{action: action, resource: objARN, bucket: c.bucket, ctx: sctx}
	}
	versioned := func(plain, version string) string {
		if c.versionID() != "" {
			return version
		}
		return plain
	}
	var reqs []requirement
	switch c.op {
	case "HeadObject":
		reqs = append(reqs, onObject(versioned("s3:GetObject", "s3:GetObjectVersion")))
	case "GetObject":
		reqs = append(reqs, onObject(versioned("s3:GetObject", "s3:GetObjectVersion")))
		if c.restricted {
			reqs = append(reqs, l.decryptRequirement(ctx, c, c.bucket, c.key, c.versionID())...)
		}
	case "PutObject":
		reqs = append(reqs, onObject("s3:PutObject"))
		if c.r.Header.Get("X-Amz-Tagging") != "" {
			reqs = append(reqs, onObject("s3:PutObjectTagging"))
		}
		reqs = append(reqs, l.encryptRequirements(ctx, c, false)...)
	case "CreateMultipartUpload":
		reqs = append(reqs, onObject("s3:PutObject"))
		reqs = append(reqs, l.encryptRequirements(ctx, c, true)...)
	case "UploadPart", "CompleteMultipartUpload":
		reqs = append(reqs, onObject("s3:PutObject"))
	case "CopyObject", "UploadPartCopy":
		reqs = append(reqs, l.copyRequirements(ctx, c, onObject)...)
	case "AbortMultipartUpload":
		reqs = append(reqs, onObject("s3:AbortMultipartUpload"))
	case "ListParts":
		reqs = append(reqs, onObject("s3:ListMultipartUploadParts"))
	case "DeleteObject":
		reqs = append(reqs, onObject(versioned("s3:DeleteObject", "s3:DeleteObjectVersion")))
	case "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging":
		verb := strings.TrimSuffix(c.op, "ObjectTagging")
		reqs = append(reqs, onObject(versioned("s3:"+verb+"ObjectTagging", "s3:"+verb+"ObjectVersionTagging")))
	case "GetObjectAcl", "PutObjectAcl":
		verb := strings.TrimSuffix(c.op, "ObjectAcl")
		reqs = append(reqs, onObject(versioned("s3:"+verb+"ObjectAcl", "s3:"+verb+"ObjectVersionAcl")))
	case "GetObjectAttributes":
		reqs = append(reqs, onObject(versioned("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes")))
	case "GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold", "PutObjectLegalHold", "RestoreObject":
		reqs = append(reqs, onObject("s3:"+c.op))
	case "UpdateObjectEncryption":
		reqs = append(reqs, onObject("s3:UpdateObjectEncryption"))
		reqs = append(reqs, l.uoeKMSRequirements(ctx, c)...)
	default:
		reqs = append(reqs, onObject(guessAction(c)))
	}
	return reqs
}

// copyRequirements are those of a copy (CopyObject, UploadPartCopy): s3:PutObject on the
// destination, reading the source (and its key, for a restricted caller), and for CopyObject the
// tags it replaces and the encryption it asks for.
func (l *Layer) copyRequirements(ctx context.Context, c *call, onObject func(string) requirement) []requirement {
	reqs := []requirement{onObject("s3:PutObject")}
	if sb, sk, sv, ok := copySource(c.r); ok {
		src := requirement{action: "s3:GetObject", resource: fmt.Sprintf("arn:%s:s3:::%s/%s", c.partition(), sb, sk), bucket: sb, ctx: map[string][]string{}}
		if sv != "" {
			src.action = "s3:GetObjectVersion"
		}
		reqs = append(reqs, src)
		if c.restricted {
			reqs = append(reqs, l.decryptRequirement(ctx, c, sb, sk, sv)...)
		}
	}
	if c.op == "CopyObject" {
		if c.r.Header.Get("X-Amz-Tagging") != "" && strings.EqualFold(c.r.Header.Get("X-Amz-Tagging-Directive"), "REPLACE") {
			reqs = append(reqs, onObject("s3:PutObjectTagging"))
		}
		reqs = append(reqs, l.encryptRequirements(ctx, c, false)...)
	}
	return reqs
}

// deleteObjectsRequirements needs s3:DeleteObject (s3:DeleteObjectVersion with a version id) on
// every object the DeleteObjects request names.
func deleteObjectsRequirements(c *call, bucketARN string, sctx map[string][]string) []requirement {
	var body struct {
		Objects []struct {
			Key       string `xml:"Key"`
			VersionID string `xml:"VersionId"`
		} `xml:"Object"`
	}
	_ = xml.Unmarshal(c.body, &body)
	var reqs []requirement
	for _, o := range body.Objects {
		a := "s3:DeleteObject"
		if o.VersionID != "" {
			a = "s3:DeleteObjectVersion"
		}
		reqs = append(reqs, requirement{action: a, resource: bucketARN + "/" + o.Key, bucket: c.bucket, ctx: sctx})
	}
	if len(reqs) == 0 {
		reqs = append(reqs, requirement{action: "s3:DeleteObject", resource: bucketARN + "/*", bucket: c.bucket, ctx: sctx})
	}
	return reqs
}

// s3KMSContext is the context of a KMS action S3 makes on the caller's behalf.
func s3KMSContext(c *call, region, bucket, key string) map[string][]string {
	return map[string][]string{
		"kms:ViaService":                   {"s3." + region + ".amazonaws.com"},
		"kms:CallerAccount":                {c.id.Account},
		"kms:EncryptionContext:aws:s3:arn": {fmt.Sprintf("arn:%s:s3:::%s/%s", c.partition(), bucket, key)},
		"aws:ViaAWSService":                {"true"},
	}
}

// encryptRequirements: an SSE-KMS write needs kms:GenerateDataKey on the key (and, for a
// multipart upload, kms:Decrypt too) — "Using server-side encryption with AWS KMS keys (SSE-KMS)"
// and "Multipart upload and permissions"
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html,
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions).
// Without SSE headers the bucket's default encryption decides (looked up for restricted keys).
func (l *Layer) encryptRequirements(ctx context.Context, c *call, multipart bool) []requirement {
	alg := c.r.Header.Get("X-Amz-Server-Side-Encryption")
	keyRef := c.r.Header.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id")
	if alg == "" && c.restricted {
		alg, keyRef = l.bucketDefault(ctx, c, c.bucket)
	}
	if !strings.HasPrefix(alg, "aws:kms") {
		return nil
	}
	if keyRef == "" {
		keyRef = "alias/aws/s3"
	}
	keyARN := l.keyARN(ctx, c, keyRef)
	kctx := s3KMSContext(c, c.region, c.bucket, c.key)
	reqs := []requirement{{action: "kms:GenerateDataKey", resource: keyARN, keyARN: keyARN, ctx: kctx}}
	if multipart {
		reqs = append(reqs, requirement{action: "kms:Decrypt", resource: keyARN, keyARN: keyARN, ctx: kctx})
	}
	return reqs
}

// decryptRequirement: reading (or copying from) an SSE-KMS object needs kms:Decrypt on its key.
func (l *Layer) decryptRequirement(ctx context.Context, c *call, bucket, key, version string) []requirement {
	alg, keyRef, _ := l.objectEncryption(ctx, c, bucket, key, version)
	if !strings.HasPrefix(alg, "aws:kms") || keyRef == "" {
		return nil
	}
	keyARN := l.keyARN(ctx, c, keyRef)
	return []requirement{{action: "kms:Decrypt", resource: keyARN, keyARN: keyARN, ctx: s3KMSContext(c, c.region, bucket, key)}}
}

// bucketDefault returns a bucket's default encryption algorithm and KMS key as moto holds it.
func (l *Layer) bucketDefault(ctx context.Context, c *call, bucket string) (alg, key string) {
	status, _, body, err := l.motoS3(ctx, c.akid, http.MethodGet, "/"+escapeKey(bucket)+"?encryption", nil, nil)
	if err != nil || status != http.StatusOK {
		return "AES256", ""
	}
	var cfg sseConfig
	if xml.Unmarshal(body, &cfg) != nil || len(cfg.Rules) == 0 || cfg.Rules[0].Default == nil {
		return "AES256", ""
	}
	return cfg.Rules[0].Default.SSEAlgorithm, cfg.Rules[0].Default.KMSMasterKeyID
}

// objectEncryption returns an object's encryption algorithm, KMS key and whether it exists.
func (l *Layer) objectEncryption(ctx context.Context, c *call, bucket, key, version string) (alg, kmsKey string, found bool) {
	path := objectPath(bucket, key)
	if version != "" {
		path += "?versionId=" + version
	}
	status, h, err := l.headObject(ctx, c, path)
	if err != nil || status != http.StatusOK {
		return "", "", false
	}
	return h.Get("X-Amz-Server-Side-Encryption"), h.Get("X-Amz-Server-Side-Encryption-Aws-Kms-Key-Id"), true
}

func stsRequirements(c *call) []requirement {
	switch c.name {
	case "GetCallerIdentity":
		// "GetCallerIdentity": no permissions are required to perform this operation
		// (https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
		return []requirement{{action: "sts:GetCallerIdentity", resource: "*", free: true}}
	case "AssumeRole":
		return []requirement{{action: "sts:AssumeRole", resource: c.form.Get("RoleArn")}}
	case "AssumeRoleWithWebIdentity":
		// Signed by no AWS credentials: the token and the role's trust policy decide (rule 14).
		return []requirement{{action: "sts:AssumeRoleWithWebIdentity", resource: c.form.Get("RoleArn"), free: true}}
	}
	return []requirement{{action: "sts:" + c.name, resource: "*"}}
}

func (l *Layer) iamRequirements(ctx context.Context, c *call) []requirement {
	part, acct := c.partition(), c.id.Account
	arn := func(kind, name string) string {
		path := c.form.Get("Path")
		if path == "" {
			path = "/"
		}
		return fmt.Sprintf("arn:%s:iam::%s:%s%s%s", part, acct, kind, path, name)
	}
	res := "*"
	switch {
	case c.form.Get("RoleName") != "":
		res = l.iamARN(ctx, c, "GetRole", "RoleName", c.form.Get("RoleName"))
		if res == "" {
			res = arn("role", c.form.Get("RoleName"))
		}
	case c.form.Get("UserName") != "":
		res = l.iamARN(ctx, c, "GetUser", "UserName", c.form.Get("UserName"))
		if res == "" {
			res = arn("user", c.form.Get("UserName"))
		}
	case c.form.Get("PolicyArn") != "":
		res = c.form.Get("PolicyArn")
	case c.form.Get("GroupName") != "":
		res = arn("group", c.form.Get("GroupName"))
	case strings.HasSuffix(c.name, "User") || strings.HasSuffix(c.name, "AccessKey") || strings.HasSuffix(c.name, "AccessKeys"):
		res = c.id.principalARN() // a user acting on itself
	}
	return []requirement{{action: "iam:" + c.name, resource: res}}
}

// iamARN returns the ARN (with its path) of an existing role or user, or "".
func (l *Layer) iamARN(ctx context.Context, c *call, action, param, name string) string {
	body, err := l.motoQuery(ctx, c.akid, "iam", map[string][]string{"Action": {action}, param: {name}, "Version": {"2010-05-08"}})
	if err != nil {
		return ""
	}
	return xmlField(body, "Arn")
}
