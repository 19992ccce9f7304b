package s3controltest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

const acct = "123456789012"

// body builds a CreateJob body from parts; each part replaces the default one of its name.
func body(parts map[string]string) string {
	def := map[string]string{
		"token":     `<ClientRequestToken>t1</ClientRequestToken>`,
		"priority":  `<Priority>10</Priority>`,
		"role":      `<RoleArn>arn:aws:iam::123456789012:role/batch</RoleArn>`,
		"report":    `<Report><Bucket>arn:aws:s3:::reports</Bucket><Enabled>true</Enabled><Format>Report_CSV_20180820</Format><ReportScope>FailedTasksOnly</ReportScope></Report>`,
		"operation": `<Operation><S3UpdateObjectEncryption><ObjectEncryption><SSE-KMS><KMSKeyArn>arn:aws:kms:us-east-1:123456789012:key/k</KMSKeyArn></SSE-KMS></ObjectEncryption></S3UpdateObjectEncryption></Operation>`,
		"manifest":  `<ManifestGenerator><S3JobManifestGenerator><EnableManifestOutput>false</EnableManifestOutput><SourceBucket>arn:aws:s3:::media</SourceBucket><Filter><MatchAnyObjectEncryption><ObjectEncryption><SSE-S3/></ObjectEncryption></MatchAnyObjectEncryption></Filter></S3JobManifestGenerator></ManifestGenerator>`,
	}
	for k, v := range parts {
		def[k] = v
	}
	var b strings.Builder
	b.WriteString(`<CreateJobRequest xmlns="` + ns + `">`)
	for _, k := range []string{"token", "priority", "role", "report", "operation", "manifest"} {
		b.WriteString(def[k])
	}
	b.WriteString(`</CreateJobRequest>`)
	return b.String()
}

func do(t *testing.T, s *Server, method, path, account, payload string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	if account != "" {
		req.Header.Set("x-amz-account-id", account)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCreateJobRefusals(t *testing.T) {
	cases := map[string]struct {
		account string
		parts   map[string]string
		want    string
	}{
		"valid":                            {acct, nil, ""},
		"no account header":                {"", nil, "x-amz-account-id"},
		"no token":                         {acct, map[string]string{"token": ""}, "ClientRequestToken"},
		"no role":                          {acct, map[string]string{"role": ""}, "RoleArn"},
		"no priority":                      {acct, map[string]string{"priority": ""}, "Priority"},
		"no report":                        {acct, map[string]string{"report": ""}, "Report"},
		"no operation":                     {acct, map[string]string{"operation": ""}, "Operation"},
		"token too long":                   {acct, map[string]string{"token": "<ClientRequestToken>" + strings.Repeat("x", 65) + "</ClientRequestToken>"}, "1 to 64"},
		"no manifest at all":               {acct, map[string]string{"manifest": ""}, "either Manifest or ManifestGenerator"},
		"manifest and generator":           {acct, map[string]string{"manifest": `<Manifest><Spec><Format>S3BatchOperations_CSV_20180820</Format></Spec></Manifest>` + `<ManifestGenerator><S3JobManifestGenerator><EnableManifestOutput>false</EnableManifestOutput><SourceBucket>arn:aws:s3:::media</SourceBucket></S3JobManifestGenerator></ManifestGenerator>`}, "not both"},
		"two operations":                   {acct, map[string]string{"operation": `<Operation><S3PutObjectCopy><TargetResource>arn:aws:s3:::media</TargetResource></S3PutObjectCopy><S3DeleteObjectTagging/></Operation>`}, "exactly one operation"},
		"update to non-kms":                {acct, map[string]string{"operation": `<Operation><S3UpdateObjectEncryption><ObjectEncryption><SSE-S3/></ObjectEncryption></S3UpdateObjectEncryption></Operation>`}, "only change objects to SSE-KMS"},
		"update without key":               {acct, map[string]string{"operation": `<Operation><S3UpdateObjectEncryption><ObjectEncryption><SSE-KMS></SSE-KMS></ObjectEncryption></S3UpdateObjectEncryption></Operation>`}, "KMSKeyArn"},
		"update with alias":                {acct, map[string]string{"operation": `<Operation><S3UpdateObjectEncryption><ObjectEncryption><SSE-KMS><KMSKeyArn>alias/x</KMSKeyArn></SSE-KMS></ObjectEncryption></S3UpdateObjectEncryption></Operation>`}, "KMSKeyArn"},
		"copy without target":              {acct, map[string]string{"operation": `<Operation><S3PutObjectCopy></S3PutObjectCopy></Operation>`}, "TargetResource"},
		"report without bucket":            {acct, map[string]string{"report": `<Report><Enabled>true</Enabled><Format>Report_CSV_20180820</Format><ReportScope>AllTasks</ReportScope></Report>`}, "bucket ARN"},
		"manifest output without location": {acct, map[string]string{"manifest": `<ManifestGenerator><S3JobManifestGenerator><EnableManifestOutput>true</EnableManifestOutput><SourceBucket>arn:aws:s3:::media</SourceBucket></S3JobManifestGenerator></ManifestGenerator>`}, "ManifestOutputLocation"},
		"filter entry with two kinds":      {acct, map[string]string{"manifest": `<ManifestGenerator><S3JobManifestGenerator><EnableManifestOutput>false</EnableManifestOutput><SourceBucket>arn:aws:s3:::media</SourceBucket><Filter><MatchAnyObjectEncryption><ObjectEncryption><SSE-S3/><NOT-SSE/></ObjectEncryption></MatchAnyObjectEncryption></Filter></S3JobManifestGenerator></ManifestGenerator>`}, "exactly one of"},
		"two encryption filters":           {acct, map[string]string{"manifest": `<ManifestGenerator><S3JobManifestGenerator><EnableManifestOutput>false</EnableManifestOutput><SourceBucket>arn:aws:s3:::media</SourceBucket><Filter><MatchAnyObjectEncryption><ObjectEncryption><NOT-SSE/></ObjectEncryption><ObjectEncryption><DSSE-KMS/></ObjectEncryption></MatchAnyObjectEncryption></Filter></S3JobManifestGenerator></ManifestGenerator>`}, "exactly one ObjectEncryption, not 2"},
		"not xml":                          {acct, map[string]string{"token": "<"}, "MalformedXML"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := New()
			defer s.Close()
			code, out := do(t, s, http.MethodPost, "/v20180820/jobs", tc.account, body(tc.parts))
			if tc.want == "" {
				if code != http.StatusOK || !strings.Contains(out, "<JobId>00000000-0000-4000-8000-") {
					t.Fatalf("valid request: %d %s", code, out)
				}
				return
			}
			if code != http.StatusBadRequest || !strings.Contains(out, tc.want) {
				t.Errorf("got %d %s, want 400 mentioning %q", code, out, tc.want)
			}
			if len(s.Jobs()) != 0 {
				t.Error("a refused request created a job")
			}
		})
	}
}

func TestTokenIsIdempotentPerAccount(t *testing.T) {
	s := New()
	defer s.Close()
	_, first := do(t, s, http.MethodPost, "/v20180820/jobs", acct, body(nil))
	_, second := do(t, s, http.MethodPost, "/v20180820/jobs", acct, body(nil))
	if first != second {
		t.Errorf("same token, different answers:\n%s\n%s", first, second)
	}
	_, other := do(t, s, http.MethodPost, "/v20180820/jobs", "210987654321", body(nil))
	if other == first {
		t.Error("another account's job with the same token answered the first account's job")
	}
	if n := len(s.Jobs()); n != 2 {
		t.Errorf("%d jobs, want 2 (one per account)", n)
	}
	// Another account cannot read the job.
	if code, _ := do(t, s, http.MethodGet, "/v20180820/jobs/"+s.Jobs()[0].ID, "210987654321", ""); code != http.StatusNotFound {
		t.Errorf("DescribeJob from another account: %d, want 404", code)
	}
}

func TestDroppedAnswerStillCreates(t *testing.T) {
	s := New()
	defer s.Close()
	s.DropNextCreateAnswers(1)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v20180820/jobs", strings.NewReader(body(nil)))
	req.Header.Set("x-amz-account-id", acct)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a dropped answer arrived")
	}
	if n := len(s.Jobs()); n != 1 {
		t.Errorf("%d jobs, want 1", n)
	}
}

