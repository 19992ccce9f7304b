package action

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/sseguard/sseguard/internal/objects"
	"github.com/sseguard/sseguard/internal/plan"
)

// Mode is the action's mode input.
type Mode string

// The modes.
const (
	// ModeAuto applies on push, workflow_dispatch and schedule events on the apply branch, and
	// plans everywhere else.
	ModeAuto Mode = "auto"
	// ModePlan only plans.
	ModePlan Mode = "plan"
	// ModeApply applies, and fails the step where applying is not allowed.
	ModeApply Mode = "apply"
)

// DefaultPolicy is the policy input's default, relative to the workspace.
const DefaultPolicy = "sseguard.yaml"

// Inputs are the action's inputs, resolved.
type Inputs struct {
	// Policy is the policy file's path, absolute when the workspace is known.
	Policy string
	// PolicyRel is Policy relative to the repository root (the workspace), with forward slashes:
	// the path annotations need to land on a pull request's diff.
	PolicyRel string
	Mode      Mode
	// ApplyBranch is a branch name, without refs/heads/.
	ApplyBranch string
	FailOnDrift bool
	// JSONFile is where the JSON plan is written; empty means a new temporary file (no
	// workspace: not in a runner).
	JSONFile string
	// JSONDefault says JSONFile is the default (DefaultJSONFile), not the json-file input: a file
	// already there is replaced only when it is a JSON plan sseguard wrote.
	JSONDefault bool
	// JSONFileShown is JSONFile as the plan-json output gives it: as the user wrote it, so that a
	// path relative to the workspace still works in later steps (which do not see the container's
	// paths).
	JSONFileShown string
	// Objects tunes scanning and re-encrypting existing objects (concurrency, budget, rate).
	Objects objects.Options
	// RedactAccountID replaces the account id in everything written for people (log, job
	// summary, annotations); the JSON plan keeps it.
	RedactAccountID bool
	// Comment says whether a pull request's run writes the plan as a comment, and with which
	// token (comment.go).
	Comment CommentInputs
	// RetryFailedBatch lets a bucket whose latest Batch Operations generation did not finish
	// cleanly start the next one (retry-failed-batch-jobs).
	RetryFailedBatch bool
	// Prices is the price table of the cost estimates read from prices-file; nil: the default.
	Prices *plan.Prices
	// OnPlanChange says what a push's apply does when its plan is not the one approved on the
	// pull request the pushed commit came from (approval.go); empty means refuse.
	OnPlanChange OnPlanChange
}

// OnPlanChange is the on-plan-change input.
type OnPlanChange string

// The values of on-plan-change.
const (
	// OnPlanChangeRefuse applies nothing when the plan differs from the approved one (default).
	OnPlanChangeRefuse OnPlanChange = "refuse"
	// OnPlanChangeApply applies the fresh plan all the same, with a warning saying what differs.
	OnPlanChangeApply OnPlanChange = "apply"
)

