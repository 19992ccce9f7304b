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
	"github.com/sseguard/sseguard/internal/jsonplan"
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
		fmt.Fprint(env.Stderr, usage())
		return ExitError
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "-help", "--help":
		fmt.Fprint(env.Stdout, usage())
		return ExitOK
	case "help":
		// sseguard help COMMAND is sseguard COMMAND --help.
		if len(rest) == 0 {
			fmt.Fprint(env.Stdout, usage())
			return ExitOK
		}
		if _, ok := lookup(rest[0]); !ok {
			fmt.Fprint(env.Stderr, unknownCommand(rest[0]))
			return ExitError
		}
		return runCommand(ctx, []string{rest[0], "--help"}, env, json, red)
	case "-version", "--version", "version":
		return runVersion(rest, env)
	case "validate", "plan", "apply":
		return runPipeline(ctx, cmd, rest, env, json, red)
	case "demo":
		return runDemo(env)
	case "iam-policy":
		return runIAMPolicy(rest, env)
	case "init":
		return runInit(ctx, rest, env)
	default:
		fmt.Fprint(env.Stderr, unknownCommand(cmd))
		return ExitError
	}
}

// pipelineFlags are the flags of validate, plan and apply.
type pipelineFlags struct {
	policyPath, jsonPath, approvedPlan, pricesPath string
	redact, detailed, retryBatch                   bool
	objects                                        objects.Options
}

// newPipelineFlags defines cmd's flags, each stored in f once parsed.
func newPipelineFlags(cmd string, f *pipelineFlags) *flag.FlagSet {
	fs := newFlags(cmd)
	fs.StringVar(&f.policyPath, "policy", "sseguard.yaml", "read the policy from `FILE`")
	fs.BoolVar(&f.redact, "redact-account-id", false, "print REDACTED instead of AWS account ids on stdout and stderr: the policy's "+
		"account (and its trusted_accounts), the caller's account once known, and the account field of every ARN; the "+
		"JSON plan (--json) keeps them exact")
	if cmd == "apply" {
		fs.StringVar(&f.approvedPlan, "approved-plan", "", "apply only if the plan is the one in `FILE`, a JSON plan an earlier "+
			"\"plan --json FILE\" wrote (the one reviewers approved): the changes are compared as they would be written (the "+
			"order, the wording and existing objects' counts aside); any difference applies nothing, says what changed, and exits 1")
	}
	if cmd == "validate" {
		return fs
	}
	oo := &f.objects
	fs.StringVar(&f.jsonPath, "json", "", "also write the plan (and apply results) as JSON to `FILE` (\"-\" for stdout); "+
		"it lists every object found not as required")
	if cmd == "plan" {
		fs.BoolVar(&f.detailed, "detailed-exitcode", false, "exit 0 when in sync, 2 when changes are pending, 1 on error or blocker")
	}
	fs.IntVar(&oo.Concurrency, "concurrency", 0, "`N` objects in flight (default 64)")
	fs.Float64Var(&oo.RequestsPerSecond, "rps", 0, "cap S3 requests per second at `N` (default: no cap)")
	fs.IntVar(&oo.MaxObjects, "max-objects", 0, "stop cleanly after `N` objects; a re-run continues (default: no limit)")
	fs.DurationVar(&oo.MaxDuration, "max-duration", 0, "stop cleanly after `D`, e.g. 45m (default: no limit)")
	fs.Int64Var(&oo.MultipartThreshold, "multipart-threshold", 0, "copy objects larger than `BYTES` in parts (default 5 GiB)")
	fs.StringVar(&oo.UpdateObjectEncryption, "update-object-encryption", objects.UpdateEncryptionAuto,
		"when to use S3 UpdateObjectEncryption (no data copied): auto = only on AWS's own endpoints, always = also "+
			"on others that implement it, never = copy every object (`MODE`: auto, always or never)")
	fs.BoolVar(&oo.CopyFromListing, "copy-from-listing", false, "once a sample shows nearly every object needs fixing, "+
		"copy objects straight from the listing without reading each one first (half the requests). Off by default: "+
		"an object's website redirect (x-amz-website-redirect-location) is only seen by reading it, and a copy made "+
		"without it drops it. Use only on buckets whose objects carry none.")
	fs.StringVar(&f.pricesPath, "prices", "", "price the cost estimates with the price table in `FILE` (JSON: the fields of the "+
		"table in docs/plan-format.md, Prices; what it names replaces the default, us-east-1 and dated)")
	if cmd == "apply" {
		fs.BoolVar(&f.retryBatch, "retry-failed-batch-jobs", false, "start the next generation of a bucket's S3 Batch Operations "+
			"jobs although the last one did not finish cleanly (a job Failed or was Cancelled, or tasks failed); without it "+
			"such a bucket is a batch-jobs-failed blocker")
	}
	return fs
}

