package awstest

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The layer's own calls to moto. moto refuses anonymous requests and does not check signatures:
// it takes the account (and the caller) from the access key id in the credential, so every call
// the layer makes on behalf of a request carries that request's access key id.

func authHeader(akid, region, service string) string {
	if akid == "" {
		akid = "testing"
	}
	if region == "" {
		region = "us-east-1"
	}
	return fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/20260101/%s/%s/aws4_request, SignedHeaders=host, Signature=0", akid, region, service)
}

// motoDo sends a request to moto and returns its status and body.
func (l *Layer) motoDo(ctx context.Context, req *http.Request) (int, http.Header, []byte, error) {
	req = req.WithContext(ctx)
	resp, err := l.client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxInspectedBody))
	return resp.StatusCode, resp.Header, b, err
}

// motoS3 sends an S3 request (path-style, escaped path and query) to moto as akid.
func (l *Layer) motoS3(ctx context.Context, akid, method, pathAndQuery string, hdr http.Header, body []byte) (int, http.Header, []byte, error) {
	var rd io.Reader = http.NoBody
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, l.upstream+pathAndQuery, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", authHeader(akid, "", "s3"))
	return l.motoDo(ctx, req)
}

// headResult is moto's answer to a HEAD of an object.
type headResult struct {
	status int
	hdr    http.Header
	err    error
}

// headObject HEADs an object in moto (path as objectPath builds it, with ?versionId= when a
// version is meant) once per request: the rules that read the same object before the request is
// forwarded (its encryption for kms:Decrypt, its ETag for a condition, its website redirect for a
// copy) share one answer. Reads after the request has changed the object call motoS3.
func (l *Layer) headObject(ctx context.Context, c *call, path string) (int, http.Header, error) {
	if h, ok := c.heads[path]; ok {
		return h.status, h.hdr, h.err
	}
	status, hdr, _, err := l.motoS3(ctx, c.akid, http.MethodHead, path, nil, nil)
	if c.heads == nil {
		c.heads = map[string]headResult{}
	}
	c.heads[path] = headResult{status, hdr, err}
	return status, hdr, err
}

// awsError is an error answer from moto.
type awsError struct {
	Status  int
	Code    string
	Message string
}

func (e *awsError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status)
}

// motoKMS calls a KMS operation on moto as akid and decodes the JSON answer into out.
func (l *Layer) motoKMS(ctx context.Context, akid, region, op string, in any, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(http.MethodPost, l.upstream+"/", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "TrentService."+op)
	req.Header.Set("Authorization", authHeader(akid, region, "kms"))
	status, _, body, err := l.motoDo(ctx, req)
	if err != nil {
		return fmt.Errorf("kms %s: %w", op, err)
	}
	if status != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(body, &e)
		return &awsError{Status: status, Code: targetName(e.Type), Message: e.Message}
	}
	if out == nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	return dec.Decode(out)
}

// motoQuery calls an IAM or STS query-protocol action on moto as akid and returns the XML body.
func (l *Layer) motoQuery(ctx context.Context, akid, service string, params url.Values) ([]byte, error) {
	req, err := http.NewRequest(http.MethodPost, l.upstream+"/", strings.NewReader(params.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", authHeader(akid, "us-east-1", service))
	status, _, body, err := l.motoDo(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", service, params.Get("Action"), err)
	}
	if status != http.StatusOK {
		var e struct {
			Error struct {
				Code    string `xml:"Code"`
				Message string `xml:"Message"`
			} `xml:"Error"`
		}
		_ = xml.Unmarshal(body, &e)
		return nil, &awsError{Status: status, Code: e.Error.Code, Message: e.Error.Message}
	}
	return body, nil
}

// identity is who an access key belongs to, as moto's STS GetCallerIdentity says.
type identity struct {
	ARN     string // arn:aws:sts::111122223333:assumed-role/R/S, arn:aws:iam::111122223333:user/U, ...
	Account string
	UserID  string
}

// principalARN is the value of aws:PrincipalArn: the role ARN for an assumed-role session
// ("AWS global condition context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
func (id identity) principalARN() string {
	a, ok := parseARN(id.ARN)
	if !ok || a.service != "sts" {
		return id.ARN
	}
	rest, ok := strings.CutPrefix(a.resource, "assumed-role/")
	if !ok {
		return id.ARN
	}
	role, _, _ := strings.Cut(rest, "/")
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", a.partition, a.account, role)
}

func (id identity) partition() string {
	if a, ok := parseARN(id.ARN); ok {
		return a.partition
	}
	return "aws"
}

// caller returns (and caches) the identity behind an access key.
func (l *Layer) caller(ctx context.Context, akid string) (identity, error) {
	if akid == "" {
		return identity{}, nil
	}
	l.mu.Lock()
	id, ok := l.callers[akid]
	l.mu.Unlock()
	if ok {
		return id, nil
	}
	body, err := l.motoQuery(ctx, akid, "sts", url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
	if err != nil {
		return identity{}, fmt.Errorf("find the caller of access key %s: %w", akid, err)
	}
	var out struct {
		Result struct {
			Arn     string `xml:"Arn"`
			Account string `xml:"Account"`
			UserID  string `xml:"UserId"`
		} `xml:"GetCallerIdentityResult"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		return identity{}, fmt.Errorf("read the caller of access key %s: %w", akid, err)
	}
	id = identity{ARN: out.Result.Arn, Account: out.Result.Account, UserID: out.Result.UserID}
	l.mu.Lock()
	l.callers[akid] = id
	l.mu.Unlock()
	return id, nil
}

type arnParts struct {
	partition, service, region, account, resource string
}

func parseARN(s string) (arnParts, bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return arnParts{}, false
	}
	return arnParts{p[1], p[2], p[3], p[4], p[5]}, true
}

// ctxTimeout bounds the layer's own calls to moto.
func ctxTimeout(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, 30*time.Second)
}