// ReadInputs reads the INPUT_* variables (hyphens kept, as the runner passes them into a container:
// INPUT_FAIL-ON-DRIFT) and fills in the defaults from the workflow's context. Every invalid input
// is reported, not the first alone.
func ReadInputs(a *githubactions.Action, gh *githubactions.GitHubContext) (Inputs, error) {
	var errs []error
	in := Inputs{Mode: ModeAuto}

	ws := gh.Workspace
	pol := a.GetInput("policy")
	if pol == "" {
		pol = DefaultPolicy
	}
	in.Policy, in.PolicyRel = pol, filepath.ToSlash(filepath.Clean(pol))
	if ws != "" {
		if !filepath.IsAbs(pol) {
			in.Policy = filepath.Join(ws, pol)
		}
		if rel, err := filepath.Rel(ws, in.Policy); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			in.PolicyRel = filepath.ToSlash(rel)
		}
	}

	switch m := Mode(strings.ToLower(a.GetInput("mode"))); m {
	case "":
	case ModeAuto, ModePlan, ModeApply:
		in.Mode = m
	default:
		errs = append(errs, fmt.Errorf("input mode is %q: it must be auto, plan or apply", a.GetInput("mode")))
	}

	in.ApplyBranch = strings.TrimPrefix(a.GetInput("apply-branch"), "refs/heads/")
	if in.ApplyBranch == "" {
		in.ApplyBranch = defaultBranch(gh)
	}

	if v := a.GetInput("fail-on-drift"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("input fail-on-drift is %q: it must be true or false", v))
		}
		in.FailOnDrift = b
	}

	if v := a.GetInput("redact-account-id"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			// Redact all the same: whoever wrote it wanted the account kept out of the log.
			b = true
			errs = append(errs, fmt.Errorf("input redact-account-id is %q: it must be true or false", v))
		}
		in.RedactAccountID = b
	}

	if j := a.GetInput("json-file"); j != "" {
		in.JSONFile, in.JSONFileShown = j, j
		if !filepath.IsAbs(j) && ws != "" {
			in.JSONFile = filepath.Join(ws, j)
		}
	} else if ws != "" {
		// The default is a file in the workspace, named relative to it (see DefaultJSONFile).
		name := DefaultJSONFile(in.PolicyRel)
		in.JSONFile, in.JSONFileShown, in.JSONDefault = filepath.Join(ws, name), name, true
	}
	if v := a.GetInput("retry-failed-batch-jobs"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("input retry-failed-batch-jobs is %q: it must be true or false", v))
		}
		in.RetryFailedBatch = b
	}
	if v := a.GetInput("prices-file"); v != "" {
		path := v
		if !filepath.IsAbs(path) && ws != "" {
			path = filepath.Join(ws, path)
		}
		prices, err := readPrices(path)
		if err != nil {
			errs = append(errs, fmt.Errorf("input prices-file %q: %w", v, err))
		}
		in.Prices = prices
	}
	switch v := OnPlanChange(strings.ToLower(a.GetInput("on-plan-change"))); v {
	case "":
	case OnPlanChangeRefuse, OnPlanChangeApply:
		in.OnPlanChange = v
	default:
		errs = append(errs, fmt.Errorf("input on-plan-change is %q: it must be refuse or apply", a.GetInput("on-plan-change")))
	}
	comment, cerrs := readCommentInputs(a)
	in.Comment = comment
	errs = append(errs, cerrs...)
	errs = append(errs, readObjectInputs(a, &in.Objects)...)
	return in, errors.Join(errs...)
}

// DefaultJSONFile is where the JSON plan goes when json-file is empty, relative to the workspace:
// sseguard-plan.json for the default policy file, else sseguard-plan-<the policy's path, without
// its extension, in letters, digits, '.', '_' and '-'>.json, so that two policies planned in one
// job keep two plans.
//
// The workspace, because it is the one directory a container action shares with later steps at a
// path they can name. The runner mounts GITHUB_WORKSPACE at /github/workspace and makes it the
// step's working directory (actions/runner, src/Runner.Worker/Handlers/ContainerActionHandler.cs),
// and later steps start in the workspace too, so a relative path works on both sides, in
// actions/upload-artifact's path as in a run step. RUNNER_TEMP is mounted as well, but at
// /github/runner_temp (since runner v2.329.0, for every job since v2.331.0, and not at all
// before): a path sseguard could name from inside the container would not exist for later steps.
func DefaultJSONFile(policyRel string) string {
	if policyRel == DefaultPolicy {
		return "sseguard-plan.json"
	}
	slug := strings.Map(func(r rune) rune {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-", r)) {
			return r
		}
		return '-'
	}, strings.TrimSuffix(policyRel, filepath.Ext(policyRel)))
	if len(slug) > 100 {
		slug = slug[len(slug)-100:]
	}
	if slug = strings.Trim(slug, "-."); slug == "" {
		return "sseguard-plan.json"
	}
	return "sseguard-plan-" + slug + ".json"
}

