// Package cli is sseguard's command line: validate, plan, apply, iam-policy and init, and the steps
// cmd/demo shows (RunDemoSteps). Main takes its arguments and streams, and returns the exit code;
// only package main exits the process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sseguard/sseguard/internal/approval"
	"github.com/sseguard/sseguard/internal/objects"
	"github.com/sseguard/sseguard/internal/pipeline"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/report"
	"github.com/sseguard/sseguard/internal/sanitize"
)

// Exit codes, as `terraform plan -detailed-exitcode` uses them: the one policy of package plan.
const (
	ExitOK    = plan.ExitOK
	ExitError = plan.ExitError
	ExitDrift = plan.ExitDrift
)

const usage = `sseguard keeps S3 buckets encrypted the way a policy file says.

Usage:
  sseguard validate [--policy FILE] [--redact-account-id]
  sseguard plan     [--policy FILE] [--json FILE] [--detailed-exitcode] [--redact-account-id]
  sseguard apply    [--policy FILE] [--json FILE] [--redact-account-id]
  sseguard iam-policy --role plan|apply [--policy FILE] [--account ID] [--partition P]
  sseguard iam-policy --role plan|apply --trust --repo OWNER/REPO|OWNER@OWNER_ID/REPO@REPO_ID [--branch B] [--environment E] [--workflow PATH]
  sseguard iam-policy --role plan|apply --trust --account MEMBER --assumed-by HOME_ROLE_ARN... [--policy FILE]
  sseguard init     [--region R]... [--buckets GLOB]... [--account-id-from-caller] > sseguard.yaml

Commands:
  validate  Check the policy file offline (no AWS call). Every problem is printed as
            file:line:col: message.
  plan      Read the live state of every bucket and key the policy names and print what
            differs, and what apply would do. Changes nothing.
  apply     Make the account match the policy: create missing keys (with their aliases and key
            policies), set default encryption, fix key and bucket policies, re-encrypt existing
            objects where asked; then read everything back and verify. Never deletes or
            disables anything.
  iam-policy
            Print the least-privilege IAM policy (JSON) the plan or apply role needs for the
            policy file's buckets, prefixes and keys; with --trust, the role's trust policy for
            GitHub's OIDC provider instead (plan: the repository's pull requests and runs on the
            apply branch; apply: runs on the apply branch, or in --environment, and with
            --workflow only that workflow file). --repo OWNER@OWNER_ID/REPO@REPO_ID is for a
            repository that sends immutable OIDC subjects (gh api repos/OWNER/REPO --jq
            '.owner.id, .id' prints the two ids). --role batch: the role S3 Batch Operations
            jobs run as (buckets with batch_operations); with --trust, its trust policy for
            batchoperations.s3.amazonaws.com. For a policy that lists accounts, --account
            naming a listed account prints what that account's plan or apply role needs (its
            buckets and keys); otherwise the home role's, which also needs sts:AssumeRole on the
            listed accounts' roles of the same kind (plan on plan_role_arn, apply on
            apply_role_arn). --trust --account MEMBER --assumed-by ARN prints the trust policy
            of the member's plan or apply role: the home role of the same kind may assume it
            (with sts:ExternalId when the entry sets external_id). Offline: no AWS call.
  init      Read the account and print a commented policy file that keeps every bucket as it
            is now: applied, it changes nothing (plan --detailed-exitcode exits 0). Buckets
            sseguard would change or refuse as they are (an AWS managed key, a key in another
            account, DSSE-KMS, unreadable, ...) are printed commented out, each with the reason.
            Read-only. It needs s3:ListAllMyBuckets and kms:ListAliases, which the plan role
            lacks, and the plan role's read actions (s3:GetBucketLocation,
            s3:GetEncryptionConfiguration, s3:GetBucketPolicy, s3:GetReplicationConfiguration,
            kms:DescribeKey, kms:GetKeyPolicy, kms:GetKeyRotationStatus) on every bucket and key it reads:
            the plan role is scoped to a policy file's buckets and keys, which init is writing.
  demo      Not in this binary: run "go run ./cmd/demo" in a clone of the repository. It
            starts a local AWS emulator (moto_server) behind sseguard's strict AWS layer,
            creates drifted buckets for policy.example.yaml, plans, applies, and plans again.

Flags:
  --policy FILE         policy file (default sseguard.yaml)
  --json FILE           also write the plan (and apply results) as JSON to FILE ("-" for stdout);
                        it lists every object found not as required
  --detailed-exitcode   plan exits 0 when in sync, 2 when changes are pending, 1 on error or blocker
  --approved-plan FILE  apply only if the plan is the one in FILE, a JSON plan an earlier
                        "plan --json FILE" wrote (the one reviewers approved): the changes are
                        compared as they would be written (the order, the wording and existing
                        objects' counts aside); any difference applies nothing, says what
                        changed, and exits 1
  --redact-account-id   print REDACTED instead of AWS account ids on stdout and stderr: the
                        policy's account (and its trusted_accounts), the caller's account once
                        known, and the account field of every ARN; the JSON plan (--json) keeps
                        them exact

init:
  --region R            only buckets in region R (repeatable; default: every region); with one,
                        R is also the policy's region
  --buckets GLOB        only buckets whose name matches GLOB (*, ?, [a-z]; repeatable; default:
                        every bucket)
  --account-id-from-caller
                        write the caller's account id (sts:GetCallerIdentity) as the policy's
                        account, so sseguard refuses to touch any other

Existing objects (buckets with existing_objects: report or reencrypt):
  --concurrency N       objects in flight (default 64)
  --rps N               cap S3 requests per second (default: no cap)
  --max-objects N       stop cleanly after N objects; a re-run continues (default: no limit)
  --max-duration D      stop cleanly after D, e.g. 45m (default: no limit)
  --multipart-threshold BYTES  copy objects larger than this in parts (default 5 GiB)
  --update-object-encryption auto|always|never
                        use S3 UpdateObjectEncryption (no data copied): auto = only on AWS's own
                        endpoints (default); always = also on others that implement it
  --copy-from-listing   once a sample shows nearly every object needs fixing, copy objects
                        straight from the listing without reading each one first (half the
                        requests). Off by default: an object's website redirect
                        (x-amz-website-redirect-location) is only seen by reading it, and a copy
                        made without it drops it. Use only on buckets whose objects carry none.

AWS access comes from the SDK's default chain: AWS_PROFILE, AWS_ACCESS_KEY_ID/..., SSO, web
identity (GitHub OIDC), instance roles. AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 point it at
another endpoint (S3 then uses path-style addressing).

Everything printed for people is sanitized: control characters are shown escaped (\x1b,
\u202e), and no line can act as a GitHub Actions workflow command: a leading "::" is printed
\x3a:, and a '#' between '#' and '[' is printed \x23 (in the JSON plan \u0023, the same JSON
value).

Exit codes: 0 ok; 1 error, invalid policy, blocker or failed change; 2 changes pending
(plan --detailed-exitcode).
`

