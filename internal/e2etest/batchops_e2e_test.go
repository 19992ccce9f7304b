package e2etest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
	"github.com/sseguard/sseguard/internal/testsupport/s3controltest"
)

// Batch Operations end to end: S3 and KMS are moto behind the strict layer; S3 Control, which no
// emulator here implements, is the stand-in of internal/testsupport/s3controltest, reached through the SDK's
// own service-specific endpoint variable (AWS_ENDPOINT_URL_S3_CONTROL). What the binary sent is
// checked from the stand-in's record, not from sseguard's output.

type batchScene struct {
	e                       *e2e
	srv                     *s3controltest.Server
	bucket, reports, keyARN string
	pol, role               string
	// extra statements the sseguard key gets beside the generated policy (e.g. the inventory's
	// destination, which the README tells users to grant).
	extra []map[string]any
}

// sceneOpts vary a batch scene.
type sceneOpts struct {
	// legacy creates the bucket in moto itself (with ACLs off), as a bucket made before 2023: an
	// object written without encryption headers there is unencrypted.
	legacy bool
	// seed is a Python fragment that writes the bucket's objects (BUCKET, s3 and, for a legacy
	// bucket, moto_s3 are defined); the default writes six SSE-S3 objects under masters/.
	seed string
	// exec makes the stand-in's jobs do their work against S3, as the job role sseguard
	// generates (iam-policy --role batch) would.
	exec bool
	// confirm is the policy's confirmation_required (default true).
	noConfirm bool
}

const defaultSeed = `
for i in range(6):
    s3.put_object(Bucket=BUCKET, Key="masters/%d.mov" % i, Body=os.urandom(256), ServerSideEncryption="AES256")
`

func newBatchScene(t *testing.T) *batchScene { return newBatchSceneWith(t, sceneOpts{}) }

func newBatchSceneWith(t *testing.T, o sceneOpts) *batchScene {
	e := newE2E(t)
	s := &batchScene{e: e, bucket: e.name("media-archive"), reports: e.name("media-reports")}
	alias := e.alias("archive")
	s.role = fmt.Sprintf("arn:aws:iam::%s:role/%s", motoserver.Account, e.name("sseguard-batch"))
	create := `s3.create_bucket(Bucket=BUCKET)`
	if o.legacy {
		create = `moto_s3.create_bucket(Bucket=BUCKET, ObjectOwnership="BucketOwnerEnforced")`
	}
	if o.seed == "" {
		o.seed = defaultSeed
	}
	var seeded struct{ Key string }
	c := e.withBucket(s.bucket)
	c.env = append(c.env, "MOTO="+layer.Upstream())
	c.py(fmt.Sprintf(`
moto_s3 = boto3.client("s3", endpoint_url=os.environ["MOTO"], region_name="us-east-1")
%s
s3.create_bucket(Bucket=%s)
key = kms.create_key(Description="archive")["KeyMetadata"]
kms.create_alias(AliasName=%s, TargetKeyId=key["KeyId"])
%s
print(json.dumps({"Key": key["Arn"]}))
`, create, pyStr(s.reports), pyStr(alias), o.seed), &seeded)
	s.keyARN = seeded.Key
	confirm := ""
	if o.noConfirm {
		confirm = "      confirmation_required: false\n"
	}
	s.pol = e.policy(`version: 1
buckets:
  - name: ` + s.bucket + `
    encryption: sse-kms
    kms_key: ` + alias + `
    existing_objects: reencrypt
    prefixes: [masters/]
    engine: batch-operations
    batch_operations:
      role_arn: ` + s.role + `
      report_bucket: ` + s.reports + `
      report_prefix: sseguard/
` + confirm)
	var opts []s3controltest.Option
	if o.exec {
		opts = append(opts, s3controltest.WithExecutor(s.jobRole()))
	} else {
		opts = append(opts, s3controltest.WithAutoAdvance())
	}
	s.srv = s3controltest.New(opts...)
	t.Cleanup(s.srv.Close)
	return s
}

