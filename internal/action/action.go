// Package action is sseguard's GitHub Action: it reads the step's inputs and the event that
// started the workflow, decides between plan and apply, runs the pipeline, and reports through
// the job summary, annotations on the policy file and step outputs.
//
// Only push, schedule and workflow_dispatch events of the apply branch ever apply (Decide). Nothing
// is ever applied from a pull request: a fork's pull request must not be able to change
// production encryption, whatever the workflow's inputs say. Everything written for people goes
// through package sanitize (output.go).
package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/sethvargo/go-githubactions"

	"github.com/sseguard/sseguard/internal/approval"
	"github.com/sseguard/sseguard/internal/jsonplan"
	"github.com/sseguard/sseguard/internal/pipeline"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/report"
	"github.com/sseguard/sseguard/internal/sanitize"
	"github.com/sseguard/sseguard/internal/version"
)

// Pipeline runs sseguard's stages for one policy file: package pipeline's, or a test's stand-in.
type Pipeline interface {
	// Run runs op: it plans, and with plan.ModeApply applies, observes again and returns each
	// change's result too. A policy that does not validate returns an error that
	// errors.As-matches policy.Errors.
	Run(ctx context.Context, op pipeline.Operation) (*plan.Plan, []plan.Result, error)
}

// The real pipeline is what main hands to Run.
var _ Pipeline = (*pipeline.Pipeline)(nil)

// The exit codes of the action's step.
const (
	// ExitOK: nothing to do, only a plan was asked for, or everything was applied.
	ExitOK = 0
	// ExitFailure: a blocker, an error, an invalid policy, a refused apply, a failed change, or
	// drift with fail-on-drift.
	ExitFailure = 1
)

// secretEnv are variables whose values must never appear in the log. The runner masks secrets it
// knows of; credentials a previous step exported (configure-aws-credentials masks its own, a
// hand-written step may not) are masked here too. The account id is not a secret.
var secretEnv = []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"}

// Run is the action's entry point: it returns the step's exit code. main calls it when
// GITHUB_ACTIONS is true and no command-line arguments are given.
func Run(ctx context.Context, a *githubactions.Action, p Pipeline) int {
	for _, name := range secretEnv {
		if v := a.Getenv(name); v != "" {
			a.AddMask(v)
		}
	}
	o := newOutput(a)
	gh, err := a.Context()
	if gh == nil {
		return o.fail("", "could not read the workflow's context", err)
	}
	if err != nil {
		// Unparsable numbers (GITHUB_RUN_ID, ...) matter to nothing sseguard does.
		o.logWarning("part of the workflow context could not be read: " + err.Error())
	}
	in, err := ReadInputs(a, gh)
	if in.Comment.Token != "" {
		a.AddMask(in.Comment.Token)
	}
	if in.RedactAccountID {
		o.red.Enable()
		for _, id := range sanitize.PolicyAccounts(in.Policy) {
			o.learnAccount(id)
		}
	}
	if err != nil {
		return o.fail("", "invalid inputs", err)
	}
	doApply, err := Decide(in.Mode, gh.EventName, gh.Ref, in.ApplyBranch)
	if err != nil {
		// Nothing is read from AWS either: the run is misconfigured or started by an event that
		// must not apply, and a plan made with the apply role's credentials would help no one.
		return o.fail(plan.ModeApply, "refused to apply", err)
	}
	mode := plan.ModePlan
	if doApply {
		mode = plan.ModeApply
	}
	o.info(fmt.Sprintf("sseguard %s: policy %s, event %s, ref %s, apply branch %s", mode, in.PolicyRel, gh.EventName, gh.Ref, in.ApplyBranch))

	progress := o.progress()
	defer progress.Flush()
	// The JSON plan lists every object finding of the run, kept in a temporary file meanwhile.
	ff, ferr := pipeline.NewFindingsFile()
	if ferr == nil {
		defer ff.Close()
	}
	pl, results, err := p.Run(ctx, o.operation(ctx, in, gh, mode, progress, ff))
	progress.Flush()
	return o.finish(ctx, in, gh, mode, ff, pl, results, err)
}