// Env is what the command line needs from its surroundings. Everything Main writes to Stdout and
// Stderr goes through the sanitizer (package sanitize), line by line; the JSON plan on Stdout
// (--json -) through its JSON form.
type Env struct {
	Stdout, Stderr io.Writer
	// Pipeline runs the stages; nil builds one from the default AWS configuration.
	Pipeline *pipeline.Pipeline
}

// Main runs the command line with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	env, jsonOut, red, flush := safeEnv(env)
	defer flush()
	return runCommand(ctx, args, env, jsonOut, red)
}

// safeEnv returns env with Stdout and Stderr going through the sanitizer and the redactor it
// returns, the writer for a JSON plan on stdout, and the function that flushes all three.
func safeEnv(env Env) (Env, io.Writer, *sanitize.Redactor, func()) {
	red := sanitize.NewRedactor(false)
	stdout, stderr := sanitize.NewWriter(env.Stdout, red.String), sanitize.NewWriter(env.Stderr, red.String)
	jsonOut := sanitize.NewJSONWriter(env.Stdout)
	env.Stdout, env.Stderr = stdout, stderr
	return env, jsonOut, red, func() {
		jsonOut.Flush()
		stdout.Flush()
		stderr.Flush()
	}
}

// runCommand is Main with its writers made safe: json is where the JSON plan goes for --json -,
// and red redacts what goes to env.Stdout and env.Stderr once --redact-account-id turns it on.
func runCommand(ctx context.Context, args []string, env Env, json io.Writer, red *sanitize.Redactor) int {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return ExitError
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprint(env.Stdout, usage)
		return ExitOK
	case "validate", "plan", "apply":
	case "demo":
		return runDemo(env)
	case "iam-policy":
		return runIAMPolicy(rest, env)
	case "init":
		return runInit(ctx, rest, env)
	default:
		fmt.Fprintf(env.Stderr, "sseguard: unknown command %q\n\n%s", cmd, usage)
		return ExitError
	}

	fs := flag.NewFlagSet("sseguard "+cmd, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, usage) }
	policyPath := fs.String("policy", "sseguard.yaml", "policy file")
	jsonPath := fs.String("json", "", "write the plan as JSON to this file")
	redact := fs.Bool("redact-account-id", false, "print REDACTED instead of the account id; the JSON plan keeps it")
	detailed := false
	if cmd == "plan" {
		fs.BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when changes are pending")
	}
	approvedPlan := ""
	if cmd == "apply" {
		fs.StringVar(&approvedPlan, "approved-plan", "", "apply only if the plan is the one in this JSON plan file")
	}
	var oo objects.Options
	fs.IntVar(&oo.Concurrency, "concurrency", 0, "objects in flight")
	fs.Float64Var(&oo.RequestsPerSecond, "rps", 0, "S3 requests per second cap")
	fs.IntVar(&oo.MaxObjects, "max-objects", 0, "object budget")
	fs.DurationVar(&oo.MaxDuration, "max-duration", 0, "time budget")
	fs.Int64Var(&oo.MultipartThreshold, "multipart-threshold", 0, "multipart copy threshold in bytes")
	fs.StringVar(&oo.UpdateObjectEncryption, "update-object-encryption", objects.UpdateEncryptionAuto, "auto|always|never")
	fs.BoolVar(&oo.CopyFromListing, "copy-from-listing", false, "copy objects without reading them first")
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	if *redact {
		red.Enable()
		for _, id := range sanitize.PolicyAccounts(*policyPath) {
			red.AddAccount(id)
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "sseguard %s: unexpected argument %q (the policy file goes after --policy)\n", cmd, fs.Arg(0))
		return ExitError
	}
	if err := checkObjectOptions(oo); err != nil {
		fmt.Fprintf(env.Stderr, "sseguard %s: %v\n", cmd, err)
		return ExitError
	}
	r := &runner{env: env, jsonPath: *jsonPath, json: json, red: red}
	if approvedPlan != "" {
		// Read before anything else: a file that is not a JSON plan fails before any AWS call.
		fp, err := readApprovedPlan(approvedPlan)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sseguard apply: --approved-plan %s: %v\n", approvedPlan, err)
			return ExitError
		}
		r.approved = &fp
	}
	r.p = env.Pipeline
	if r.p == nil {
		r.p = &pipeline.Pipeline{}
	}
	if r.p.Log == nil {
		r.p.Log = r.human()
	}
	if *redact {
		// From the moment STS answers: progress lines printed before the plan exists too.
		r.p.OnAccount = func(id string) { red.AddAccount(id) }
	}
	r.p.Objects = oo
	if err := r.streamFindings(); err != nil {
		return r.fail(err)
	}
	defer r.closeFindings()
	switch cmd {
	case "validate":
		return r.validate(*policyPath)
	case "plan":
		return r.plan(ctx, *policyPath, detailed)
	default:
		return r.apply(ctx, *policyPath)
	}
}