// runPipeline runs validate, plan or apply.
func runPipeline(ctx context.Context, cmd string, rest []string, env Env, json io.Writer, red *sanitize.Redactor) int {
	var f pipelineFlags
	fs := newPipelineFlags(cmd, &f)
	if done, code := parse(fs, cmd, rest, env); done {
		return code
	}
	if f.redact {
		red.Enable()
		for _, id := range sanitize.PolicyAccounts(f.policyPath) {
			red.AddAccount(id)
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "sseguard %s: unexpected argument %q (the policy file goes after --policy)\n", cmd, fs.Arg(0))
		return ExitError
	}
	if err := checkObjectOptions(f.objects); err != nil {
		fmt.Fprintf(env.Stderr, "sseguard %s: %v\n", cmd, err)
		return ExitError
	}
	r, ok := newRunner(cmd, f, env, json, red)
	if !ok {
		return ExitError
	}
	if err := r.streamFindings(); err != nil {
		return r.fail(err)
	}
	defer r.closeFindings()
	switch cmd {
	case "validate":
		return r.validate(f.policyPath)
	case "plan":
		return r.plan(ctx, f.policyPath, f.detailed)
	default:
		return r.apply(ctx, f.policyPath)
	}
}

// newRunner builds the runner of a command and the run it describes from its flags, reading the
// files they name (--approved-plan, --prices); it says what is wrong and reports false when one
// cannot be read.
func newRunner(cmd string, f pipelineFlags, env Env, json io.Writer, red *sanitize.Redactor) (*runner, bool) {
	r := &runner{env: env, cmd: cmd, jsonPath: f.jsonPath, json: json, red: red, p: env.Pipeline}
	if f.approvedPlan != "" {
		// Read before anything else: a file that is not a JSON plan fails before any AWS call.
		fp, err := readApprovedPlan(f.approvedPlan)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sseguard apply: --approved-plan %s: %v\n", f.approvedPlan, err)
			return nil, false
		}
		r.approved = &fp
	}
	if r.p == nil {
		r.p = &pipeline.Pipeline{}
	}
	r.op = pipeline.Operation{
		Options: pipeline.Options{Objects: f.objects, RetryFailedBatch: f.retryBatch},
		View:    pipeline.View{Progress: r.human()},
	}
	if f.redact {
		// From the moment STS answers: progress lines printed before the plan exists too.
		r.op.Hooks.OnAccount = func(id string) { red.AddAccount(id) }
	}
	if f.pricesPath != "" {
		prices, err := readPrices(f.pricesPath)
		if err != nil {
			fmt.Fprintf(env.Stderr, "sseguard %s: --prices %s: %v\n", cmd, f.pricesPath, err)
			return nil, false
		}
		r.op.Options.Prices = prices
	}
	return r, true
}

type runner struct {
	env Env
	// cmd names the command in every error line: "sseguard plan: ...".
	cmd string
	p   *pipeline.Pipeline
	// op is what every run of the command shares (options, the account hook, the view); plan and
	// apply complete it.
	op       pipeline.Operation
	jsonPath string
	// json receives the JSON plan when jsonPath is "-".
	json io.Writer
	// red learns the account id from the plan; it redacts env.Stdout and env.Stderr.
	red *sanitize.Redactor
	// approved is the fingerprint of --approved-plan's JSON plan; nil without the flag.
	approved *approval.Fingerprint
}

