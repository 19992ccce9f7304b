package action

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sethvargo/go-githubactions"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		mode       Mode
		event, ref string
		apply      bool
		err        string
	}{
		"auto push main":                 {ModeAuto, "push", "refs/heads/main", true, ""},
		"auto dispatch main":             {ModeAuto, "workflow_dispatch", "refs/heads/main", true, ""},
		"auto schedule main":             {ModeAuto, "schedule", "refs/heads/main", true, ""},
		"auto push other branch":         {ModeAuto, "push", "refs/heads/feature", false, ""},
		"auto push branch named like":    {ModeAuto, "push", "refs/heads/main-old", false, ""},
		"auto push tag":                  {ModeAuto, "push", "refs/tags/main", false, ""},
		"auto pull_request":              {ModeAuto, "pull_request", "refs/pull/1/merge", false, ""},
		"auto pull_request_target main":  {ModeAuto, "pull_request_target", "refs/heads/main", false, ""},
		"auto merge_group":               {ModeAuto, "merge_group", "refs/heads/gh-readonly-queue/main/pr-1", false, ""},
		"auto issue_comment main":        {ModeAuto, "issue_comment", "refs/heads/main", false, ""},
		"auto workflow_run main":         {ModeAuto, "workflow_run", "refs/heads/main", false, ""},
		"empty mode is auto":             {"", "push", "refs/heads/main", true, ""},
		"plan push main":                 {ModePlan, "push", "refs/heads/main", false, ""},
		"apply push main":                {ModeApply, "push", "refs/heads/main", true, ""},
		"apply workflow_run main":        {ModeApply, "workflow_run", "refs/heads/main", false, "applies only on push, schedule and workflow_dispatch"},
		"apply no event name":            {ModeApply, "", "refs/heads/main", false, "the event name is empty"},
		"apply push other branch":        {ModeApply, "push", "refs/heads/feature", false, "the ref is refs/heads/feature, not refs/heads/main"},
		"apply pull_request":             {ModeApply, "pull_request", "refs/pull/1/merge", false, "never applies from a pull request"},
		"apply pull_request_target main": {ModeApply, "pull_request_target", "refs/heads/main", false, "never applies from a pull request"},
		"apply pull_request_review":      {ModeApply, "pull_request_review", "refs/pull/1/merge", false, "never applies from a pull request"},
		"unknown mode":                   {"destroy", "push", "refs/heads/main", false, "unknown mode"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			apply, err := Decide(tc.mode, tc.event, tc.ref, "main")
			if apply != tc.apply {
				t.Errorf("apply = %v, want %v", apply, tc.apply)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// TestDecideEvents decides for every event a workflow can be started by (and a few it cannot):
// only push, schedule and workflow_dispatch on the apply branch ever apply; mode apply refuses
// every other event, saying why, and mode auto plans.
func TestDecideEvents(t *testing.T) {
	t.Parallel()
	const main, other = "refs/heads/main", "refs/heads/feature"
	apply := []string{"push", "schedule", "workflow_dispatch"}
	refused := []string{
		"workflow_run", "repository_dispatch", "issue_comment", "merge_group", "deployment", "deployment_status",
		"pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment",
		"workflow_call", "release", "create", "delete", "check_run", "check_suite", "discussion",
		"discussion_comment", "fork", "gollum", "issues", "label", "milestone", "page_build", "project",
		"public", "registry_package", "status", "watch", "branch_protection_rule", "dynamic",
		"", "unknown", "Push", "PUSH", " push", "push ", "push\n", "schedule,push", "workflow-dispatch",
	}
	type want struct {
		apply bool
		err   string
	}
	tests := map[string]want{}
	for _, e := range apply {
		tests["auto|"+e+"|"+main] = want{apply: true}
		tests["apply|"+e+"|"+main] = want{apply: true}
		tests["plan|"+e+"|"+main] = want{}
		tests["auto|"+e+"|"+other] = want{}
		tests["apply|"+e+"|"+other] = want{err: "not refs/heads/main"}
	}
	for _, e := range refused {
		why := "applies only on push, schedule and workflow_dispatch events of the apply branch"
		switch {
		case pullRequestEvents[e]:
			why = "never applies from a pull request"
		case e == "":
			why = "the event name is empty"
		}
		for _, ref := range []string{main, other} {
			tests["auto|"+e+"|"+ref] = want{}
			tests["plan|"+e+"|"+ref] = want{}
			tests["apply|"+e+"|"+ref] = want{err: why}
		}
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			parts := strings.Split(name, "|")
			got, err := Decide(Mode(parts[0]), parts[1], parts[2], "main")
			if got != tc.apply {
				t.Errorf("apply = %v, want %v", got, tc.apply)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Errorf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func TestReadInputs(t *testing.T) {
	t.Parallel()
	trunk := map[string]any{"repository": map[string]any{"default_branch": "trunk"}}
	tests := map[string]struct {
		env   map[string]string
		gh    githubactions.GitHubContext
		want  Inputs
		error string
	}{
		"defaults": {
			gh: githubactions.GitHubContext{Workspace: "/github/workspace"},
			want: Inputs{Policy: "/github/workspace/sseguard.yaml", PolicyRel: "sseguard.yaml", Mode: ModeAuto, ApplyBranch: "main",
				JSONFile: "/github/workspace/sseguard-plan.json", JSONFileShown: "sseguard-plan.json", JSONDefault: true},
		},
		"default branch from the payload": {
			gh: githubactions.GitHubContext{Workspace: "/github/workspace", Event: trunk},
			want: Inputs{Policy: "/github/workspace/sseguard.yaml", PolicyRel: "sseguard.yaml", Mode: ModeAuto, ApplyBranch: "trunk",
				JSONFile: "/github/workspace/sseguard-plan.json", JSONFileShown: "sseguard-plan.json", JSONDefault: true},
		},
		"every input": {
			env: map[string]string{"INPUT_POLICY": "./infra/../infra/sseguard.yaml", "INPUT_MODE": "Plan", "INPUT_APPLY-BRANCH": "refs/heads/release",
				"INPUT_FAIL-ON-DRIFT": "true", "INPUT_JSON-FILE": "plan.json", "INPUT_ON-PLAN-CHANGE": "Apply"},
			gh: githubactions.GitHubContext{Workspace: "/github/workspace", Event: trunk},
			want: Inputs{Policy: "/github/workspace/infra/sseguard.yaml", PolicyRel: "infra/sseguard.yaml", Mode: ModePlan,
				ApplyBranch: "release", FailOnDrift: true, JSONFile: "/github/workspace/plan.json", JSONFileShown: "plan.json",
				OnPlanChange: OnPlanChangeApply},
		},
		"absolute policy in the workspace": {
			env: map[string]string{"INPUT_POLICY": "/github/workspace/policies/s3.yaml", "INPUT_FAIL-ON-DRIFT": "false"},
			gh:  githubactions.GitHubContext{Workspace: "/github/workspace"},
			want: Inputs{Policy: "/github/workspace/policies/s3.yaml", PolicyRel: "policies/s3.yaml", Mode: ModeAuto, ApplyBranch: "main",
				JSONFile: "/github/workspace/sseguard-plan-policies-s3.json", JSONFileShown: "sseguard-plan-policies-s3.json", JSONDefault: true},
		},
		"policy outside the workspace": {
			env: map[string]string{"INPUT_POLICY": "/etc/sseguard.yaml"},
			gh:  githubactions.GitHubContext{Workspace: "/github/workspace"},
			want: Inputs{Policy: "/etc/sseguard.yaml", PolicyRel: "/etc/sseguard.yaml", Mode: ModeAuto, ApplyBranch: "main",
				JSONFile: "/github/workspace/sseguard-plan-etc-sseguard.json", JSONFileShown: "sseguard-plan-etc-sseguard.json", JSONDefault: true},
		},
		"no workspace": {
			env:  map[string]string{"INPUT_POLICY": "conf/sseguard.yaml"},
			want: Inputs{Policy: "conf/sseguard.yaml", PolicyRel: "conf/sseguard.yaml", Mode: ModeAuto, ApplyBranch: "main"},
		},
		"redact account id": {
			env:  map[string]string{"INPUT_REDACT-ACCOUNT-ID": "true"},
			want: Inputs{Policy: "sseguard.yaml", PolicyRel: "sseguard.yaml", Mode: ModeAuto, ApplyBranch: "main", RedactAccountID: true},
		},
		"invalid mode and bools": {
			env: map[string]string{"INPUT_MODE": "force", "INPUT_FAIL-ON-DRIFT": "sometimes", "INPUT_REDACT-ACCOUNT-ID": "yes please", "INPUT_ON-PLAN-CHANGE": "ignore"},
			error: "input mode is \"force\": it must be auto, plan or apply\ninput fail-on-drift is \"sometimes\": it must be true or false\n" +
				"input redact-account-id is \"yes please\": it must be true or false\ninput on-plan-change is \"ignore\": it must be refuse or apply",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			a := githubactions.New(githubactions.WithGetenv(func(k string) string { return tc.env[k] }))
			got, err := ReadInputs(a, &tc.gh)
			if tc.error != "" {
				if err == nil || err.Error() != tc.error {
					t.Errorf("error %v, want %q", err, tc.error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("inputs (-want +got):\n%s", diff)
			}
		})
	}
}
