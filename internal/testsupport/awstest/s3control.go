package awstest

// Rule 13 — S3 Control's Batch Operations requests checked against the caller's IAM policy.
//
// moto implements no S3 Control (a stand-in answers the jobs API in tests: internal/testsupport/s3controltest),
// so nothing checked who may create a job, of which operation, passing which role. The layer
// authorises each jobs request as the Service Authorization Reference for Amazon S3 says
// ("Actions, resources, and condition keys for Amazon S3",
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html) and then
// forwards it to the stand-in registered for the caller's access key (SetS3Control):
//
//   - CreateJob: s3:CreateJob (no resource type: "*") with the condition keys the request sets —
//     s3:RequestJobOperation ("Filters access by operation to creating jobs": the name of the
//     operation element of the request, such as S3PutObjectCopy), s3:RequestJobPriority,
//     aws:RequestTag/${TagKey} and aws:TagKeys from its tags — and its dependent action
//     iam:PassRole on the job's role, with iam:PassedToService batchoperations.s3.amazonaws.com
//     ("IAM and AWS STS condition context keys", iam:PassedToService,
//     https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService;
//     "Granting permissions for Batch Operations": "The same entity that creates the job must also
//     have the iam:PassRole permission",
//     https://docs.aws.amazon.com/AmazonS3/latest/userguide/batch-ops-iam-role-policies.html);
//   - ListJobs: s3:ListJobs on "*"; DescribeJob, UpdateJobStatus, GetJobTagging: the action of
//     that name on the job (arn:PARTITION:s3:REGION:ACCOUNT:job/ID).
//
// A refusal is S3 Control's AccessDenied. BatchMayAssume judges a job role's trust policy as STS
// does when Batch Operations assumes it for a job of an account (aws:SourceAccount).

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"

	"github.com/sseguard/sseguard/internal/iampolicy"
)

// batchService is the service principal of S3 Batch Operations.
const batchService = "batchoperations.s3.amazonaws.com"

// s3ControlJobPath is the jobs API's path: /v20180820/jobs[/ID[/status|/tagging]].
var s3ControlJobPath = regexp.MustCompile(`^/v20180820/jobs(?:/([^/]+)(/status|/tagging)?)?$`)

// SetS3Control sends the S3 Control requests signed with accessKeyID to the S3 Control endpoint
// at url (a stand-in), once the layer has authorised them; "" stops it (they are then answered
// NotImplemented, as without a registration).
func (l *Layer) SetS3Control(accessKeyID, url string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if url == "" {
		delete(l.s3control, accessKeyID)
		return
	}
	l.s3control[accessKeyID] = url
}

// isS3Control reports whether the request is one of S3 Control's jobs requests (they are signed
// for s3, and name the account in x-amz-account-id).
func isS3Control(r *http.Request) bool {
	return r.Header.Get("X-Amz-Account-Id") != "" && s3ControlJobPath.MatchString(r.URL.Path)
}

// s3ControlOperation names a jobs request.
func s3ControlOperation(r *http.Request) string {
	m := s3ControlJobPath.FindStringSubmatch(r.URL.Path)
	switch {
	case m == nil:
		return ""
	case m[1] == "" && r.Method == http.MethodPost:
		return "CreateJob"
	case m[1] == "" && r.Method == http.MethodGet:
		return "ListJobs"
	case m[2] == "" && r.Method == http.MethodGet:
		return "DescribeJob"
	case m[2] == "/status" && r.Method == http.MethodPost:
		return "UpdateJobStatus"
	case m[2] == "/tagging" && r.Method == http.MethodGet:
		return "GetJobTagging"
	}
	return r.Method + " " + r.URL.Path
}

// createJobBody is the part of a CreateJob request the layer reads.
type createJobBody struct {
	Operation struct {
		Inner []struct{ XMLName xml.Name } `xml:",any"`
	} `xml:"Operation"`
	Priority string `xml:"Priority"`
	RoleArn  string `xml:"RoleArn"`
	Tags     []struct {
		Key   string `xml:"Key"`
		Value string `xml:"Value"`
	} `xml:"Tags>member"`
}