// streamFindings keeps the run's object findings in a temporary file, when a JSON plan is wanted.
// The caller must call closeFindings.
func (r *runner) streamFindings() error {
	if r.jsonPath == "" {
		return nil
	}
	ff, err := pipeline.NewFindingsFile()
	if err != nil {
		return err
	}
	r.op.View.Findings = ff
	return nil
}

func (r *runner) closeFindings() {
	if r.op.View.Findings != nil {
		r.op.View.Findings.Close()
	}
}

// readPrices reads a prices file (plan.ReadPrices).
func readPrices(path string) (*plan.Prices, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := plan.ReadPrices(f)
	if err != nil {
		return nil, err
	}
	return &p, nil
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
	fmt.Fprintf(r.env.Stdout, "%s: valid (%s, %s)\n", sanitize.Line(path), report.Plural(len(pol.Buckets), "bucket", "buckets"), report.Plural(len(pol.Keys), "key", "keys"))
	return ExitOK
}

func (r *runner) plan(ctx context.Context, path string, detailed bool) int {
	op := r.op
	op.Mode, op.PolicyPath = plan.ModePlan, path
	pl, _, err := r.p.Run(ctx, op)
	if err != nil {
		return r.fail(err)
	}
	r.red.AddAccount(pl.Account)
	if err := report.Text(r.human(), pl); err != nil {
		return r.fail(err)
	}
	if err := r.writeJSON(plan.ModePlan, pl, nil); err != nil {
		return r.fail(err)
	}
	return plan.Exit(pl, nil, plan.ExitOptions{Mode: plan.ModePlan, Detailed: detailed})
}

func (r *runner) apply(ctx context.Context, path string) int {
	op := r.op
	op.Mode, op.PolicyPath = plan.ModeApply, path
	op.Hooks.BeforeApply = func(pl *plan.Plan) {
		r.red.AddAccount(pl.Account)
		_ = report.Text(r.human(), pl)
		if len(pl.Changes) > 0 {
			fmt.Fprintln(r.human(), "\nApplying:")
		}
	}
	if r.approved != nil {
		op.Hooks.Approve = r.approve
	}
	pl, results, err := r.p.Run(ctx, op)
	if pl == nil {
		return r.fail(err)
	}
	var refusal *approval.Refusal
	if errors.As(err, &refusal) {
		r.red.AddAccount(pl.Account)
		fmt.Fprintf(r.env.Stderr, "sseguard apply: refused to apply: %s; nothing was changed\n", refusal.Reason)
		for _, d := range refusal.Details {
			fmt.Fprintf(r.env.Stderr, "  %s\n", d)
		}
		if jerr := r.writeJSON(plan.ModePlan, pl, nil); jerr != nil {
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
	code := plan.Exit(pl, results, plan.ExitOptions{Mode: plan.ModeApply})
	if jerr := r.writeJSON(plan.ModeApply, pl, results); jerr != nil {
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

func (r *runner) writeJSON(mode plan.Mode, pl *plan.Plan, results []plan.Result) error {
	if r.jsonPath == "" {
		return nil
	}
	var objs io.Reader
	if ff := r.op.View.Findings; ff != nil {
		var err error
		if objs, err = ff.Reader(); err != nil {
			return err
		}
	}
	opts := jsonplan.Options{Mode: mode, Version: buildInfo().Short()}
	if r.jsonPath == "-" {
		return jsonplan.Write(r.json, pl, results, objs, opts)
	}
	f, err := os.Create(r.jsonPath)
	if err != nil {
		return fmt.Errorf("write JSON plan: %w", err)
	}
	// The same JSON value, with no line a workflow command should the file be printed later.
	jw := sanitize.NewJSONWriter(f)
	err = jsonplan.Write(jw, pl, results, objs, opts)
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
		fmt.Fprintf(r.env.Stderr, "%s: the policy has %s; nothing was read from or changed in AWS\n", r.prefix(), report.Plural(len(perrs), "problem", "problems"))
		return ExitError
	}
	fmt.Fprintf(r.env.Stderr, "%s: %s\n", r.prefix(), strings.TrimSpace(err.Error()))
	return ExitError
}

// prefix starts every error line: "sseguard plan", or "sseguard" where no command runs.
func (r *runner) prefix() string {
	if r.cmd == "" {
		return "sseguard"
	}
	return "sseguard " + r.cmd
}