type runner struct {
	env      Env
	p        *pipeline.Pipeline
	jsonPath string
	// json receives the JSON plan when jsonPath is "-".
	json io.Writer
	// red learns the account id from the plan; it redacts env.Stdout and env.Stderr.
	red *sanitize.Redactor
	// approved is the fingerprint of --approved-plan's JSON plan; nil without the flag.
	approved *approval.Fingerprint
}

// streamFindings keeps the pipeline's object findings in a temporary file, when a JSON plan is
// wanted. The caller must call closeFindings.
func (r *runner) streamFindings() error {
	if r.jsonPath == "" {
		return nil
	}
	ff, err := pipeline.NewFindingsFile()
	if err != nil {
		return err
	}
	r.p.Findings = ff
	return nil
}

func (r *runner) closeFindings() {
	if r.p.Findings != nil {
		r.p.Findings.Close()
	}
}

// checkObjectOptions validates the object options the way the engine does (objects.Options.Validate),
// naming each problem by its flag.
func checkObjectOptions(o objects.Options) error {
	err := o.Validate()
	if err == nil {
		return nil
	}
	var lines []string
	for _, e := range unjoin(err) {
		var oe *objects.OptionError
		if !errors.As(e, &oe) {
			lines = append(lines, e.Error())
			continue
		}
		flag := "--" + oe.Option
		if oe.Option == objects.OptionRequestsPerSecond {
			flag = "--rps"
		}
		lines = append(lines, fmt.Sprintf("%s %s: want %s", flag, oe.Value, oe.Want))
	}
	return errors.New(strings.Join(lines, "; "))
}

// unjoin returns the errors errors.Join put together (or err alone).
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// human is where text for people goes: stdout, unless stdout carries the JSON plan (--json -).
func (r *runner) human() io.Writer {
	if r.jsonPath == "-" {
		return r.env.Stderr
	}
	return r.env.Stdout
}

func (r *runner) validate(path string) int {
	pol, err := r.p.Validate(path)
	if err != nil {
		return r.fail(err)
	}
	fmt.Fprintf(r.env.Stdout, "%s: valid (%s, %s)\n", sanitize.Line(path), count(len(pol.Buckets), "bucket"), count(len(pol.Keys), "key"))
	return ExitOK
}