func (l *Layer) s3ControlRequirements(c *call) []requirement {
	account := c.r.Header.Get("X-Amz-Account-Id")
	m := s3ControlJobPath.FindStringSubmatch(c.r.URL.Path)
	job := fmt.Sprintf("arn:%s:s3:%s:%s:job/%s", c.partition(), c.region, account, m[1])
	switch c.name {
	case "CreateJob":
		var body createJobBody
		_ = xml.Unmarshal(c.body, &body) // a malformed body is the service's to refuse
		ctx := map[string][]string{"s3:RequestJobPriority": {body.Priority}}
		if len(body.Operation.Inner) == 1 {
			ctx["s3:RequestJobOperation"] = []string{body.Operation.Inner[0].XMLName.Local}
		}
		var keys []string
		for _, t := range body.Tags {
			ctx["aws:RequestTag/"+t.Key] = []string{t.Value}
			keys = append(keys, t.Key)
		}
		if len(keys) > 0 {
			ctx["aws:TagKeys"] = keys
		}
		return []requirement{
			{action: "s3:CreateJob", resource: "*", ctx: ctx},
			{action: "iam:PassRole", resource: body.RoleArn, ctx: map[string][]string{"iam:PassedToService": {batchService}}},
		}
	case "ListJobs":
		return []requirement{{action: "s3:ListJobs", resource: "*"}}
	case "DescribeJob", "UpdateJobStatus", "GetJobTagging":
		return []requirement{{action: "s3:" + c.name, resource: job}}
	}
	return []requirement{{action: "s3:" + c.name, resource: "*"}}
}

// dispatchS3Control forwards an authorised jobs request to the caller's S3 Control endpoint.
func (l *Layer) dispatchS3Control(w http.ResponseWriter, c *call) {
	l.mu.Lock()
	target := l.s3control[c.akid]
	l.mu.Unlock()
	if target == "" {
		writeS3Error(w, http.StatusNotImplemented, "NotImplemented", "no S3 Control endpoint is registered for this access key (Layer.SetS3Control)")
		return
	}
	u, err := url.Parse(target)
	if err != nil {
		writeS3Error(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, c.r)
}

// BatchMayAssume says whether S3 Batch Operations may assume roleARN to run a job of account, as
// STS decides it: the role's trust policy must allow the service principal
// batchoperations.s3.amazonaws.com sts:AssumeRole, with aws:SourceAccount the job's account ("AWS
// global condition context keys": aws:SourceAccount is present "when the call to your resource is
// made directly by an AWS service principal",
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount).
// No page of S3's documentation here says which aws:SourceArn Batch Operations sends, so the
// layer sends none: a trust policy that requires one is refused.
func (l *Layer) BatchMayAssume(ctx context.Context, roleARN, account string) error {
	a, ok := parseARN(roleARN)
	if !ok {
		return errors.New("not a role ARN")
	}
	c := &call{}
	c.id.Account = a.account
	doc, why := l.roleTrust(ctx, c, roleARN)
	if doc == nil {
		return errors.New(why)
	}
	req := iampolicy.Request{Principal: batchService, Action: "sts:AssumeRole", Resource: roleARN,
		Context: map[string][]string{"aws:SourceAccount": {account}, "aws:PrincipalServiceName": {batchService}}}
	if doc.Explain(req, iampolicy.EvalOptions{}).Decision != iampolicy.Allow {
		return fmt.Errorf("the trust policy of %s does not let %s assume it for a job of account %s", roleARN, batchService, account)
	}
	return nil
}

// s3ControlService is the layer's service name for S3 Control's jobs requests.
const s3ControlService = "s3control"

// classifyS3Control fills in a jobs request.
func (c *call) classifyS3Control() error {
	c.service = s3ControlService
	c.name = s3ControlOperation(c.r)
	c.op = "s3control:" + c.name
	if c.name == "CreateJob" {
		return c.readBody()
	}
	return nil
}