// operation is the action's run: the inputs' options, the hooks that learn the account id (so
// that every progress line is redacted from the moment STS answers) and, applying, compare the
// plan with the approved one, and the view the progress lines and findings go to.
func (o *output) operation(ctx context.Context, in Inputs, gh *githubactions.GitHubContext, mode plan.Mode, progress io.Writer, ff *pipeline.FindingsFile) pipeline.Operation {
	op := pipeline.Operation{
		Mode:       mode,
		PolicyPath: in.Policy,
		Options:    pipeline.Options{Objects: in.Objects, RetryFailedBatch: in.RetryFailedBatch, Prices: in.Prices},
		Hooks: pipeline.Hooks{
			OnAccount:   o.learnAccount,
			BeforeApply: func(pl *plan.Plan) { o.learnAccount(pl.Account) },
		},
		View: pipeline.View{Progress: progress, Findings: ff},
	}
	if mode.Applies() {
		op.Hooks.Approve = o.approvalGate(ctx, in, gh)
	}
	return op
}

// finish reports what the run came to: an invalid policy, a run stopped before it had a plan, a
// refused apply, or the plan (and results) with the error that stopped it, if any. It returns the
// step's exit code.
func (o *output) finish(ctx context.Context, in Inputs, gh *githubactions.GitHubContext, mode plan.Mode, ff *pipeline.FindingsFile,
	pl *plan.Plan, results []plan.Result, err error) int {
	var perrs policy.Errors
	if errors.As(err, &perrs) {
		code := o.invalidPolicy(mode, in, perrs)
		o.commentFailure(ctx, in, gh, invalidPolicyComment(len(perrs)))
		return code
	}
	if pl == nil {
		if err == nil {
			err = errors.New("the pipeline returned no plan")
		}
		code := o.fail(mode, "stopped", err)
		o.commentFailure(ctx, in, gh, "stopped before it had a plan")
		return code
	}
	o.learnAccount(pl.Account)
	pl.PolicyPath = in.PolicyRel
	var findings io.Reader
	if ff != nil {
		// Its own error variable: the pipeline's error (a refused or stopped apply) must survive.
		var ferr error
		if findings, ferr = ff.Reader(); ferr != nil {
			o.logWarning("the JSON plan will not list objects: " + ferr.Error())
			findings = nil
		}
	}
	var refusal *approval.Refusal
	if errors.As(err, &refusal) {
		// Nothing was applied: the plan is shown as the plan it is, under the refusal.
		o.refused(in, pl, refusal)
		o.publish(in, plan.ModePlan, pl, nil, findings)
		return ExitFailure
	}
	code := o.publish(in, mode, pl, results, findings)
	if err != nil {
		// Apply may return what it did before the error: it is published above.
		o.logError(err.Error())
		o.summary(report.MarkdownFailure(mode, "stopped", []string{o.red.String(err.Error())}, version.Get().Short()))
		o.commentFailure(ctx, in, gh, "stopped before the plan was complete")
		return ExitFailure
	}
	// On a pull request's run, the plan as a comment too; a warning at worst, never a failure.
	o.commentPlan(ctx, in, gh, pl)
	return code
}

