package e2etest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3control/types"

	"github.com/sseguard/sseguard/internal/batchops"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
	"github.com/sseguard/sseguard/internal/testsupport/s3controltest"
)

// Batch Operations and S3 Inventory as they behave on real AWS (issue 16), end to end: the built
// binary through the strict layer, and the S3 Control stand-in running each job's work against S3
// with the job role sseguard generates (WithExecutor), so what the jobs do to the objects is
// checked on the objects themselves, with boto3.

// objectInfo is what boto3 reads back of an object.
type objectInfo struct {
	SSE, KMSKey, Class, Type string
	Meta, Tags               map[string]string
}

// objects reads every object under prefix in the scene's bucket.
func (s *batchScene) objects(prefix string) map[string]objectInfo {
	s.e.t.Helper()
	out := map[string]objectInfo{}
	s.e.withBucket(s.bucket).py(`
out = {}
for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=`+pyStr(prefix)+`).get("Contents", []):
    h = s3.head_object(Bucket=BUCKET, Key=o["Key"])
    try:
        tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=BUCKET, Key=o["Key"])["TagSet"]}
    except Exception:  # moto refuses GetObjectTagging on a GLACIER object
        tags = None
    out[o["Key"]] = {"SSE": h.get("ServerSideEncryption", ""), "KMSKey": h.get("SSEKMSKeyId", ""),
        "Class": h.get("StorageClass", "STANDARD"), "Type": h.get("ContentType", ""), "Meta": h.get("Metadata", {}), "Tags": tags}
print(json.dumps(out))
`, &out)
	return out
}

// finishAll moves every job of the stand-in through its states to the end, confirming those that
// wait for it: with an executor the jobs do their work on the way; without one they touch no
// object (the test changes the objects itself).
func finishAll(t *testing.T, s *batchScene) {
	t.Helper()
	for _, j := range s.srv.Jobs() {
		for i := 0; i < 10; i++ {
			st, err := s.srv.Advance(j.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st == s3controltest.StatusSuspended {
				if err := s.srv.Confirm(j.ID); err != nil {
					t.Fatal(err)
				}
			}
			if st == s3controltest.StatusComplete || st == s3controltest.StatusFailed {
				break
			}
		}
	}
}

// classSeed writes, in a legacy bucket (objects written without headers stay unencrypted),
// one unencrypted object per storage class a copy job takes, each with metadata and tags, and one
// archived in GLACIER.
const classSeed = `
for cls in ["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER"]:
    moto_s3.put_object(Bucket=BUCKET, Key="masters/%s.mov" % cls, Body=os.urandom(300), StorageClass=cls,
        ContentType="video/quicktime", Metadata={"origin": cls.lower()}, Tagging="team=media&class=" + cls)
`

// TestE2EBatchCopyKeepsStorageClass (issue 16 §1): a copy job per storage class, naming the class,
// the key and the encryption; tags and metadata kept; archived objects in no job.
func TestE2EBatchCopyKeepsStorageClass(t *testing.T) {
	longTier(t)
	s := newBatchSceneWith(t, sceneOpts{legacy: true, seed: classSeed, exec: true})
	before := s.objects("masters/")
	if len(before) != 6 || before["masters/STANDARD_IA.mov"].SSE != "" || before["masters/GLACIER.mov"].Class != "GLACIER" {
		t.Fatalf("seed: %+v", before)
	}
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}
	finishAll(t, s)
	var failed []string
	for _, j := range s.srv.Jobs() {
		for _, task := range j.Tasks {
			if task.Status != "succeeded" {
				failed = append(failed, fmt.Sprintf("%s %s: %s %s", j.ID, task.Key, task.ErrorCode, task.Message))
			}
		}
		for _, task := range j.Tasks {
			if strings.Contains(task.Key, "GLACIER.mov") {
				t.Errorf("job %s took the archived object %s", j.ID, task.Key)
			}
		}
	}
	if len(failed) > 0 {
		t.Errorf("tasks failed: %v", failed)
	}
	after := s.objects("masters/")
	for key, b := range before {
		a := after[key]
		if a.Class != b.Class {
			t.Errorf("%s: storage class %s after the jobs, was %s", key, a.Class, b.Class)
		}
		if a.Type != b.Type || a.Meta["origin"] != b.Meta["origin"] || (b.Tags != nil && (a.Tags["class"] != b.Tags["class"] || a.Tags["team"] != "media")) {
			t.Errorf("%s: content type, metadata or tags lost: before %+v, after %+v", key, b, a)
		}
		switch {
		case key == "masters/GLACIER.mov" && a.SSE != "":
			t.Errorf("%s: the archived object was changed: %+v", key, a)
		case key != "masters/GLACIER.mov" && (a.SSE != "aws:kms" || !strings.HasSuffix(a.KMSKey, strings.TrimPrefix(s.keyARN, "arn:aws:kms:us-east-1:123456789012:"))):
			t.Errorf("%s: %s %s after its copy job, want SSE-KMS under %s", key, a.SSE, a.KMSKey, s.keyARN)
		}
	}
	// Once the jobs have ended, the check finds only the archived object: in no job, said.
	planJSON := filepath.Join(s.e.dir, "plan.json")
	code, out := s.run("plan", "plan", "--policy", s.pol, "--json", planJSON)
	if code != 0 {
		t.Fatalf("plan after the jobs = %d\n%s", code, out)
	}
	doc := readJSON(t, planJSON)
	if hasReencrypt(doc) || !strings.Contains(strings.Join(warningCodes(doc), ","), "objects-skipped") {
		t.Errorf("after the jobs: a re-encryption, or the archived object not reported (warnings %v):\n%s", warningCodes(doc), out)
	}
}

