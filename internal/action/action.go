// Package action is sseguard's GitHub Action: it reads the step's inputs and the event that
// started the workflow, decides between plan and apply, runs the pipeline, and reports through
// the job summary, annotations on the policy file and step outputs.
//
// Nothing is ever applied from a pull request: a fork's pull request must not be able to change
// production encryption, whatever the workflow's inputs say.
package action

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/sseguard/sseguard/internal/objects"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
	"github.com/sseguard/sseguard/internal/report"
)

// Pipeline runs sseguard's stages for one policy file.
type Pipeline interface {
	// Plan observes the account and computes the plan. A policy that does not validate returns an
	// error that errors.As-matches policy.Errors.
	Plan(ctx context.Context, policyPath string) (*plan.Plan, error)
	// Apply plans, applies, observes again and returns the plan that was applied and each
	// change's result.
	Apply(ctx context.Context, policyPath string) (*plan.Plan, []plan.Result, error)
}

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

// ObjectTuner is implemented by pipelines whose object scans and re-encryption can be tuned by
// the action's inputs (concurrency, max-objects, max-duration, requests-per-second).
type ObjectTuner interface {
	SetObjectOptions(objects.Options)
}

// FindingsProvider is implemented by pipelines that keep every object finding of the run (as
// JSON lines); the JSON plan then lists them all.
type FindingsProvider interface {
	ObjectFindings() (io.Reader, error)
}

// Run is the action's entry point: it returns the step's exit code. main calls it when
// GITHUB_ACTIONS is true and no command-line arguments are given.
func Run(ctx context.Context, a *githubactions.Action, p Pipeline) int {
	for _, name := range secretEnv {
		if v := a.Getenv(name); v != "" {
			a.AddMask(v)
		}
	}
	gh, err := a.Context()
	if gh == nil {
		return fail(a, "", "could not read the workflow's context", err)
	}
	if err != nil {
		// Unparsable numbers (GITHUB_RUN_ID, ...) matter to nothing sseguard does.
		a.Warningf("%s", "part of the workflow context could not be read: "+oneLine(err.Error()))
	}
	in, err := ReadInputs(a, gh)
	if err != nil {
		return fail(a, "", "invalid inputs", err)
	}
	if t, ok := p.(ObjectTuner); ok {
		t.SetObjectOptions(in.Objects)
	}
	doApply, err := Decide(in.Mode, gh.EventName, gh.Ref, in.ApplyBranch)
	if err != nil {
		return fail(a, string(ModeApply), "refused to apply", err)
	}
	mode := "plan"
	if doApply {
		mode = "apply"
	}
	a.Infof("%s", oneLine(fmt.Sprintf("sseguard %s: policy %s, event %s, ref %s, apply branch %s", mode, in.PolicyRel, gh.EventName, gh.Ref, in.ApplyBranch)))

	var (
		pl      *plan.Plan
		results []plan.Result
	)
	if doApply {
		pl, results, err = p.Apply(ctx, in.Policy)
	} else {
		pl, err = p.Plan(ctx, in.Policy)
	}
	var perrs policy.Errors
	if errors.As(err, &perrs) {
		return invalidPolicy(a, mode, in, perrs)
	}
	if pl == nil {
		if err == nil {
			err = errors.New("the pipeline returned no plan")
		}
		return fail(a, mode, "stopped", err)
	}
	pl.PolicyPath = in.PolicyRel
	var findings io.Reader
	if fp, ok := p.(FindingsProvider); ok {
		if findings, err = fp.ObjectFindings(); err != nil {
			a.Warningf("%s", oneLine("the JSON plan will not list objects: "+err.Error()))
			findings, err = nil, nil
		}
	}
	code := publish(a, in, mode, pl, results, findings)
	if err != nil {
		// Apply may return what it did before the error: it is published above.
		a.Errorf("%s", oneLine(err.Error()))
		setSummary(a, report.MarkdownFailure(mode, "stopped", []string{err.Error()}))
		code = ExitFailure
	}
	return code
}

// publish writes everything a run reports (log, JSON file, summary, annotations, outputs) and
// returns the exit code.
func publish(a *githubactions.Action, in Inputs, mode string, pl *plan.Plan, results []plan.Result, findings io.Reader) int {
	var text bytes.Buffer
	if err := report.Text(&text, pl); err == nil {
		a.Group("sseguard plan")
		logUncommanded(a, strings.TrimRight(text.String(), "\n"))
		a.EndGroup()
	}
	if mode == "apply" {
		var lines []string
		for _, r := range results {
			line := fmt.Sprintf("%-10s %s", r.Outcome, r.ChangeID)
			if r.Error != "" {
				line += ": " + r.Error
			} else if r.Detail != "" {
				line += ": " + r.Detail
			}
			lines = append(lines, oneLine(line))
		}
		if len(lines) > 0 {
			logUncommanded(a, "Apply results:\n"+strings.Join(lines, "\n"))
		}
	}

	code := ExitOK
	jsonPath, jsonShown, err := writeJSON(in, mode, pl, results, findings)
	if err != nil {
		a.Errorf("%s", oneLine(err.Error()))
		code = ExitFailure
	}
	setSummary(a, report.Markdown(pl, report.MarkdownOptions{Mode: mode, Results: results, JSONFile: jsonShown}))
	anns := report.Annotations(pl, in.PolicyRel)
	if mode == "apply" {
		anns = report.ApplyAnnotations(pl, results, in.PolicyRel)
	}
	for _, an := range anns {
		annotate(a, an)
	}

	applied, failed, notDone := 0, []string{}, 0
	for _, r := range results {
		switch r.Outcome {
		case plan.Done:
			applied++
		case plan.Failed, plan.Unverified:
			failed = append(failed, r.ChangeID)
		}
		if r.Outcome != plan.Done && r.Outcome != plan.Unchanged {
			notDone++
		}
	}
	outputs := [][2]string{
		{"drift", strconv.FormatBool(!pl.InSync())},
		{"changes", strconv.Itoa(len(pl.Changes))},
		{"blockers", strconv.Itoa(len(pl.Blockers))},
		{"applied", strconv.Itoa(applied)},
	}
	if jsonPath != "" {
		outputs = append(outputs, [2]string{"plan-json", jsonShown})
	}
	if err := setOutputs(a, outputs); err != nil {
		a.Errorf("%s", oneLine(err.Error()))
		code = ExitFailure
	}

	if n := len(pl.Blockers); n > 0 {
		a.Infof("Failing the step: %d blocker(s) stop changes to part of the account (see the job summary).", n)
		code = ExitFailure
	}
	if len(failed) > 0 {
		a.Errorf("%s", oneLine(fmt.Sprintf("%d change(s) failed or could not be verified: %s (the job summary has each error)",
			len(failed), strings.Join(failed, ", "))))
		code = ExitFailure
	}
	if in.FailOnDrift {
		if mode == "plan" && len(pl.Changes) > 0 {
			a.Infof("Failing the step: the account differs from the policy and fail-on-drift is true.")
			code = ExitFailure
		}
		if mode == "apply" && notDone > 0 {
			a.Infof("Failing the step: %d change(s) were not applied and fail-on-drift is true.", notDone)
			code = ExitFailure
		}
	}
	return code
}