// publish writes everything a run reports (log, JSON file, summary, annotations, outputs) and
// returns the exit code. The JSON file holds the plan exactly as it is; everything written for
// people is rendered from a redacted copy when redact-account-id is on.
func (o *output) publish(in Inputs, mode plan.Mode, exact *plan.Plan, exactResults []plan.Result, findings io.Reader) int {
	pl, results := sanitize.Redacted(o.red, exact), sanitize.Redacted(o.red, exactResults)
	var text bytes.Buffer
	if err := report.Text(&text, pl); err == nil {
		o.a.Group("sseguard plan")
		o.uncommanded(strings.TrimRight(text.String(), "\n"))
		o.a.EndGroup()
	}

	code := ExitOK
	jsonPath, jsonShown, warning, err := writeJSON(in, mode, exact, exactResults, findings)
	if err != nil {
		o.logError(err.Error())
		code = ExitFailure
	}
	if warning != "" {
		o.logWarning(warning)
	}
	o.jsonShown = jsonShown
	md, shown := report.MarkdownShown(pl, report.MarkdownOptions{Mode: mode, Results: results, JSONFile: jsonShown, Version: version.Get().Short()})
	if o.summary(md) {
		o.shown = &shown
	}
	if shown.Detail != report.DetailFull && jsonShown != "" {
		o.info(fmt.Sprintf("The job summary shows %s (the full one would be %d KiB); the JSON plan %s has everything.",
			shown.Detail, (shown.FullBytes+1023)/1024, jsonShown))
	}
	anns := report.Annotations(pl, in.PolicyRel)
	if mode.Applies() {
		anns = report.ApplyAnnotations(pl, results, in.PolicyRel)
	}
	for _, an := range anns {
		o.annotate(an)
	}

	// One count of the outcomes (plan.TallyOf) and one exit policy (plan.Exit) for every view.
	tally := plan.TallyOf(results)
	var failed []string
	for _, r := range results {
		if r.Outcome == plan.Failed || r.Outcome == plan.Unverified {
			failed = append(failed, r.ChangeID)
		}
	}
	outputs := [][2]string{
		{"drift", strconv.FormatBool(!pl.InSyncWith(results))},
		{"changes", strconv.Itoa(len(pl.Needed(results)))},
		{"blockers", strconv.Itoa(len(pl.Blockers))},
		{"applied", strconv.Itoa(tally.Done)},
	}
	if jsonPath != "" {
		outputs = append(outputs, [2]string{"plan-json", jsonShown})
	}
	if n, ok := unmanagedCount(pl); ok {
		outputs = append(outputs, [2]string{"unmanaged-buckets", n})
	}
	if err := setOutputs(o.a, outputs); err != nil {
		o.logError(err.Error())
		code = ExitFailure
	}

	// Why the step fails, when it does.
	if n := len(pl.Blockers); n > 0 {
		o.info(fmt.Sprintf("Failing the step: %d blocker(s) stop changes to part of the account (see the job summary).", n))
	}
	if len(failed) > 0 {
		o.logError(fmt.Sprintf("%d change(s) failed or could not be verified: %s (the job summary has each error)",
			len(failed), strings.Join(failed, ", ")))
	}
	if n := tally.Skipped; n > 0 {
		o.info(fmt.Sprintf("Failing the step: %d change(s) were skipped (a change they depend on did not take, or the run was stopped).", n))
	}
	if in.FailOnDrift && !mode.Applies() && len(pl.Needed(nil)) > 0 {
		o.info("Failing the step: the account differs from the policy and fail-on-drift is true.")
	}
	if plan.Exit(pl, results, plan.ExitOptions{Mode: mode, FailOnDrift: in.FailOnDrift}) != plan.ExitOK {
		code = ExitFailure
	}
	return code
}

// invalidPolicy annotates each problem at its line and column and fails the step.
func (o *output) invalidPolicy(mode plan.Mode, in Inputs, errs policy.Errors) int {
	var anns []report.Annotation
	var lines []string
	for _, e := range errs {
		anns = append(anns, report.Annotation{Level: report.LevelError, File: in.PolicyRel, Line: e.Line, Column: e.Column,
			Title: "sseguard: invalid policy", Message: e.Message})
		lines = append(lines, policy.Position(in.PolicyRel, e.Line, e.Column)+": "+e.Message)
	}
	for _, an := range report.Aggregate(anns, report.MaxAnnotations) {
		o.annotate(an)
	}
	what := fmt.Sprintf("the policy does not validate (%s), nothing was read from or changed in AWS", report.Plural(len(errs), "problem", "problems"))
	o.summary(report.MarkdownFailure(mode, what, sanitize.Redacted(o.red, lines), version.Get().Short()))
	return ExitFailure
}

// fail reports an error that stops the run before there is a plan.
func (o *output) fail(mode plan.Mode, what string, err error) int {
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		lines = append(lines, l)
		o.logError("sseguard " + what + ": " + l)
	}
	o.summary(report.MarkdownFailure(mode, what, sanitize.Redacted(o.red, lines), version.Get().Short()))
	return ExitFailure
}

// setSummary appends to the job summary, when there is one, and says whether it did: SetOutput
// and AddStepSummary panic when their file is missing or unwritable (and outside a runner there
// is none).
func setSummary(o *output, md string) bool {
	if o.a.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return false
	}
	if err := catch(func() { o.a.AddStepSummary(md) }); err != nil {
		o.logWarning("could not write the job summary: " + err.Error())
		return false
	}
	return true
}

// setOutputs sets the step's outputs. go-githubactions writes each as name<<delimiter, value,
// delimiter with a fixed delimiter: a value with a line break could end it early and set other
// outputs, so such a value is refused.
func setOutputs(a *githubactions.Action, outputs [][2]string) error {
	for _, o := range outputs {
		if strings.ContainsAny(o[1], "\r\n") {
			return fmt.Errorf("output %s is not set: its value holds a line break", o[0])
		}
	}
	if a.Getenv("GITHUB_OUTPUT") == "" {
		return nil
	}
	return catch(func() {
		for _, o := range outputs {
			a.SetOutput(o[0], o[1])
		}
	})
}