// readObjectInputs reads the inputs that tune scanning and re-encrypting existing objects.
func readObjectInputs(a *githubactions.Action, o *objects.Options) []error {
	var errs []error
	if v := a.GetInput("concurrency"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1024 {
			errs = append(errs, fmt.Errorf("input concurrency is %q: it must be a number from 1 to 1024", v))
		}
		o.Concurrency = n
	}
	if v := a.GetInput("max-objects"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("input max-objects is %q: it must be a positive number", v))
		}
		o.MaxObjects = n
	}
	if v := a.GetInput("max-duration"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("input max-duration is %q: it must be a duration such as 45m", v))
		}
		o.MaxDuration = d
	}
	if v := a.GetInput("requests-per-second"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			errs = append(errs, fmt.Errorf("input requests-per-second is %q: it must be a positive number", v))
		}
		o.RequestsPerSecond = f
	}
	if len(errs) == 0 {
		// The engine's own ranges, named by input.
		if err := o.Validate(); err != nil {
			var oe *objects.OptionError
			if errors.As(err, &oe) {
				errs = append(errs, fmt.Errorf("input %s is %s: want %s", oe.Option, oe.Value, oe.Want))
			} else {
				errs = append(errs, err)
			}
		}
	}
	return errs
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

// defaultBranch is the repository's default branch from the event payload, else main.
func defaultBranch(gh *githubactions.GitHubContext) string {
	if repo, ok := gh.Event["repository"].(map[string]any); ok {
		if b, ok := repo["default_branch"].(string); ok && b != "" {
			return b
		}
	}
	return "main"
}

// pullRequestEvents never apply: their code, and with pull_request_target their inputs, can come
// from a fork. They get their own refusal message.
var pullRequestEvents = map[string]bool{
	"pull_request": true, "pull_request_target": true,
	"pull_request_review": true, "pull_request_review_comment": true,
}

// applyEvents are the only events that apply, in mode auto or apply, and only on the apply
// branch: a push (someone with write access changed the branch), a schedule and a manual
// workflow_dispatch (both run the branch's own workflow file). Every other event is refused by
// name, unknown and future ones included: workflow_run, repository_dispatch and issue_comment
// run the default branch's workflow but are started by another workflow (one a fork's pull
// request can trigger), an API token or any commenter; merge_group and deployment run code that is
// not the apply branch's yet.
var applyEvents = map[string]bool{"push": true, "schedule": true, "workflow_dispatch": true}

// Decide says whether a run applies, from the mode, the event that started the workflow
// (GITHUB_EVENT_NAME), its ref (GITHUB_REF) and the apply branch. Mode auto applies on an apply
// event on the apply branch and plans everywhere else; mode apply returns an error wherever
// applying is not allowed: on any other event, or on any ref but the apply branch.
func Decide(mode Mode, event, ref, applyBranch string) (bool, error) {
	allowed := applyEvents[event] && ref == "refs/heads/"+applyBranch
	switch mode {
	case ModePlan:
		return false, nil
	case ModeAuto, "":
		return allowed, nil
	case ModeApply:
		switch {
		case pullRequestEvents[event]:
			return false, fmt.Errorf("mode is apply but the event is %s: sseguard never applies from a pull request, "+
				"because a pull request (from a fork, too) must not be able to change production encryption; "+
				"this run only plans in mode auto or plan, and applying happens on a push to %s", event, applyBranch)
		case event == "":
			return false, errors.New("mode is apply but the event name is empty (GITHUB_EVENT_NAME is not set): " +
				"sseguard applies only on push, schedule and workflow_dispatch events, and only when it knows which one started the run")
		case !applyEvents[event]:
			return false, fmt.Errorf("mode is apply but the event is %s: sseguard applies only on push, schedule and "+
				"workflow_dispatch events of the apply branch, because other events can be started by someone who "+
				"cannot push to %s (another workflow, an API call, a comment) or run code that is not on it yet; "+
				"plan on this event (mode auto or plan) and apply on a push to %s", event, applyBranch, applyBranch)
		case !allowed:
			return false, fmt.Errorf("mode is apply but the ref is %s, not refs/heads/%s (the apply-branch input): "+
				"sseguard applies only what the apply branch says", ref, applyBranch)
		}
		return true, nil
	}
	return false, fmt.Errorf("unknown mode %q: it must be auto, plan or apply", mode)
}