// jobRole is an S3 client with the access (through the layer's permission check) of the job role
// sseguard generates for the policy: what the stand-in's jobs do, they do with it.
func (s *batchScene) jobRole() *s3.Client {
	s.e.t.Helper()
	out, err := exec.Command(genBinary, "iam-policy", "--role", "batch", "--policy", s.pol, "--account", motoserver.Account).Output()
	if err != nil {
		s.e.t.Fatalf("sseguard iam-policy --role batch: %v", err)
	}
	key, err := layer.NewUser(context.Background(), "batch-job-role-"+s.e.ns)
	if err != nil {
		s.e.t.Fatal(err)
	}
	if err := layer.SetIdentityPolicy(key, string(out)); err != nil {
		s.e.t.Fatalf("the generated batch role policy: %v\n%s", err, out)
	}
	return s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(layer.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(key, "batch", "")})
}

// run runs sseguard with the role's generated IAM policy (and the scene's extra statements) and
// S3 Control sent to the stand-in through the strict layer, which checks each jobs request against
// that policy (rule 13).
func (s *batchScene) run(role string, args ...string) (int, string) {
	s.e.t.Helper()
	s.e.grant(role, s.pol)
	if len(s.extra) > 0 {
		s.e.addStatements(s.extra...)
	}
	layer.SetS3Control(s.e.key, s.srv.URL)
	env := append(s.e.runEnv(), "AWS_ENDPOINT_URL_S3_CONTROL="+layer.URL)
	saved := s.e.ownIAM
	s.e.ownIAM = true // the policy is set above
	defer func() { s.e.ownIAM = saved }()
	before := len(s.e.refused())
	code, out := s.e.sseguard(env, args...)
	if r := s.e.refused(); len(r) > before {
		s.e.t.Errorf("sseguard %s: the layer refused requests under the generated %s policy:\n%s\n%s",
			strings.Join(args, " "), role, awstest.FormatActions(r[before:]), out)
	}
	return code, out
}

// addStatements adds statements to the IAM policy the sseguard key holds now.
func (e *e2e) addStatements(stmts ...map[string]any) {
	e.t.Helper()
	out, err := exec.Command(genBinary, "iam-policy", "--role", e.lastRole, "--policy", flagPolicy(e), "--account", motoserver.Account).Output()
	if err != nil {
		e.t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		e.t.Fatal(err)
	}
	for _, st := range stmts {
		doc["Statement"] = append(doc["Statement"].([]any), st)
	}
	raw, _ := json.Marshal(doc)
	if err := layer.SetIdentityPolicy(e.key, string(raw)); err != nil {
		e.t.Fatal(err)
	}
}

// flagPolicy is the policy file the test's runs use.
func flagPolicy(e *e2e) string { return filepath.Join(e.dir, "sseguard.yaml") }

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkPlanSchema(t, path, raw)
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// reencryptChange finds the reencrypt-objects change of a JSON plan.
func reencryptChange(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	changes, _ := dig(doc, "plan", "changes").([]any)
	for _, c := range changes {
		if m, ok := c.(map[string]any); ok && m["kind"] == "reencrypt-objects" {
			return m
		}
	}
	t.Fatalf("no reencrypt-objects change in %v", changes)
	return nil
}

