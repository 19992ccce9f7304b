package action

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/sseguard/sseguard/internal/approval"
	"github.com/sseguard/sseguard/internal/pipeline"
	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/prcomment"
	"github.com/sseguard/sseguard/internal/testsupport/githubtest"
)

// The push of testdata/events/push.json: its commit is the merge commit of pull request #42.
const (
	pushSHA  = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"
	mergedPR = 42
)

// gatedPipeline is a fake pipeline that asks the approval gate, as the real one does, after the
// before-apply hook and before applying anything.
type gatedPipeline struct {
	*fakePipeline
	approve func(*plan.Plan) error
	applied bool
}

// Run takes the run's approval hook too, and applies through the gate.
func (g *gatedPipeline) Run(ctx context.Context, op pipeline.Operation) (*plan.Plan, []plan.Result, error) {
	g.approve = op.Hooks.Approve
	if op.Mode != plan.ModeApply {
		return g.fakePipeline.Run(ctx, op)
	}
	g.log, g.beforeApply = op.View.Progress, op.Hooks.BeforeApply
	return g.Apply(ctx, op.PolicyPath)
}

func (g *gatedPipeline) Apply(ctx context.Context, path string) (*plan.Plan, []plan.Result, error) {
	if g.approve != nil {
		if g.beforeApply != nil {
			g.beforeApply(clonePlan(g.plan))
		}
		if err := g.approve(clonePlan(g.plan)); err != nil {
			return clonePlan(g.plan), []plan.Result{}, err
		}
	}
	g.applied = true
	return g.fakePipeline.Apply(ctx, path)
}

func appliedAll(p *plan.Plan) []plan.Result {
	var out []plan.Result
	for _, c := range p.Changes {
		out = append(out, plan.Result{ChangeID: c.ID, Outcome: plan.Done})
	}
	return out
}

// approvedComment is sseguard's comment on pull request #42 showing p, as a pull request's run
// writes it.
func approvedComment(t *testing.T, p *plan.Plan) string {
	t.Helper()
	fp, err := approval.OfPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	return prcomment.PlanBody(p, prcomment.Options{PolicyPath: "infra/sseguard.yaml", Approval: &fp}, "")
}

// otherPlan is driftPlan with the bucket moving to another key than the one approved.
func otherPlan() *plan.Plan {
	p := driftPlan()
	p.Changes = append([]plan.Change(nil), p.Changes...)
	p.Changes[1].Rule = &plan.Rule{Algorithm: "aws:kms", Alias: "alias/other", BucketKey: true}
	return p
}