// revisionOf reads the requirement's revision from a plan's reencrypt change.
func revisionOf(t *testing.T, doc map[string]any) string {
	t.Helper()
	rev, _ := dig(reencryptChange(t, doc), "batch_operations", "revision").(string)
	if rev == "" {
		t.Fatal("no batch_operations revision in the plan")
	}
	return rev
}

// TestE2EBatchForgedJobIsRefused (issue 16 §2): someone with s3:CreateJob writes sseguard's
// description on a job of theirs (a copy into their own bucket): sseguard neither adopts it nor
// prints a confirm command for it, and creates nothing beside it.
func TestE2EBatchForgedJobIsRefused(t *testing.T) {
	s := newBatchScene(t)
	planJSON := filepath.Join(s.e.dir, "plan.json")
	if code, out := s.run("plan", "plan", "--policy", s.pol, "--json", planJSON); code != 0 {
		t.Fatalf("plan = %d\n%s", code, out)
	}
	spec := batchops.Spec{Account: motoserver.Account, Partition: "aws", Bucket: s.bucket, KMSKeyARN: s.keyARN, BucketKey: true,
		Prefixes: []string{"masters/"}, Revision: revisionOf(t, readJSON(t, planJSON)), Operation: batchops.UpdateObjectEncryption,
		Kind: batchops.KindSSES3, CreatedBefore: time.Now().Add(-time.Hour).UTC().Truncate(time.Second),
		RoleARN: s.role, ReportBucket: s.reports, ReportPrefix: "sseguard/", ConfirmationRequired: true, Priority: 10}
	in, err := spec.Input()
	if err != nil {
		t.Fatal(err)
	}
	in.ClientRequestToken = aws.String("attacker-token")
	in.Operation = &types.JobOperation{S3PutObjectCopy: &types.S3CopyObjectOperation{
		TargetResource: aws.String("arn:aws:s3:::" + s.e.name("attacker-loot")), MetadataDirective: types.S3MetadataDirectiveCopy}}
	c := batchops.NewClient(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(s.srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAATTACKER", "x", "")}, "us-east-1")
	out, err := c.CreateJob(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	forged := *out.JobId
	for i := 0; i < 2; i++ {
		if _, err := s.srv.Advance(forged); err != nil {
			t.Fatal(err)
		}
	}
	code, text := s.run("plan", "plan", "--policy", s.pol, "--json", planJSON)
	t.Logf("plan with a forged job:\n%s", text)
	if code != 1 {
		t.Errorf("plan = %d, want 1 (a blocker)", code)
	}
	if strings.Contains(text, "--job-id "+forged) {
		t.Errorf("the plan prints a confirm command for the forged job %s", forged)
	}
	doc := readJSON(t, planJSON)
	found := false
	blockers, _ := dig(doc, "plan", "blockers").([]any)
	for _, b := range blockers {
		if dig(b, "code") == "batch-job-foreign" && strings.Contains(fmt.Sprint(dig(b, "message")), forged) {
			found = true
		}
	}
	if !found {
		t.Errorf("no batch-job-foreign blocker naming %s: %v", forged, blockers)
	}
	creates := len(s.srv.Creates())
	if code, text := s.run("apply", "apply", "--policy", s.pol); code != 1 || len(s.srv.Creates()) != creates {
		t.Errorf("apply = %d with %d CreateJob requests, want 1 and none\n%s", code, len(s.srv.Creates())-creates, text)
	}
}

// TestE2EBatchRecordOutlivesListJobs (issue 16 §3): once AWS has forgotten a finished
// generation's jobs (ListJobs lists ended jobs for 90 days), a run creates nothing: the bucket's
// record remembers them.
func TestE2EBatchRecordOutlivesListJobs(t *testing.T) {
	longTier(t)
	s := newBatchSceneWith(t, sceneOpts{exec: true})
	// The objects are a second older than the run: this test is about the record, not about a
	// generation's start (a run that began in the second the objects were written left them out
	// before it took the next whole second).
	time.Sleep(1100 * time.Millisecond)
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 0 || len(s.srv.Jobs()) == 0 {
		t.Fatalf("apply = %d, %d jobs\n%s", code, len(s.srv.Jobs()), out)
	}
	finishAll(t, s)
	for key, o := range s.objects("masters/") {
		if o.SSE != "aws:kms" {
			t.Fatalf("%s: %s after the jobs", key, o.SSE)
		}
	}
	// An apply sees the jobs end (and writes so in the record); the bucket is in sync.
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 0 || !strings.Contains(out, "In sync") {
		t.Fatalf("apply after the jobs = %d\n%s", code, out)
	}
	var rec struct{ Found bool }
	s.e.withBucket(s.reports).py(`
import botocore
try:
    s3.head_object(Bucket=BUCKET, Key="sseguard/`+s.bucket+`/sseguard-batch-record.json")
    print(json.dumps({"Found": True}))
except botocore.exceptions.ClientError:
    print(json.dumps({"Found": False}))
`, &rec)
	if !rec.Found {
		t.Error("no record in the report bucket")
	}
	for _, j := range s.srv.Jobs() {
		if err := s.srv.Expire(j.ID); err != nil {
			t.Fatal(err)
		}
	}
	creates := len(s.srv.Creates())
	applyJSON := filepath.Join(s.e.dir, "apply.json")
	code, out := s.run("apply", "apply", "--policy", s.pol, "--json", applyJSON)
	t.Logf("apply after AWS forgot the jobs:\n%s", out)
	if code != 0 || len(s.srv.Creates()) != creates {
		t.Fatalf("apply after AWS forgot the jobs = %d, %d CreateJob requests, want 0 and none", code, len(s.srv.Creates())-creates)
	}
	doc := readJSON(t, applyJSON)
	if hasReencrypt(doc) || !strings.Contains(strings.Join(warningCodes(doc), ","), "batch-jobs-checked") || !strings.Contains(out, "Expired") {
		t.Errorf("after AWS forgot the jobs: %v warnings; want the bucket in sync with the expired generation checked:\n%s", warningCodes(doc), out)
	}
}

// TestE2EBatchFailedGenerationStops (issue 16 §4): a generation whose tasks failed stops with the
// reasons, a failed object and its error code from the completion report, and where the report
// is; no new generation until a run asks for a retry.
func TestE2EBatchFailedGenerationStops(t *testing.T) {
	longTier(t)
	s := newBatchSceneWith(t, sceneOpts{exec: true})
	// Someone's bucket policy refuses changes to one object.
	deny := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"Frozen","Effect":"Deny","Principal":"*","Action":["s3:UpdateObjectEncryption","s3:PutObject"],"Resource":"arn:aws:s3:::%s/masters/1.mov"}]}`, s.bucket)
	s.e.aws("s3api", "put-bucket-policy", "--bucket", s.bucket, "--policy", deny)
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}
	finishAll(t, s)
	var failedJob string
	for _, j := range s.srv.Jobs() {
		if j.Failed > 0 {
			failedJob = j.ID
		}
	}
	if failedJob == "" {
		t.Fatal("no task failed: the bucket policy did not refuse the job's change")
	}
	planJSON := filepath.Join(s.e.dir, "plan.json")
	code, out := s.run("plan", "plan", "--policy", s.pol, "--json", planJSON)
	t.Logf("plan after a failed generation:\n%s", out)
	if code != 1 {
		t.Errorf("plan = %d, want 1 (a blocker)", code)
	}
	var msg string
	blockers, _ := dig(readJSON(t, planJSON), "plan", "blockers").([]any)
	for _, b := range blockers {
		if dig(b, "code") == "batch-jobs-failed" {
			msg = fmt.Sprint(dig(b, "message"))
		}
	}
	for _, want := range []string{failedJob, `"masters/1.mov"`, "AccessDenied", "job-" + failedJob + "/manifest.json", "--retry-failed-batch-jobs"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the batch-jobs-failed blocker does not say %q: %q", want, msg)
		}
	}
	creates := len(s.srv.Creates())
	if code, out := s.run("apply", "apply", "--policy", s.pol); code != 1 || len(s.srv.Creates()) != creates {
		t.Fatalf("apply = %d with %d CreateJob requests, want 1 and none\n%s", code, len(s.srv.Creates())-creates, out)
	}
	// The operator asks for a retry: the next generation takes what is left, one job.
	if code, out := s.run("apply", "apply", "--policy", s.pol, "--retry-failed-batch-jobs"); code != 0 || len(s.srv.Creates()) != creates+1 {
		t.Fatalf("apply --retry-failed-batch-jobs = %d with %d CreateJob requests, want 0 and 1\n%s", code, len(s.srv.Creates())-creates, out)
	}
	checkGeneration(t, s, s.srv.Creates()[creates:], []string{"S3UpdateObjectEncryption SSE-S3"}, "1")
}

// inventorySeed is defaultSeed with an inventory configuration of the bucket to DEST (a bucket
// of the home account) and a delivery that began after the objects.
const inventorySeed = deliverPy + defaultSeed + `
s3.create_bucket(Bucket=os.environ["DEST"])
configure(BUCKET, os.environ["DEST"], "inventory", "daily")
time.sleep(1.1)
deliver(BUCKET, os.environ["DEST"], "inventory", "daily", datetime.now(timezone.utc))
`

// TestE2EBatchInventoryPlansAndChecks (issue 16 §5, §6): the first generation's jobs are those
// the bucket's S3 Inventory shows objects for, with their cost; after the jobs, an inventory that
// began before they ended is not evidence (UpdateObjectEncryption keeps each object's ETag).
func TestE2EBatchInventoryPlansAndChecks(t *testing.T) {
	longTier(t)
	dest := fmt.Sprintf("inv-dest-x%03d", testSeq.Add(1))
	s := newBatchSceneWith(t, sceneOpts{exec: true, seed: strings.Replace(inventorySeed, `os.environ["DEST"]`, pyStr(dest), -1)})
	s.extra = []map[string]any{
		{"Sid": "InventoryList", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::" + dest},
		{"Sid": "InventoryRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + dest + "/inventory/" + s.bucket + "/*"},
	}
	applyJSON := filepath.Join(s.e.dir, "apply.json")
	code, out := s.run("apply", "apply", "--policy", s.pol, "--json", applyJSON)
	t.Logf("apply from the inventory:\n%s", out)
	if code != 0 {
		t.Fatalf("apply = %d\n%s", code, out)
	}
	checkGeneration(t, s, s.srv.Creates(), []string{"S3UpdateObjectEncryption SSE-S3"}, "0")
	ch := reencryptChange(t, readJSON(t, applyJSON))
	cost, _ := ch["cost"].(map[string]any)
	if !strings.Contains(fmt.Sprint(cost["basis"]), "S3 Inventory daily") || cost["usd"] == nil {
		t.Errorf("cost %v, want an estimate from the inventory", cost)
	}
	items := map[string]any{}
	list, _ := cost["items"].([]any)
	for _, it := range list {
		items[fmt.Sprint(dig(it, "what"))] = dig(it, "count")
	}
	if items["Batch Operations jobs to create"] != 1.0 || items["Batch Operations object operations"] != 6.0 {
		t.Errorf("cost items %v, want 1 job of 6 objects", items)
	}
	finishAll(t, s)
	planJSON := filepath.Join(s.e.dir, "plan.json")
	code, out = s.run("plan", "plan", "--policy", s.pol, "--json", planJSON)
	t.Logf("plan after the jobs:\n%s", out)
	if code != 0 {
		t.Fatalf("plan after the jobs = %d\n%s", code, out)
	}
	doc := readJSON(t, planJSON)
	if hasReencrypt(doc) {
		t.Errorf("an inventory older than the jobs' end was believed: a new generation is planned\n%s", out)
	}
	buckets, _ := dig(doc, "plan", "buckets").([]any)
	src := dig(buckets[0], "objects", "source")
	if dig(src, "kind") != "head" || !strings.Contains(fmt.Sprint(dig(src, "reason")), "before sseguard's last change") {
		t.Errorf("check scan source %v, want HEAD because the inventory began before the jobs ended", src)
	}
}

// TestE2EInventoryInAForeignDestinationIsNotUsed (issue 16 §5): an inventory configuration that
// delivers to a bucket of an account the policy does not trust is not read, whatever that
// "inventory" says: refused when the configuration names that account, and read with the home
// account as the expected owner (so S3 refuses the read) when it names none.
func TestE2EInventoryInAForeignDestinationIsNotUsed(t *testing.T) {
	for _, tc := range []struct {
		name, account, reason string
	}{
		{"names the stranger", "account=\"444455556666\"", "account 444455556666"},
		{"names no account", "account=None", "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) { foreignInventory(t, tc.account, tc.reason) })
	}
}

func foreignInventory(t *testing.T, account, reason string) {
	e := newE2E(t)
	const stranger = "444455556666"
	src, dest := e.name("inv-fsrc"), e.name("inv-evil")
	attacker := e.accountEnv(stranger)
	keyOf := func(env []string, name string) string {
		v := ""
		for _, kv := range env {
			if rest, ok := strings.CutPrefix(kv, name+"="); ok {
				v = rest // the last one wins, as in exec
			}
		}
		return v
	}
	c := e.withBucket(src)
	c.env = append(c.env, "DEST="+dest, "A_KEY="+keyOf(attacker, "AWS_ACCESS_KEY_ID"), "A_SECRET="+keyOf(attacker, "AWS_SECRET_ACCESS_KEY"),
		"A_TOKEN="+keyOf(attacker, "AWS_SESSION_TOKEN"))
	c.py(deliverPy+`
evil = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1",
    aws_access_key_id=os.environ["A_KEY"], aws_secret_access_key=os.environ["A_SECRET"], aws_session_token=os.environ["A_TOKEN"])