func TestE2EBatchOperationsHandOff(t *testing.T) {
	s := newBatchScene(t)
	e := s.e

	// Plan: says which engine and why, creates nothing.
	planJSON := filepath.Join(e.dir, "plan.json")
	code, out := s.run("plan", "plan", "--policy", s.pol, "--json", planJSON)
	if code != 0 {
		t.Fatalf("plan = %d\n%s", code, out)
	}
	ch := reencryptChange(t, readJSON(t, planJSON))
	if ch["engine"] != "batch-operations" || !strings.Contains(fmt.Sprint(ch["engine_reason"]), "engine: batch-operations") {
		t.Errorf("plan's engine: %v (%v)", ch["engine"], ch["engine_reason"])
	}
	if !strings.Contains(out, "engine: batch-operations") {
		t.Errorf("the plan's text does not say the engine:\n%s", out)
	}
	if n := len(s.srv.Creates()); n != 0 {
		t.Fatalf("plan sent %d CreateJob requests", n)
	}

	// Apply: exactly one job per operation and kind (a manifest generator takes one encryption
	// filter), with the right operation, filter, report and token.
	applyJSON := filepath.Join(e.dir, "apply.json")
	code, out = s.run("apply", "apply", "--policy", s.pol, "--json", applyJSON)
	if code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}
	creates := s.srv.Creates()
	if len(creates) != 12 {
		t.Fatalf("apply sent %d CreateJob requests, want 12\n%s", len(creates), out)
	}
	// Nothing is known of the objects (no scan, no inventory): every job, a copy job per kind and
	// storage class.
	want := []string{"S3UpdateObjectEncryption SSE-S3", "S3UpdateObjectEncryption SSE-KMS"}
	for _, kind := range []string{"NOT-SSE", "DSSE-KMS"} {
		for _, class := range []string{"STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR"} {
			want = append(want, "S3PutObjectCopy "+kind+" "+class)
		}
	}
	checkGeneration(t, s, creates, want, "0")
	cr := creates[0].Create
	if creates[0].Account != motoserver.Account {
		t.Errorf("x-amz-account-id %q", creates[0].Account)
	}
	u := cr.Operation.S3UpdateObjectEncryption
	if bk := u.ObjectEncryption.SSEKMS.BucketKeyEnabled; bk == nil || !*bk {
		t.Error("the job does not ask for Bucket Key, which the policy requires by default")
	}
	g := cr.ManifestGenerator.S3
	if *g.SourceBucket != "arn:aws:s3:::"+s.bucket || g.Filter == nil || g.Filter.CreatedBefore == nil {
		t.Fatalf("manifest generator %+v", g)
	}
	// SSE-KMS with no key: the generator cannot exclude one key, so every SSE-KMS object is in
	// (the key's objects with Bucket Key off among them).
	if k := creates[1].Create.ManifestGenerator.S3.Filter.Encryption.Kinds()[0].SSEKMS; k == nil || k.KmsKeyArn != nil {
		t.Errorf("the SSE-KMS filter %+v names a key", k)
	}
	if strings.Join(g.Filter.MatchAnyPrefix(), ",") != "masters/" {
		t.Errorf("prefixes %v", g.Filter.MatchAnyPrefix())
	}
	if *cr.Report.Bucket != "arn:aws:s3:::"+s.reports || *cr.Report.Prefix != "sseguard/"+s.bucket || *cr.Report.ReportScope != "FailedTasksOnly" {
		t.Errorf("report %+v", cr.Report)
	}
	if *cr.RoleArn != s.role || !*cr.ConfirmationRequired {
		t.Errorf("role %s, confirmation %v", *cr.RoleArn, *cr.ConfirmationRequired)
	}
	tags := map[string]string{}
	for _, tg := range cr.Tags.Members {
		tags[tg.Key] = tg.Value
	}
	if tags["sseguard:bucket"] != s.bucket || tags["sseguard:target"] != s.keyARN || tags["sseguard:revision"] == "" {
		t.Errorf("tags %v", tags)
	}
	jobID := s.srv.Jobs()[0].ID
	if !strings.Contains(out, "job "+jobID) {
		t.Errorf("apply does not name the job:\n%s", out)
	}

	// A re-run finds the job, reports its progress and how to confirm it, and creates nothing.
	code, out = s.run("apply", "apply", "--policy", s.pol, "--json", applyJSON)
	if code != 0 {
		t.Fatalf("second apply = %d\n%s", code, out)
	}
	t.Logf("second apply:\n%s", out)
	if n := len(s.srv.Creates()); n != 12 {
		t.Fatalf("the re-run sent CreateJob again: %d in all", n)
	}
	if !strings.Contains(out, "awaiting confirmation") || !strings.Contains(out, "--job-id "+jobID+" --requested-job-status Ready") {
		t.Errorf("the re-run does not say the job awaits confirmation and how to confirm it:\n%s", out)
	}
	res, _ := dig(readJSON(t, applyJSON), "results").([]any)
	found := false
	for _, r := range res {
		m, _ := r.(map[string]any)
		jobs, _ := m["batch_jobs"].([]any)
		for _, j := range jobs {
			if jm, _ := j.(map[string]any); jm != nil && jm["id"] == jobID {
				found = true
				if jm["created_by_this_run"] != nil {
					t.Errorf("the re-run says it created the job: %v", jm)
				}
			}
		}
	}
	if !found {
		t.Errorf("the re-run's JSON results do not carry the job: %v", res)
	}

	// Confirmed (as the message says), the job runs; a plan shows its progress.
	if st, err := s.srv.Advance(jobID); err != nil || st != s3controltest.StatusSuspended {
		t.Errorf("a job awaiting confirmation moved on without it: %s %v", st, err)
	}
	confirmJob(t, s, jobID)
	code, out = s.run("plan", "plan", "--policy", s.pol, "--json", planJSON)
	if code != 0 {
		t.Fatalf("plan after confirming = %d\n%s", code, out)
	}
	t.Logf("plan after confirming:\n%s", out)
	if !strings.Contains(out, "job "+jobID+" (S3UpdateObjectEncryption of SSE-S3 objects, generation 0): Active") || !strings.Contains(out, "tasks succeeded") {
		t.Errorf("the plan does not show the job's progress:\n%s", out)
	}
	if n := len(s.srv.Creates()); n != 12 {
		t.Errorf("%d CreateJob requests in all, want 12", n)
	}
}