func TestRunPushAppliesOnlyTheApprovedPlan(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		event    string
		comments func(t *testing.T, srv *githubtest.Server)
		inputs   map[string]string
		noPR     bool
		applied  bool
		logs     []string
		summary  []string
	}{
		"the approved plan applies": {event: "push",
			comments: func(t *testing.T, srv *githubtest.Server) {
				srv.Seed(mergedPR, "github-actions[bot]", "Bot", approvedComment(t, driftPlan()))
			},
			applied: true, logs: []string{"The plan is the one approved on pull request #42 (plan digest "}},
		"another plan applies nothing": {event: "push",
			comments: func(t *testing.T, srv *githubtest.Server) {
				srv.Seed(mergedPR, "github-actions[bot]", "Bot", approvedComment(t, otherPlan()))
			},
			logs: []string{"::error::sseguard refused to apply: the plan differs from the one approved on pull request #42",
				"changed since the approved plan (it writes something else): set-default-encryption/media-hls"},
			summary: []string{"refused to apply: the plan differs from the one approved on pull request &#35;&#8288;42",
				"- changed since the approved plan (it writes something else): set-default-encryption/media-hls"}},
		"another plan applies with on-plan-change apply": {event: "push", inputs: map[string]string{"INPUT_ON-PLAN-CHANGE": "apply"},
			comments: func(t *testing.T, srv *githubtest.Server) {
				srv.Seed(mergedPR, "github-actions[bot]", "Bot", approvedComment(t, otherPlan()))
			},
			applied: true, logs: []string{"::warning::Applying although the plan differs from the one approved on pull request #42"}},
		"a forged approval is not one": {event: "push",
			comments: func(t *testing.T, srv *githubtest.Server) {
				srv.Seed(mergedPR, "mallory", "User", approvedComment(t, driftPlan()))
				srv.Seed(mergedPR, "other-app[bot]", "Bot", approvedComment(t, driftPlan()))
			},
			logs: []string{"pull request #42 has no sseguard comment for infra/sseguard.yaml written by github-actions[bot] (the account the token writes as)",
				"comment 1001 by mallory (User) starts with sseguard's marker for infra/sseguard.yaml but was not written by github-actions[bot]: not read as an approval"}},
		"a push no pull request introduced": {event: "push", noPR: true, applied: true,
			logs:    []string{"No approved plan was checked: commit 0d1a26e67d8f came from no pull request merged into main."},
			summary: []string{"> [!NOTE]\n> No approved plan was checked"}},
		"a scheduled run": {event: "schedule", applied: true,
			logs: []string{"No approved plan was checked: a schedule run applies what the policy says."}},
		"comments off": {event: "push", inputs: map[string]string{"INPUT_COMMENT-ON-PR": "false"}, applied: true,
			logs: []string{"No approved plan was checked: comment-on-pr is false"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startGitHub(t)
			if !tc.noPR {
				srv.AddPull(githubtest.PullRequest{Number: mergedPR, Title: "media-hls moves to the HLS key", Author: "monalisa", HeadRef: "hls",
					BaseRef: "main", Commits: []string{strings.Repeat("4", 40)}, MergeCommit: pushSHA, Merged: time.Date(2026, 11, 2, 10, 14, 0, 0, time.UTC)})
			}
			if tc.comments != nil {
				tc.comments(t, srv)
			}
			r := commentRunner(t, srv, tc.event, "ghs_write")
			r.env["GITHUB_SHA"] = pushSHA
			for k, v := range tc.inputs {
				r.env[k] = v
			}
			p := &gatedPipeline{fakePipeline: &fakePipeline{plan: driftPlan(), results: appliedAll(driftPlan())}}
			code := r.run(t, p)
			switch {
			case tc.applied && (code != ExitOK || !p.applied):
				t.Errorf("exit %d, applied %v: want applied and 0\n%s", code, p.applied, r.out.String())
			case !tc.applied && (code != ExitFailure || p.applied):
				t.Errorf("exit %d, applied %v: want nothing applied and 1\n%s", code, p.applied, r.out.String())
			}
			for _, want := range tc.logs {
				if !strings.Contains(r.out.String(), want) {
					t.Errorf("the log lacks %q:\n%s", want, r.out.String())
				}
			}
			s := r.summaryText(t)
			for _, want := range tc.summary {
				if !strings.Contains(s, want) {
					t.Errorf("the summary lacks %q:\n%s", want, s)
				}
			}
			if !tc.applied {
				if o := r.outputs(t); o["applied"] != "0" {
					t.Errorf("outputs %v, want applied 0", o)
				}
			}
		})
	}
}

// The comment a pull request's run writes carries the fingerprint of the exact plan (account
// ids and all, not the copy redacted for people), which the push's check reads back equal.
func TestRunCommentCarriesTheApproval(t *testing.T) {
	t.Parallel()
	srv := startGitHub(t)
	r := commentRunner(t, srv, "pull_request", "ghs_write")
	r.env["INPUT_REDACT-ACCOUNT-ID"] = "true"
	if code := r.run(t, &fakePipeline{plan: driftPlan()}); code != ExitOK {
		t.Fatalf("exit %d\n%s", code, r.out.String())
	}
	cs := sseguardComments(srv)
	if len(cs) != 1 {
		t.Fatalf("%d comments", len(cs))
	}
	got, ok := prcomment.ReadApproval(cs[0].Body)
	want, _ := approval.OfPlan(driftPlan())
	if !ok || !approval.Compare(got, want).Same {
		t.Errorf("the comment's approval %+v (%v), want %+v", got, ok, want)
	}
	if strings.Contains(cs[0].Body, "123456789012") {
		t.Errorf("the redacted comment holds the account id:\n%s", cs[0].Body)
	}
}

// findingsPipeline keeps object findings, as the real pipeline does.
type findingsPipeline struct{ *fakePipeline }

func (findingsPipeline) ObjectFindings() (io.Reader, error) { return strings.NewReader(""), nil }

// An error apply returns fails the step with the pipeline's findings kept too: reading the
// findings must not replace it (it did, and an apply that could not be verified read as done).
func TestRunApplyErrorSurvivesFindings(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "push")
	p := findingsPipeline{&fakePipeline{plan: driftPlan(), results: appliedAll(driftPlan()),
		err: errors.New("applied, but could not read the state back to verify: throttled")}}
	if code := r.run(t, p); code != ExitFailure || !strings.Contains(r.out.String(), "::error::applied, but could not read the state back to verify") {
		t.Errorf("exit %d, want 1 with the error\n%s", code, r.out.String())
	}
}