// catch turns go-githubactions' panics on file errors into an error.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	f()
	return nil
}

// writeJSON writes the full plan; it returns the path written and the path to show (as the
// user wrote it, so that a relative path still works in later steps), and a warning when the
// default file was taken and another name chosen.
func writeJSON(in Inputs, mode plan.Mode, pl *plan.Plan, results []plan.Result, findings io.Reader) (string, string, string, error) {
	path, shown := in.JSONFile, in.JSONFileShown
	var f *os.File
	var err error
	var warning string
	switch {
	case path == "":
		f, err = os.CreateTemp("", "sseguard-plan-*.json")
		if f != nil {
			path, shown = f.Name(), f.Name()
		}
	case in.JSONDefault:
		f, path, shown, warning, err = openDefaultJSON(path, shown)
	default:
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", "", "", fmt.Errorf("write the JSON plan: %w", err)
		}
		if fi, lerr := os.Lstat(path); lerr == nil && fi.Mode()&os.ModeSymlink != 0 {
			return "", "", "", fmt.Errorf("write the JSON plan: %s is a symbolic link: sseguard does not write through links (the workspace holds the pull request's files); remove it or set json-file to another path", shown)
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|oNoFollow, 0o644)
	}
	if err != nil {
		return "", "", "", fmt.Errorf("write the JSON plan: %w", err)
	}
	// The same JSON value, with no line a workflow command should the file be printed later.
	jw := sanitize.NewJSONWriter(f)
	err = jsonplan.Write(jw, pl, results, findings, jsonplan.Options{Mode: mode, Version: version.Get().Short()})
	if ferr := jw.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", "", fmt.Errorf("write the JSON plan to %s: %w", path, err)
	}
	return path, shown, warning, nil
}

// maxDefaultJSONTries bounds the names tried for the default JSON plan (name, name-2, ...).
const maxDefaultJSONTries = 20

// openDefaultJSON opens the default JSON plan's file for writing: a new file, or one that already
// holds a JSON plan sseguard wrote (an earlier run's, or an earlier step's of this job). Anything
// else found there (a file of the repository, a link, a directory) is left as it is and the next
// name is tried: sseguard-plan.json, sseguard-plan-2.json, ...; warning says so.
func openDefaultJSON(path, shown string) (*os.File, string, string, string, error) {
	ext := filepath.Ext(path)
	var taken []string
	for i := 1; i <= maxDefaultJSONTries; i++ {
		p, s := path, shown
		if i > 1 {
			p = strings.TrimSuffix(path, ext) + "-" + strconv.Itoa(i) + ext
			s = strings.TrimSuffix(shown, ext) + "-" + strconv.Itoa(i) + ext
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o644)
		if errors.Is(err, fs.ErrExist) && isPlanJSON(p) {
			f, err = os.OpenFile(p, os.O_WRONLY|os.O_TRUNC|oNoFollow, 0o644)
		}
		switch {
		case err == nil:
			warning := ""
			if len(taken) > 0 {
				warning = fmt.Sprintf("the JSON plan is in %s: %s in the workspace %s not a JSON plan sseguard wrote, and sseguard does not overwrite it (set json-file to choose the file)",
					s, strings.Join(taken, ", "), map[bool]string{true: "is", false: "are"}[len(taken) == 1])
			}
			return f, p, s, warning, nil
		case errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ELOOP):
			taken = append(taken, s)
		default:
			return nil, "", "", "", err
		}
	}
	return nil, "", "", "", fmt.Errorf("%s and the next %d names in the workspace are all taken by files sseguard did not write; set json-file", shown, maxDefaultJSONTries-1)
}

// planJSONStart is how every JSON plan sseguard writes begins (jsonplan.Write, indented).
var planJSONStart = regexp.MustCompile(`^\{\n  "format_version": "[0-9]+",\n  "mode": "(plan|apply)",\n`)

// isPlanJSON says whether path is a regular file (not a link) that starts as sseguard's JSON
// plans do.
func isPlanJSON(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 128)
	n, _ := io.ReadFull(f, head)
	return planJSONStart.Match(head[:n])
}