// checkGeneration checks a generation's CreateJob requests: one operation and one encryption
// filter each (in order), copies of one storage class each, of objects up to 5 GiB, with the
// class, the required key and Bucket Key named and metadata and tags kept, a token of their own,
// and the generation in the description and tags.
func checkGeneration(t *testing.T, s *batchScene, creates []s3controltest.Request, want []string, gen string) {
	t.Helper()
	var got []string
	tokens := map[string]bool{}
	for _, c := range creates {
		cr := c.Create
		f := cr.ManifestGenerator.S3.Filter
		op := ""
		switch {
		case cr.Operation.S3UpdateObjectEncryption != nil:
			op = "S3UpdateObjectEncryption"
			if k := cr.Operation.S3UpdateObjectEncryption.ObjectEncryption.SSEKMS.KMSKeyArn; *k != s.keyARN {
				t.Errorf("update job to %s, want %s", *k, s.keyARN)
			}
			if f.ObjectSizeLessThanBytes != nil || f.MatchAnyStorageClass != nil {
				t.Errorf("an update job is limited by size or class: %v %v", f.ObjectSizeLessThanBytes, f.MatchAnyStorageClass)
			}
		case cr.Operation.S3PutObjectCopy != nil:
			cp := cr.Operation.S3PutObjectCopy
			classes := f.MatchAnyStorageClass.Values()
			if len(classes) != 1 || cp.StorageClass == nil || *cp.StorageClass != classes[0] {
				t.Errorf("copy job of classes %v writes class %v", classes, cp.StorageClass)
			} else {
				op = "S3PutObjectCopy"
			}
			if cp.SSEAwsKmsKeyID == nil || *cp.SSEAwsKmsKeyID != s.keyARN || cp.BucketKeyEnabled == nil || !*cp.BucketKeyEnabled ||
				cp.NewObjectMetadata == nil || cp.NewObjectMetadata.SSEAlgorithm == nil || *cp.NewObjectMetadata.SSEAlgorithm != "KMS" ||
				*cp.MetadataDirective != "COPY" || cp.NewObjectTagging != nil || *cp.TargetResource != "arn:aws:s3:::"+s.bucket {
				t.Errorf("copy operation %+v", cp)
			}
			if f.ObjectSizeLessThanBytes == nil || *f.ObjectSizeLessThanBytes != 5<<30+1 {
				t.Errorf("copy job size filter %v, want objects up to 5 GiB", f.ObjectSizeLessThanBytes)
			}
		}
		kinds := f.Encryption.Kinds()
		if len(kinds) != 1 {
			t.Fatalf("%s job with %d encryption filters", op, len(kinds))
		}
		name := op + " " + kinds[0].Name()
		if op == "S3PutObjectCopy" {
			name += " " + f.MatchAnyStorageClass.Values()[0]
		}
		got = append(got, name)
		token := *cr.ClientRequestToken
		tokens[token] = true
		if !strings.HasPrefix(token, "sseguard-") || len(token) > 64 || !strings.Contains(cr.DescriptionText(), " g"+gen+" ") {
			t.Errorf("token %q, description %q", token, cr.DescriptionText())
		}
		for _, tg := range cr.Tags.Members {
			if tg.Key == "sseguard:generation" && tg.Value != gen {
				t.Errorf("generation tag %q, want %s", tg.Value, gen)
			}
		}
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("jobs %v, want %v", got, want)
	}
	if len(tokens) != len(creates) {
		t.Errorf("%d tokens for %d jobs", len(tokens), len(creates))
	}
}

// confirmJob confirms the job through the stand-in's UpdateJobStatus, as the printed command would.
func confirmJob(t *testing.T, s *batchScene, id string) {
	t.Helper()
	if j := s.srv.Jobs()[0]; j.Status != s3controltest.StatusSuspended {
		t.Fatalf("job %s is %s, want Suspended", id, j.Status)
	}
	if err := s.srv.Confirm(id); err != nil {
		t.Fatal(err)
	}
}