func TestListJobsPagesAndFilters(t *testing.T) {
	s := New()
	defer s.Close()
	for _, tok := range []string{"a", "b", "c"} {
		do(t, s, http.MethodPost, "/v20180820/jobs", acct, body(map[string]string{"token": "<ClientRequestToken>" + tok + "</ClientRequestToken>"}))
	}
	if _, err := s.Advance(s.Jobs()[0].ID); err != nil {
		t.Fatal(err)
	}
	_, page := do(t, s, http.MethodGet, "/v20180820/jobs?maxResults=2", acct, "")
	if strings.Count(page, "<JobId>") != 2 || !strings.Contains(page, "<NextToken>2</NextToken>") {
		t.Errorf("first page: %s", page)
	}
	_, rest := do(t, s, http.MethodGet, "/v20180820/jobs?maxResults=2&nextToken=2", acct, "")
	if strings.Count(rest, "<JobId>") != 1 || strings.Contains(rest, "NextToken") {
		t.Errorf("second page: %s", rest)
	}
	_, preparing := do(t, s, http.MethodGet, "/v20180820/jobs?jobStatuses=Preparing", acct, "")
	if strings.Count(preparing, "<JobId>") != 1 || !strings.Contains(preparing, "<Operation>S3UpdateObjectEncryption</Operation>") {
		t.Errorf("filtered: %s", preparing)
	}
	if code, _ := do(t, s, http.MethodGet, "/v20180820/jobs?maxResults=1001", acct, ""); code != http.StatusBadRequest {
		t.Errorf("maxResults 1001: %d, want 400", code)
	}
}

func TestRecordAndUnknownPaths(t *testing.T) {
	s := New()
	defer s.Close()
	if code, _ := do(t, s, http.MethodDelete, "/v20180820/jobs/x", acct, ""); code != http.StatusNotImplemented {
		t.Errorf("unknown operation: %d, want 501", code)
	}
	do(t, s, http.MethodPost, "/v20180820/jobs", acct, body(nil))
	reqs := s.Requests()
	if len(reqs) != 2 || reqs[1].Op != "CreateJob" || reqs[1].Create == nil || reqs[1].Status != http.StatusOK {
		t.Errorf("record: %+v", reqs)
	}
	if _, err := s.Advance("nope"); err == nil {
		t.Error("advancing a missing job succeeded")
	}
}