func (r *runner) plan(ctx context.Context, path string, detailed bool) int {
	pl, err := r.p.Plan(ctx, path)
	if err != nil {
		return r.fail(err)
	}
	r.red.AddAccount(pl.Account)
	if err := report.Text(r.human(), pl); err != nil {
		return r.fail(err)
	}
	if err := r.writeJSON("plan", pl, nil); err != nil {
		return r.fail(err)
	}
	return plan.Exit(pl, nil, false, detailed, false)
}

func (r *runner) apply(ctx context.Context, path string) int {
	p := *r.p
	p.BeforeApply = func(pl *plan.Plan) {
		r.red.AddAccount(pl.Account)
		_ = report.Text(r.human(), pl)
		if len(pl.Changes) > 0 {
			fmt.Fprintln(r.human(), "\nApplying:")
		}
	}
	if r.approved != nil {
		p.Approve = r.approve
	}
	pl, results, err := p.Apply(ctx, path)
	if pl == nil {
		return r.fail(err)
	}
	var refusal *approval.Refusal
	if errors.As(err, &refusal) {
		r.red.AddAccount(pl.Account)
		fmt.Fprintf(r.env.Stderr, "sseguard: refused to apply: %s; nothing was changed\n", refusal.Reason)
		for _, d := range refusal.Details {
			fmt.Fprintf(r.env.Stderr, "  %s\n", d)
		}
		if jerr := r.writeJSON("plan", pl, nil); jerr != nil {
			r.fail(jerr)
		}
		return ExitError
	}
	r.red.AddAccount(pl.Account)
	// Each change's result was printed as it happened; the verdict counts them once.
	verdict, _ := report.ApplyVerdict(pl, results)
	switch {
	case pl.InSyncWith(results) && err == nil:
		fmt.Fprintf(r.human(), "\nNothing needed changing: %s\n", verdict)
	case len(results) > 0:
		fmt.Fprintf(r.human(), "\n%s Verified by reading the state back.\n", verdict)
	}
	code := plan.Exit(pl, results, true, false, false)
	if jerr := r.writeJSON("apply", pl, results); jerr != nil {
		r.fail(jerr)
		code = ExitError
	}
	if err != nil {
		r.fail(err)
		code = ExitError
	}
	return code
}

// readApprovedPlan reads the fingerprint of a JSON plan file (sseguard plan --json FILE).
func readApprovedPlan(path string) (approval.Fingerprint, error) {
	f, err := os.Open(path)
	if err != nil {
		return approval.Fingerprint{}, err
	}
	defer f.Close()
	return approval.FromJSONPlan(f)
}

// approve lets the plan be applied only when it is the approved one (--approved-plan).
func (r *runner) approve(pl *plan.Plan) error {
	if len(pl.Changes) == 0 {
		return nil
	}
	fresh, err := approval.OfPlan(pl)
	if err != nil {
		return &approval.Refusal{Reason: "the plan could not be fingerprinted: " + err.Error()}
	}
	d := approval.Compare(*r.approved, fresh)
	if !d.Same {
		return &approval.Refusal{Reason: fmt.Sprintf("the plan differs from the approved plan (plan digest %s now, %s approved)", fresh.Digest[:12], shortDigest(r.approved.Digest)), Details: d.Lines()}
	}
	fmt.Fprintf(r.human(), "The plan is the approved plan (plan digest %s).\n", fresh.Digest[:12])
	return nil
}

func shortDigest(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

func (r *runner) writeJSON(mode string, pl *plan.Plan, results []plan.Result) error {
	if r.jsonPath == "" {
		return nil
	}
	objs, err := r.p.ObjectFindings()
	if err != nil {
		return err
	}
	if r.jsonPath == "-" {
		return report.JSONWithObjects(r.json, mode, pl, results, objs)
	}
	f, err := os.Create(r.jsonPath)
	if err != nil {
		return fmt.Errorf("write JSON plan: %w", err)
	}
	// The same JSON value, with no line a workflow command should the file be printed later.
	jw := sanitize.NewJSONWriter(f)
	err = report.JSONWithObjects(jw, mode, pl, results, objs)
	if ferr := jw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("write JSON plan to %s: %w", r.jsonPath, err)
	}
	return f.Close()
}

// fail prints err; a policy's errors are printed one per line, file:line:col first. Any other
// error is printed as it is: a line break in it starts a new line (sanitized like every other).
func (r *runner) fail(err error) int {
	var perrs policy.Errors
	if errors.As(err, &perrs) {
		for _, e := range perrs {
			// One problem, one line, whatever the path or the message holds.
			fmt.Fprintln(r.env.Stderr, sanitize.Line(e.Error()))
		}
		fmt.Fprintf(r.env.Stderr, "sseguard: the policy has %s; nothing was read from or changed in AWS\n", count(len(perrs), "problem"))
		return ExitError
	}
	fmt.Fprintf(r.env.Stderr, "sseguard: %s\n", strings.TrimSpace(err.Error()))
	return ExitError
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