func TestE2EBatchOperationsLostCreateJobAnswer(t *testing.T) {
	longTier(t)
	s := newBatchScene(t)
	s.srv.DropNextCreateAnswers(1)
	code, out := s.run("apply", "apply", "--policy", s.pol)
	if code != 0 {
		t.Fatalf("apply with a lost CreateJob answer = %d\n%s", code, out)
	}
	if n := len(s.srv.Jobs()); n != 12 {
		t.Fatalf("%d jobs after a lost CreateJob answer, want 12 (one per operation, kind and class)\n%s", n, out)
	}
	creates := s.srv.Creates()
	if len(creates) != 13 {
		t.Errorf("the lost answer was not retried (%d CreateJob requests, want 13)", len(creates))
	}
	if *creates[1].Create.ClientRequestToken != *creates[0].Create.ClientRequestToken {
		t.Errorf("the retry used another token: %s, then %s", *creates[0].Create.ClientRequestToken, *creates[1].Create.ClientRequestToken)
	}
	// And a later run still finds those jobs.
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 0 || len(s.srv.Jobs()) != 12 {
		t.Fatalf("re-run = %d, %d jobs\n%s", code, len(s.srv.Jobs()), out)
	}
}

func TestE2EBatchOperationsAutoByBudget(t *testing.T) {
	longTier(t)
	s := newBatchScene(t)
	// The same bucket with engine: auto (the default): 6 objects.
	raw, err := os.ReadFile(s.pol)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.pol, []byte(strings.Replace(string(raw), "    engine: batch-operations\n", "", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	planJSON := filepath.Join(s.e.dir, "plan.json")

	// Within the local limit: local, and the reason says so. The plan weighs a bounded listing
	// and reads no object: a bucket that may go to Batch Operations can hold billions.
	heads := func() int {
		n := 0
		for _, a := range layer.Actions() {
			if a.AccessKeyID == s.e.key && a.Operation == "HeadObject" {
				n++
			}
		}
		return n
	}
	if code, out := s.run("plan", "plan", "--policy", s.pol, "--json", planJSON); code != 0 {
		t.Fatalf("plan = %d\n%s", code, out)
	}
	ch := reencryptChange(t, readJSON(t, planJSON))
	if ch["engine"] != "local" || !strings.Contains(fmt.Sprint(ch["engine_reason"]), "listing found 6 objects") {
		t.Errorf("engine %v (%v), want local: the listing found 6 objects", ch["engine"], ch["engine_reason"])
	}
	if n := heads(); n != 0 {
		t.Errorf("plan read %d objects with HEAD, want none", n)
	}

	// A budget of 3 objects: more than the run may handle, so auto hands the bucket over.
	if code, out := s.run("plan", "plan", "--policy", s.pol, "--json", planJSON, "--max-objects", "3"); code != 0 {
		t.Fatalf("plan --max-objects 3 = %d\n%s", code, out)
	}
	ch = reencryptChange(t, readJSON(t, planJSON))
	if ch["engine"] != "batch-operations" || !strings.Contains(fmt.Sprint(ch["engine_reason"]), "listing found more than 3") {
		t.Errorf("engine %v (%v), want batch-operations for the budget", ch["engine"], ch["engine_reason"])
	}
	// Apply, which does not scan first, counts by listing and decides the same.
	applyJSON := filepath.Join(s.e.dir, "apply.json")
	if code, out := s.run("apply", "apply", "--policy", s.pol, "--json", applyJSON, "--max-objects", "3"); code != 0 {
		t.Fatalf("apply --max-objects 3 = %d\n%s", code, out)
	}
	ch = reencryptChange(t, readJSON(t, applyJSON))
	if ch["engine"] != "batch-operations" || !strings.Contains(fmt.Sprint(ch["engine_reason"]), "listing found more than 3") {
		t.Errorf("apply's engine %v (%v), want batch-operations by the listing", ch["engine"], ch["engine_reason"])
	}
	if n := len(s.srv.Creates()); n != 12 {
		t.Errorf("%d CreateJob requests, want 12", n)
	}
}

// reencrypt does what the jobs would have done to the bucket's objects under masters/, except
// to the keys in keep: copies onto themselves under the key with Bucket Key.
func (s *batchScene) reencrypt(keep ...string) {
	s.e.t.Helper()
	keepList, _ := json.Marshal(keep)
	s.e.withBucket(s.bucket).py(fmt.Sprintf(`
keep = set(json.loads(%s) or [])
for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="masters/").get("Contents", []):
    if o["Key"] in keep:
        continue
    s3.copy_object(Bucket=BUCKET, Key=o["Key"], CopySource={"Bucket": BUCKET, "Key": o["Key"]},
        ServerSideEncryption="aws:kms", SSEKMSKeyId=%s, BucketKeyEnabled=True, MetadataDirective="COPY")
print("{}")
`, pyStr(string(keepList)), pyStr(s.keyARN)), nil)
}

func warningCodes(doc map[string]any) []string {
	var out []string
	ws, _ := dig(doc, "plan", "warnings").([]any)
	for _, w := range ws {
		if m, _ := w.(map[string]any); m != nil {
			out = append(out, fmt.Sprint(m["code"]))
		}
	}
	return out
}

func hasReencrypt(doc map[string]any) bool {
	changes, _ := dig(doc, "plan", "changes").([]any)
	for _, c := range changes {
		if m, ok := c.(map[string]any); ok && m["kind"] == "reencrypt-objects" {
			return true
		}
	}
	return false
}

func TestE2EBatchOperationsCheckAfterComplete(t *testing.T) {
	longTier(t)
	s := newBatchScene(t)
	planJSON := filepath.Join(s.e.dir, "plan.json")
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 0 || len(s.srv.Jobs()) != 12 {
		t.Fatalf("apply = %d, %d jobs, want 12\n%s", code, len(s.srv.Jobs()), out)
	}
	finishAll(t, s)

	// The jobs ended but one object was left as it was: the check finds it, and the next
	// generation takes exactly that kind.
	s.reencrypt("masters/0.mov")
	code, out := s.run("plan", "plan", "--policy", s.pol, "--json", planJSON)
	if code != 0 {
		t.Fatalf("plan after the jobs ended = %d\n%s", code, out)
	}
	t.Logf("plan with an object left:\n%s", out)
	ch := reencryptChange(t, readJSON(t, planJSON))
	jobs, _ := ch["batch_jobs"].([]any)
	if len(jobs) != 1 || dig(jobs[0], "operation") != "S3UpdateObjectEncryption" || dig(jobs[0], "filter") != "SSE-S3" ||
		fmt.Sprint(dig(jobs[0], "generation")) != "1" || dig(jobs[0], "id") != nil {
		t.Errorf("planned jobs %v, want one new S3UpdateObjectEncryption of SSE-S3 objects in generation 1", jobs)
	}
	if !strings.Contains(out, "generation 0 has ended and the check scan still finds objects to fix") {
		t.Errorf("the plan does not say why a new generation starts:\n%s", out)
	}
	before := len(s.srv.Creates())
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 0 {
		t.Fatalf("apply of generation 1 = %d\n%s", code, out)
	}
	creates := s.srv.Creates()[before:]
	if len(creates) != 1 || len(s.srv.Jobs()) != 13 {
		t.Fatalf("generation 1 sent %d CreateJob requests (%d jobs in all), want 1 (13)", len(creates), len(s.srv.Jobs()))
	}
	checkGeneration(t, s, creates, []string{"S3UpdateObjectEncryption SSE-S3"}, "1")
	// A re-run while generation 1 runs creates nothing.
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 0 || len(s.srv.Jobs()) != 13 {
		t.Fatalf("re-run = %d, %d jobs, want 13\n%s", code, len(s.srv.Jobs()), out)
	}

	// Generation 1 ends with the object fixed: the bucket reads in sync.
	finishAll(t, s)
	s.reencrypt()
	code, out = s.run("plan", "plan", "--policy", s.pol, "--json", planJSON)
	if code != 0 {
		t.Fatalf("plan after generation 1 = %d\n%s", code, out)
	}
	t.Logf("plan after generation 1:\n%s", out)
	doc := readJSON(t, planJSON)
	if hasReencrypt(doc) {
		t.Errorf("a reencrypt change after the check found nothing:\n%s", out)
	}
	if !strings.Contains(strings.Join(warningCodes(doc), ","), "batch-jobs-checked") || !strings.Contains(out, "the check scan found nothing to fix") {
		t.Errorf("the plan does not say the check found nothing (warnings %v):\n%s", warningCodes(doc), out)
	}
	if n := len(s.srv.Jobs()); n != 13 {
		t.Errorf("%d jobs, want 13", n)
	}
}