// invalidPolicy annotates each problem at its line and column and fails the step.
func invalidPolicy(a *githubactions.Action, mode string, in Inputs, errs policy.Errors) int {
	var anns []report.Annotation
	var lines []string
	for _, e := range errs {
		anns = append(anns, report.Annotation{Level: report.LevelError, File: in.PolicyRel, Line: e.Line, Column: e.Column,
			Title: "sseguard: invalid policy", Message: e.Message})
		pos := in.PolicyRel
		if e.Line > 0 {
			pos += ":" + strconv.Itoa(e.Line)
			if e.Column > 0 {
				pos += ":" + strconv.Itoa(e.Column)
			}
		}
		lines = append(lines, pos+": "+e.Message)
	}
	for _, an := range report.Aggregate(anns, report.MaxAnnotations) {
		annotate(a, an)
	}
	what := fmt.Sprintf("the policy does not validate (%d problems), nothing was read from or changed in AWS", len(errs))
	if len(errs) == 1 {
		what = "the policy does not validate (1 problem), nothing was read from or changed in AWS"
	}
	setSummary(a, report.MarkdownFailure(mode, what, lines))
	return ExitFailure
}

// fail reports an error that stops the run before there is a plan.
func fail(a *githubactions.Action, mode, what string, err error) int {
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		lines = append(lines, l)
		a.Errorf("%s", oneLine("sseguard "+what+": "+l))
	}
	setSummary(a, report.MarkdownFailure(mode, what, lines))
	return ExitFailure
}

// annotate emits one annotation as a workflow command.
func annotate(a *githubactions.Action, an report.Annotation) {
	fields := map[string]string{"title": an.Title}
	if an.File != "" {
		fields["file"] = an.File
	}
	if an.Line > 0 {
		fields["line"] = strconv.Itoa(an.Line)
		if an.Column > 0 {
			fields["col"] = strconv.Itoa(an.Column)
		}
	}
	msg := oneLine(an.Message)
	switch an.Level {
	case report.LevelError:
		a.WithFieldsMap(fields).Errorf("%s", msg)
	case report.LevelWarning:
		a.WithFieldsMap(fields).Warningf("%s", msg)
	default:
		a.WithFieldsMap(fields).Noticef("%s", msg)
	}
}

// logUncommanded prints text that contains values from AWS and the policy with workflow commands
// turned off, so that no line of it can be taken for one. The token that turns them back on is
// derived from the text itself: text cannot contain the hash of itself.
func logUncommanded(a *githubactions.Action, text string) {
	sum := sha256.Sum256([]byte(text))
	token := "sseguard-" + hex.EncodeToString(sum[:16])
	a.IssueCommand(&githubactions.Command{Name: "stop-commands", Message: token})
	a.Infof("%s", text)
	a.IssueCommand(&githubactions.Command{Name: token})
}

// setSummary appends to the job summary, when there is one: SetOutput and AddStepSummary panic
// when their file is missing or unwritable (and outside a runner there is none).
func setSummary(a *githubactions.Action, md string) {
	if a.Getenv("GITHUB_STEP_SUMMARY") == "" {
		return
	}
	if err := catch(func() { a.AddStepSummary(md) }); err != nil {
		a.Warningf("%s", oneLine("could not write the job summary: "+err.Error()))
	}
}

func setOutputs(a *githubactions.Action, outputs [][2]string) error {
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
// user wrote it, so that a relative path still works in later steps).
func writeJSON(in Inputs, mode string, pl *plan.Plan, results []plan.Result, findings io.Reader) (string, string, error) {
	path, shown := in.JSONFile, in.JSONFileShown
	var f *os.File
	var err error
	if path == "" {
		f, err = os.CreateTemp("", "sseguard-plan-*.json")
		if f != nil {
			path, shown = f.Name(), f.Name()
		}
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", "", fmt.Errorf("write the JSON plan: %w", err)
		}
		f, err = os.Create(path)
	}
	if err != nil {
		return "", "", fmt.Errorf("write the JSON plan: %w", err)
	}
	err = report.JSONWithObjects(f, mode, pl, results, findings)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", "", fmt.Errorf("write the JSON plan to %s: %w", path, err)
	}
	return path, shown, nil
}

// oneLine keeps a message on one log line.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, s)
}
