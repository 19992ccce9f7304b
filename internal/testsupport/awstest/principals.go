package awstest

// Rule 4 — deleted principals.
//
// "IAM JSON policy elements: Principal" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html):
// when a policy names an IAM role or user, AWS stores the principal's unique id; if the role or
// user is deleted, the policy shows the unique id (AROA… for roles, AIDA… for users) instead of
// the ARN, and a role recreated with the same name is a different principal. Writing a policy
// that names a principal that does not exist, or a unique id, is refused: S3 answers
// MalformedPolicy "Invalid principal in policy" ("How do I troubleshoot the error 'Invalid
// principal in policy' in S3?", https://repost.aws/knowledge-center/s3-invalid-principal-in-policy-error),
// KMS answers MalformedPolicyDocumentException (PutKeyPolicy: "The principals in the key policy
// must exist and be visible to KMS", https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// uniqueIDPattern matches IAM unique ids (roles AROA, users AIDA, groups AGPA, ...): "IAM
// identifiers", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids.
var uniqueIDPattern = regexp.MustCompile(`^A(ROA|IDA|GPA|IPA|NPA|NVA|SIA|KIA|3T|BIA|CCA|PKA)[A-Z0-9]{12,}$`)

// principalProblem says why a policy's AWS principal is invalid, or "" when it is valid.
func (l *Layer) principalProblem(ctx context.Context, c *call, p string) string {
	if p == "*" || isAccountID(p) {
		return ""
	}
	if uniqueIDPattern.MatchString(p) {
		return fmt.Sprintf("%s is a unique id (its principal was deleted)", p)
	}
	a, ok := parseARN(p)
	if !ok {
		return fmt.Sprintf("%s is neither an ARN nor an account id", p)
	}
	if a.service == "sts" || (a.service == "iam" && a.resource == "root") || strings.Contains(p, "*") {
		return ""
	}
	if a.service != "iam" {
		return fmt.Sprintf("%s is not an IAM principal", p)
	}
	if isOAI(a) {
		return ""
	}
	kind, _, _ := strings.Cut(a.resource, "/")
	if kind != "role" && kind != "user" {
		return ""
	}
	exists, _ := l.principalExists(ctx, c, p)
	if !exists {
		return fmt.Sprintf("%s does not exist", p)
	}
	return ""
}

// isOAI reports whether an IAM ARN names a CloudFront origin access identity,
// arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity ID: S3 accepts it in a bucket
// policy ("Restrict access to an Amazon S3 origin",
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html,
// shows such a statement). It is no IAM user of any account moto knows, so the layer neither looks
// it up nor shows it as deleted; moto has no CloudFront identities to check it against.
func isOAI(a arnParts) bool {
	return a.account == "cloudfront" && strings.HasPrefix(a.resource, "user/CloudFront Origin Access Identity ")
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// principalExists looks an IAM role or user ARN up in moto and returns whether it exists and its
// current unique id. It remembers the unique id of every principal it finds.
func (l *Layer) principalExists(ctx context.Context, c *call, p string) (bool, string) {
	a, _ := parseARN(p)
	kind, rest, _ := strings.Cut(a.resource, "/")
	name := rest[strings.LastIndexByte(rest, '/')+1:]
	akid := l.akidForAccount(ctx, c, a.account)
	action, param, idField := "GetRole", "RoleName", "RoleId"
	if kind == "user" {
		action, param, idField = "GetUser", "UserName", "UserId"
	}
	body, err := l.motoQuery(ctx, akid, "iam", url.Values{"Action": {action}, param: {name}, "Version": {"2010-05-08"}})
	if err != nil {
		return false, ""
	}
	arn, id := xmlField(body, "Arn"), xmlField(body, idField)
	if arn != p || id == "" {
		return false, ""
	}
	l.mu.Lock()
	if _, ok := l.principal[p]; !ok {
		l.principal[p] = id
	}
	l.mu.Unlock()
	return true, id
}

// xmlField returns the text of the first element with that local name.
func xmlField(body []byte, name string) string {
	dec := xml.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == name {
			var s string
			if dec.DecodeElement(&s, &se) == nil {
				return s
			}
			return ""
		}
	}
}