SRC, DEST = BUCKET, os.environ["DEST"]
s3.create_bucket(Bucket=SRC)
evil.create_bucket(Bucket=DEST)
key = kms.create_key(Description="inventory e2e")["KeyMetadata"]["Arn"]
for i in range(4):
    s3.put_object(Bucket=SRC, Key="media/plain-%d.ts" % i, Body=os.urandom(64), ServerSideEncryption="AES256")
for i in range(3):
    s3.put_object(Bucket=SRC, Key="media/kms-%d.ts" % i, Body=os.urandom(64), ServerSideEncryption="aws:kms", SSEKMSKeyId=key)
configure(SRC, DEST, "inventory", "daily", `+account+`)
time.sleep(1.1)
deliver(SRC, DEST, "inventory", "daily", datetime.now(timezone.utc), lie="SSE-S3", client=evil)
print("{}")
`, nil)
	pol := e.policy(`version: 1
buckets:
  - name: ` + src + `
    encryption: sse-s3
    bucket_key: false
    existing_objects: report
`)
	e.grant("plan", pol)
	e.addStatements(
		map[string]any{"Sid": "InventoryList", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::" + dest},
		map[string]any{"Sid": "InventoryRead", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + dest + "/inventory/" + src + "/*"})
	e.ownIAM = true
	out := filepath.Join(e.dir, "plan.json")
	code, text := e.sseguard(nil, "plan", "--policy", pol, "--json", out)
	t.Logf("plan:\n%s", text)
	if code != 0 {
		t.Fatalf("plan = %d\n%s", code, text)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkPlanSchema(t, out, raw)
	var doc struct {
		Plan struct {
			Buckets []struct {
				Objects struct {
					ToFix  map[string]int `json:"to_fix"`
					Source struct{ Kind, Reason string }
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Plan.Buckets) != 1 {
		t.Fatalf("plan JSON: %v", err)
	}
	o := doc.Plan.Buckets[0].Objects
	if o.Source.Kind != "head" || !strings.Contains(o.Source.Reason, reason) {
		t.Errorf("source %+v: the foreign destination's inventory was used", o.Source)
	}
	if o.ToFix["sse-kms"] != 3 {
		t.Errorf("to fix %v, want the 3 SSE-KMS objects the forged inventory hides", o.ToFix)
	}
}

// TestE2EPlanShowsCostPerBucket (issue 16 §6): the text plan, the JSON plan and the job summary
// show what re-encrypting each bucket would cost, priced with the dated table or a prices file.
func TestE2EPlanShowsCostPerBucket(t *testing.T) {
	e := newE2E(t)
	bucket := e.name("media-cost")
	var seeded struct{ Key string }
	e.withBucket(bucket).py(`
