package e2etest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/golden"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// initReads are the IAM actions init needs beyond the plan role's: listing the buckets and a key's
// aliases (the plan role is scoped to a policy file's buckets and keys, which init is writing).
var initReads = []string{"s3:ListAllMyBuckets", "kms:ListAliases"}

// planReads are the plan role's read actions, on every resource: what init may use besides.
var planReads = []string{"s3:GetBucketLocation", "s3:GetEncryptionConfiguration", "s3:GetBucketPolicy", "s3:GetReplicationConfiguration",
	"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus"}

// An account seeded with buckets in several states; `sseguard init` writes a policy that
// validates, that plan finds in sync (exit 0 with --detailed-exitcode), and that comments out what
// cannot be adopted as it is. Init uses no IAM action beyond the plan role's for the file it wrote,
// but s3:ListAllMyBuckets and kms:ListAliases, and writes nothing.
func TestE2EInit(t *testing.T) {
	e := newE2E(t)
	p := "init-" + e.ns
	r := e.roles("init-transcoder", "init-encoder-a", "init-encoder-b")
	keyPolicy := func(users ...string) string {
		text, err := iampolicy.KeyPolicy(iampolicy.KeyPolicySpec{Partition: "aws", Account: motoserver.Account, Users: users}).JSON()
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	newKey := func(desc, policy, alias string, rotation bool) (arn, id string) {
		k := e.aws("kms", "create-key", "--description", desc, "--policy", policy)
		arn, id = dig(k, "KeyMetadata", "Arn").(string), dig(k, "KeyMetadata", "KeyId").(string)
		if alias != "" {
			e.aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", id)
		}
		if rotation {
			e.aws("kms", "enable-key-rotation", "--key-id", id)
		}
		return arn, id
	}
	mediaAlias, archiveAlias := e.alias("init-media"), e.alias("init-archive")
	mediaARN, mediaID := newKey("Videos on example.com", keyPolicy(r[0]), mediaAlias, true)
	archiveARN, _ := newKey("Masters archive, rotation never turned on", keyPolicy(r[1], r[2]), archiveAlias, false)
	noAliasARN, _ := newKey("A key nobody named", keyPolicy(), "", true)

	encrypt := func(bucket, rule string) {
		e.aws("s3api", "put-bucket-encryption", "--bucket", bucket, "--server-side-encryption-configuration", `{"Rules":[`+rule+`]}`)
	}
	kmsRule := func(keyID string, bucketKey bool) string {
		key := ""
		if keyID != "" {
			key = `,"KMSMasterKeyID":"` + keyID + `"`
		}
		return fmt.Sprintf(`{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms"%s},"BucketKeyEnabled":%v,"BlockedEncryptionTypes":{"EncryptionType":["SSE-C"]}}`, key, bucketKey)
	}
	buckets := map[string]string{}
	for _, b := range []string{"plain", "media", "archive", "no-alias", "aws-managed", "aws-s3"} {
		buckets[b] = p + "-" + b
		e.aws("s3api", "create-bucket", "--bucket", buckets[b])
	}
	buckets["eu"] = p + "-eu"
	e.aws("s3api", "create-bucket", "--bucket", buckets["eu"], "--region", "eu-west-1", "--create-bucket-configuration", "LocationConstraint=eu-west-1")
	// SSE-KMS with a customer managed key named by alias, a transcoder in its key policy, and a
	// bucket policy (the team's own statements) that already refuses other encryption and plain HTTP.
	encrypt(buckets["media"], kmsRule(mediaARN, true))
	e.aws("s3api", "put-bucket-policy", "--bucket", buckets["media"], "--policy", teamBucketPolicy(buckets["media"], mediaARN, mediaID, mediaAlias))
	// A key whose rotation is off, with two roles that could be the transcoder.
	encrypt(buckets["archive"], kmsRule(archiveARN, false))
	// A key without an alias.
	encrypt(buckets["no-alias"], kmsRule(noAliasARN, true))
	// The AWS managed key: implicit (no key named), and named by its alias.
	encrypt(buckets["aws-managed"], kmsRule("", false))
	encrypt(buckets["aws-s3"], kmsRule("alias/aws/s3", false))

	// Init runs with the plan role's read actions and its own two, on every resource.
	perms := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":` + jsonList(append(slices.Clone(initReads), planReads...)) + `,"Resource":"*"}]}`
	if err := layer.SetIdentityPolicy(e.key, perms); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "init", "--buckets", p+"-*", "--account-id-from-caller")
	cmd.Env = e.runEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sseguard init: %v\n%s\n%s", err, stderr.String(), stdout.String())
	}
	if !strings.Contains(stderr.String(), "5 buckets adopted as they are, 2 buckets written commented out") {
		t.Errorf("init's stderr: %s", stderr.String())
	}
	used := map[string]bool{}
	for _, a := range layer.Actions() {
		if a.AccessKeyID != e.key {
			continue
		}
		used[a.Action] = true
		if !a.Allowed {
			t.Errorf("init was refused %s", a)
		}
		if slices.Contains(awstest.Destructive, a.Action) || slices.Contains(awstest.Destructive, a.Operation) {
			t.Errorf("init sent a destructive request: %s", a)
		}
	}

	pol := filepath.Join(e.dir, "sseguard.yaml")
	if err := os.WriteFile(pol, stdout.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Every action init used is the plan role's for the file it wrote, or one of its own two.
	gen := exec.Command(genBinary, "iam-policy", "--role", "plan", "--policy", pol)
	planPolicy, err := gen.Output()
	if err != nil {
		t.Fatalf("sseguard iam-policy --role plan for init's file: %v\n%s", err, stdout.String())
	}
	allowed := map[string]bool{"sts:GetCallerIdentity": true}
	for _, a := range initReads {
		allowed[a] = true
	}
	var doc struct {
		Statement []struct{ Action json.RawMessage }
	}
	if err := json.Unmarshal(planPolicy, &doc); err != nil {
		t.Fatalf("the plan role's policy: %v\n%s", err, planPolicy)
	}
	for _, s := range doc.Statement {
		var list []string
		if json.Unmarshal(s.Action, &list) != nil {
			var one string
			json.Unmarshal(s.Action, &one)
			list = []string{one}
		}
		for _, a := range list {
			allowed[a] = true
		}
	}
	var beyond []string
	for a := range used {
		if !allowed[a] {
			beyond = append(beyond, a)
		}
	}
	sort.Strings(beyond)
	if len(beyond) > 0 || !used["s3:ListAllMyBuckets"] || !used["kms:ListAliases"] {
		t.Errorf("init used %v beyond the plan role's actions for its file (and s3:ListAllMyBuckets, kms:ListAliases); all used: %v", beyond, used)
	}

	if code, out := e.sseguard(nil, "validate", "--policy", pol); code != 0 {
		t.Fatalf("validate init's file = %d\n%s\n%s", code, out, stdout.String())
	}
	if code, out := e.sseguard(nil, "plan", "--policy", pol, "--detailed-exitcode"); code != 0 {
		t.Fatalf("plan --detailed-exitcode on init's file = %d, want 0 (nothing to change)\n%s\n%s", code, out, stdout.String())
	}
	golden.Check(t, "testdata/init_e2e.golden.yaml", normaliseInit(stdout.String(), e.ns))
}