// akidForAccount returns an access key id moto maps to the account: the caller's own for its
// account, else one from an STS AssumeRole session into that account (moto lets any caller assume
// a role in any account, which is how tests set up several accounts).
func (l *Layer) akidForAccount(ctx context.Context, c *call, account string) string {
	if account == "" || account == c.id.Account {
		return c.akid
	}
	key := "account:" + account
	l.mu.Lock()
	id, ok := l.callers[key]
	l.mu.Unlock()
	if ok {
		return id.UserID
	}
	body, err := l.motoQuery(ctx, c.akid, "sts", url.Values{
		"Action": {"AssumeRole"}, "Version": {"2011-06-15"},
		"RoleArn":         {fmt.Sprintf("arn:%s:iam::%s:role/awstest-principal-check", c.partition(), account)},
		"RoleSessionName": {"awstest"},
	})
	if err != nil {
		return c.akid
	}
	akid := xmlField(body, "AccessKeyId")
	l.mu.Lock()
	l.callers[key] = identity{UserID: akid}
	l.mu.Unlock()
	return akid
}

// awsPrincipals returns every AWS principal value (Principal and NotPrincipal) of a document.
func awsPrincipals(d *iampolicy.Document) []string {
	var out []string
	for _, s := range d.Statements {
		for _, p := range []*iampolicy.Principal{s.Principal, s.NotPrincipal} {
			if p != nil {
				out = append(out, p.AWS...)
			}
		}
	}
	return out
}

// invalidPrincipals returns why each invalid AWS principal of the document is invalid.
func (l *Layer) invalidPrincipals(ctx context.Context, c *call, d *iampolicy.Document) []string {
	var bad []string
	seen := map[string]bool{}
	for _, p := range awsPrincipals(d) {
		if seen[p] {
			continue
		}
		seen[p] = true
		if why := l.principalProblem(ctx, c, p); why != "" {
			bad = append(bad, why)
		}
	}
	return bad
}

// uniqueIDFor returns the unique id AWS shows for a principal that no longer exists: the one it
// had when the layer last saw it, else a stable made-up one of the right kind.
func (l *Layer) uniqueIDFor(p string) string {
	l.mu.Lock()
	id, ok := l.principal[p]
	l.mu.Unlock()
	if ok {
		return id
	}
	prefix := "AROA"
	if a, _ := parseARN(p); strings.HasPrefix(a.resource, "user/") {
		prefix = "AIDA"
	}
	sum := sha256.Sum256([]byte(p))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b strings.Builder
	b.WriteString(prefix)
	for i := 0; i < 17; i++ {
		b.WriteByte(alphabet[int(sum[i])%len(alphabet)])
	}
	return b.String()
}

// showDeletedPrincipals returns the policy text as AWS shows it: every role or user principal that
// no longer exists (or was recreated, and so is another principal) replaced by its unique id. The
// text is returned unchanged when no principal needs it.
func (l *Layer) showDeletedPrincipals(ctx context.Context, c *call, text string) string {
	d, err := iampolicy.Parse(text)
	if err != nil {
		return text
	}
	replace := map[string]string{}
	for _, p := range awsPrincipals(d) {
		a, ok := parseARN(p)
		if !ok || a.service != "iam" || strings.Contains(p, "*") || isOAI(a) {
			continue
		}
		kind, _, _ := strings.Cut(a.resource, "/")
		if kind != "role" && kind != "user" {
			continue
		}
		l.mu.Lock()
		known, wasSeen := l.principal[p]
		l.mu.Unlock()
		exists, current := l.principalExists(ctx, c, p)
		if !exists || (wasSeen && current != known) {
			replace[p] = l.uniqueIDFor(p)
		}
	}
	if len(replace) == 0 {
		return text
	}
	var doc any
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	if dec.Decode(&doc) != nil {
		return text
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return text
	}
	stmts, ok := top["Statement"].([]any)
	if !ok {
		stmts = []any{top["Statement"]}
	}
	for _, s := range stmts {
		sm, ok := s.(map[string]any)
		if !ok {
			continue
		}
		for _, el := range []string{"Principal", "NotPrincipal"} {
			pm, ok := sm[el].(map[string]any)
			if !ok {
				continue
			}
			switch v := pm["AWS"].(type) {
			case string:
				if r, ok := replace[v]; ok {
					pm["AWS"] = r
				}
			case []any:
				for i, e := range v {
					if es, ok := e.(string); ok {
						if r, ok := replace[es]; ok {
							v[i] = r
						}
					}
				}
			}
		}
	}
	out, err := json.Marshal(top)
	if err != nil {
		return text
	}
	return string(out)
}
