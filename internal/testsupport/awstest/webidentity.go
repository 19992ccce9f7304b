package awstest

// Rule 12 — AssumeRoleWithWebIdentity as STS decides it.
//
// moto answers AssumeRoleWithWebIdentity with credentials for any role ARN and any token, whatever
// the token says and whatever the role's trust policy allows. STS does not ("AssumeRoleWithWebIdentity",
// AWS Security Token Service API Reference,
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html): the
// token's issuer must be an OpenID Connect provider registered in the role's account, its audience
// one of the provider's client ids (else InvalidIdentityToken), and the role's trust policy must
// allow sts:AssumeRoleWithWebIdentity to that provider (a Federated principal) with the token's
// claims as condition keys named after the provider, PROVIDER:aud and PROVIDER:sub ("IAM and AWS
// STS condition context keys", Available keys for AWS OIDC federation,
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#condition-keys-wif).
// A refusal is AccessDenied "Not authorized to perform sts:AssumeRoleWithWebIdentity", the message
// GitHub's OIDC guides quote for a subject the trust policy does not name.
//
// The layer does not check the token's signature (tests issue the tokens; the provider's keys are
// not reachable here): it judges what a correctly signed token with these claims would get.

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// webIdentityClaims are the claims of an OIDC token the layer reads.
type webIdentityClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Exp int64           `json:"exp"`
}

// audiences reads aud, a string or a list of strings (RFC 7519, section 4.1.3).
func (w webIdentityClaims) audiences() []string {
	var one string
	if json.Unmarshal(w.Aud, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(w.Aud, &many)
	return many
}

// parseWebIdentityToken reads the claims of a JWT (header.payload.signature, base64url).
func parseWebIdentityToken(tok string) (webIdentityClaims, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return webIdentityClaims{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return webIdentityClaims{}, false
	}
	var cl webIdentityClaims
	if json.Unmarshal(raw, &cl) != nil || cl.Iss == "" {
		return webIdentityClaims{}, false
	}
	return cl, true
}

// refuseWebIdentity answers (and returns true) when STS would refuse the AssumeRoleWithWebIdentity
// request.
func (l *Layer) refuseWebIdentity(w http.ResponseWriter, c *call) bool {
	ctx, cancel := ctxTimeout(c.r.Context())
	defer cancel()
	roleARN := c.form.Get("RoleArn")
	status, code, msg := l.webIdentityProblem(ctx, c, roleARN)
	if code == "" {
		return false
	}
	l.record(c, []requirement{{action: "sts:AssumeRoleWithWebIdentity", resource: roleARN, reason: msg}}, msg)
	writeQueryError(w, "sts", status, code, msg)
	return true
}

// webIdentityProblem says how STS refuses the request (status, code, message), or code "".
func (l *Layer) webIdentityProblem(ctx context.Context, c *call, roleARN string) (int, string, string) {
	const notAuthorized = "Not authorized to perform sts:AssumeRoleWithWebIdentity"
	cl, ok := parseWebIdentityToken(c.form.Get("WebIdentityToken"))
	if !ok {
		return http.StatusBadRequest, "InvalidIdentityToken", "Couldn't parse the web identity token: it is not a JWT"
	}
	if cl.Exp != 0 && time.Unix(cl.Exp, 0).Before(time.Now()) {
		return http.StatusBadRequest, "ExpiredTokenException", "Token expired"
	}
	a, ok := parseARN(roleARN)
	if !ok {
		return http.StatusForbidden, "AccessDenied", notAuthorized
	}
	// The provider is named by the issuer URL without its scheme.
	host := strings.TrimPrefix(cl.Iss, "https://")
	provider := "arn:" + a.partition + ":iam::" + a.account + ":oidc-provider/" + host
	body, err := l.motoQuery(ctx, l.akidForAccount(ctx, c, a.account), "iam", url.Values{
		"Action": {"GetOpenIDConnectProvider"}, "OpenIDConnectProviderArn": {provider}, "Version": {"2010-05-08"},
	})
	if err != nil {
		return http.StatusBadRequest, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for " + cl.Iss
	}
	clients := xmlMembers(body, "ClientIDList")
	auds := cl.audiences()
	if !slices.ContainsFunc(auds, func(a string) bool { return slices.Contains(clients, a) }) {
		return http.StatusBadRequest, "InvalidIdentityToken", "Incorrect token audience"
	}
	doc, _ := l.roleTrust(ctx, c, roleARN)
	if doc == nil {
		return http.StatusForbidden, "AccessDenied", notAuthorized
	}
	reqCtx := l.baseContext(c)
	reqCtx[host+":sub"] = []string{cl.Sub}
	reqCtx[host+":aud"] = auds
	req := iampolicy.Request{Principal: provider, Action: "sts:AssumeRoleWithWebIdentity", Resource: roleARN, Context: reqCtx}
	if doc.Explain(req, iampolicy.EvalOptions{}).Decision != iampolicy.Allow {
		return http.StatusForbidden, "AccessDenied", notAuthorized
	}
	return 0, "", ""
}

// xmlMembers returns the <member> values inside the first element called list.
func xmlMembers(body []byte, list string) []string {
	_, rest, ok := strings.Cut(string(body), "<"+list+">")
	if !ok {
		return nil
	}
	inner, _, _ := strings.Cut(rest, "</"+list+">")
	var out []string
	for {
		_, after, ok := strings.Cut(inner, "<member>")
		if !ok {
			return out
		}
		v, next, _ := strings.Cut(after, "</member>")
		out = append(out, xmlUnescape(v))
		inner = next
	}
}

func xmlUnescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'", "&amp;", "&").Replace(s)
}

// WebIdentityToken returns an OIDC token (a JWT) with claims, for AssumeRoleWithWebIdentity in
// tests: its signature is a placeholder, which the layer does not check (see rule 12).
func WebIdentityToken(claims map[string]any) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": "awstest"}) + "." + enc(claims) + "." +
		base64.RawURLEncoding.EncodeToString([]byte("unsigned"))
}