// teamBucketPolicy refuses uploads asking for another encryption or key, aws:kms uploads naming no
// key, and plain HTTP: the protections sseguard's statements give, under the team's own Sids.
func teamBucketPolicy(bucket, keyARN, keyID, alias string) string {
	aliasARN := strings.Replace(keyARN, "key/"+keyID, alias, 1)
	objects := "arn:aws:s3:::" + bucket + "/*"
	return `{"Version":"2012-10-17","Statement":[
{"Sid":"OnlyKMS","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"` + objects + `",
 "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption":"aws:kms"},"Null":{"s3:x-amz-server-side-encryption":"false"}}},
{"Sid":"OnlyOurKey","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"` + objects + `",
 "Condition":{"StringNotEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":` + jsonList([]string{keyARN, keyID, alias, aliasARN}) + `},
  "Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"false"}}},
{"Sid":"NoAWSManagedKey","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"` + objects + `",
 "Condition":{"StringEquals":{"s3:x-amz-server-side-encryption":"aws:kms"},"Null":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"true"}}},
{"Sid":"TLSOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::` + bucket + `","` + objects + `"],
 "Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
}

func jsonList(v []string) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// normaliseInit replaces what differs from run to run: the test's names and the key ids (KEY-1,
// KEY-2, ... in order of appearance).
func normaliseInit(s, ns string) string {
	s = strings.ReplaceAll(s, "-"+ns, "-tNNN")
	ids := map[string]string{}
	return uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := ids[id]; !ok {
			ids[id] = fmt.Sprintf("KEY-%d", len(ids)+1)
		}
		return ids[id]
	})
}