s3.create_bucket(Bucket=BUCKET)
key = kms.create_key(Description="cost")["KeyMetadata"]
for i in range(5):
    s3.put_object(Bucket=BUCKET, Key="v/%d.ts" % i, Body=os.urandom(64), ServerSideEncryption="AES256")
print(json.dumps({"Key": key["Arn"]}))
`, &seeded)
	polBody := `version: 1
buckets:
  - name: ` + bucket + `
    encryption: sse-kms
    kms_key: ` + seeded.Key + `
    existing_objects: reencrypt
`
	pol := e.policy(polBody)
	planJSON := filepath.Join(e.dir, "plan.json")
	code, out := e.sseguard(nil, "plan", "--policy", pol, "--json", planJSON)
	if code != 0 {
		t.Fatalf("plan = %d\n%s", code, out)
	}
	if !strings.Contains(out, "estimated cost: about $") || !strings.Contains(out, "5 HeadObject, one per object") || !strings.Contains(out, "as of 2026-12-07") {
		t.Errorf("the text plan does not show the cost:\n%s", out)
	}
	cost, _ := reencryptChange(t, readJSON(t, planJSON))["cost"].(map[string]any)
	if list, _ := cost["items"].([]any); cost["engine"] != "local" || cost["usd"] == nil || len(list) == 0 {
		t.Errorf("JSON cost %v", cost)
	}
	// A prices file replaces what it names.
	prices := filepath.Join(e.dir, "prices.json")
	if err := os.WriteFile(prices, []byte(`{"s3_read_requests": {"STANDARD": {"usd": 1000, "per": 1000}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out = e.sseguard(nil, "plan", "--policy", pol, "--json", planJSON, "--prices", prices)
	if code != 0 || !strings.Contains(out, "5 HeadObject, one per object × $1 = $5.00") {
		t.Errorf("plan --prices = %d: the prices file was not used\n%s", code, out)
	}
	// The job summary, through the action.
	r := newRunner(e)
	if err := os.WriteFile(filepath.Join(r.ws, "sseguard.yaml"), []byte(polBody), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out := r.run("pull_request", "refs/pull/7/merge", map[string]string{"policy": "sseguard.yaml", "comment-on-pr": "false"}); code != 0 {
		t.Fatalf("action = %d\n%s", code, out)
	}
	summary, err := os.ReadFile(r.summary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(summary), "Estimated cost of re-encrypting existing objects, by bucket") || !strings.Contains(string(summary), bucket) {
		t.Errorf("the job summary does not show the cost:\n%s", summary)
	}
}
