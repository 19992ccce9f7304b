package action

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/plan"
	"github.com/sseguard/sseguard/internal/policy"
)

// hostilePlan carries what object keys, AWS error messages and policy text can hold into every
// place the action writes: the text plan, the summary, annotations, apply lines and progress.
func hostilePlan() (*plan.Plan, []plan.Result, string) {
	pl := driftPlan()
	pl.Buckets[0].Observed = "SSE-S3 ##[set-output name=a]b"
	pl.Changes[0].Details = []string{"x\n::add-mask::y", "  ::error::x", "\x1b]0;title\x07"}
	pl.Buckets[1].Objects = &plan.ObjectCounts{Scanned: 2, ToFix: map[string]int{"##[group]kind": 1},
		Sample: []plan.ObjectSample{{Key: "videos/x\n::add-mask::y", Kind: "##[set-output name=a]b"}}}
	pl.Warnings = append(pl.Warnings, plan.Warning{Code: "bucket-policy", Bucket: "media-hls", Line: 9,
		Message: "statement \u202eevil\u202c ##[error]pwn\r::warning::x"})
	results := []plan.Result{
		{ChangeID: "create-key/us-east-1/alias/hls", Outcome: plan.Done, Detail: "created\n::add-mask::y ##[endgroup]"},
		{ChangeID: "set-default-encryption/media-hls", Outcome: plan.Failed,
			Error: "api error AccessDenied: \x1b[31m##[set-output name=a]b\n  ::error file=x::forged"},
	}
	progress := "done       create-key\n::error::from progress\n  ::warning::indented\r##[group]legacy\n\u2028::notice::ls\npartial ##[x"
	return pl, results, progress
}

// runnerCommands returns the workflow commands the runner would read in out, as it reads them
// (see package sanitize): a line is a command when, trimmed of leading white space, it starts
// with "::" and holds a second "::", or when it holds "##[" and a later "]". Lines end at "\n"
// and at "\r".
func runnerCommands(out string) []string {
	var cmds []string
	for _, line := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if t := strings.TrimLeftFunc(line, unicode.IsSpace); strings.HasPrefix(t, "::") {
			if end := strings.Index(t[2:], "::"); end >= 0 {
				name, _, _ := strings.Cut(t[2:2+end], " ")
				if name == "add-mask" {
					name += "=" + t[2+end+2:]
				}
				cmds = append(cmds, name)
				continue
			}
		}
		if i := strings.Index(line, "##["); i >= 0 && strings.Contains(line[i:], "]") {
			cmds = append(cmds, "legacy:"+line[i:])
		}
	}
	return cmds
}

// checkLog fails unless out holds exactly the commands want (in order) and no control character.
func checkLog(t *testing.T, out string, want []string) {
	t.Helper()
	var got []string
	for _, c := range runnerCommands(out) {
		if strings.HasPrefix(c, "sseguard-") {
			c = "sseguard-<token>"
		}
		got = append(got, c)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("commands the runner would read (-want +got):\n%s\n%s", diff, out)
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
			t.Errorf("control character %U in the log:\n%q", r, out)
			break
		}
	}
}

func TestRunHostileContentCannotCommand(t *testing.T) {
	t.Parallel()
	pl, results, progress := hostilePlan()
	r := newRunner(t, "push")
	fake := &fakePipeline{plan: pl, results: results, progress: progress}
	if code := r.run(t, fake); code != ExitFailure {
		t.Errorf("exit code %d, want %d (a change failed)", code, ExitFailure)
	}
	checkLog(t, r.out.String(), []string{
		"group", "stop-commands", "sseguard-<token>", "endgroup", // the text plan
		"error", "warning", "warning", "error", // annotations
	})
	out := r.out.String()
	for _, want := range []string{
		`done       create-key` + "\n" + `\x3a:error::from progress` + "\n" + `  \x3a:warning::indented\x0d#\x23[group]legacy` + "\n" + `\u2028::notice::ls` + "\n" + `partial #\x23[x` + "\n",
		`failed     set-default-encryption/media-hls: api error AccessDenied: \x1b[31m#\x23[set-output name=a]b\x0a  ::error file=x::forged`,
		`done       create-key/us-east-1/alias/hls: created\x0a::add-mask::y #\x23[endgroup]`,
		`statement \u202eevil\u202c #\x23[error]pwn\x0d::warning::x`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	// The JSON file keeps every value, "##[" spelled #\u0023[.
	b, err := os.ReadFile(r.planJSON(t))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "##[") || !strings.Contains(string(b), `SSE-S3 #\u0023[set-output name=a]b`) {
		t.Errorf("JSON plan:\n%s", b)
	}
}

func TestRunHostileErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]struct {
		err  error
		want []string
	}{
		"pipeline error": {err: errors.New("observe: get bucket encryption of media-hls: ##[set-output name=a]b\n::add-mask::y\x1b]0;t\x07"),
			want: []string{"error", "error"}},
		"policy errors": {err: policy.Errors{{Line: 3, Column: 1, Message: "unknown field \"x\n::add-mask::y\" ##[group]"}},
			want: []string{"error"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, "pull_request")
			if code := r.run(t, &fakePipeline{err: tc.err}); code != ExitFailure {
				t.Errorf("exit code %d", code)
			}
			checkLog(t, r.out.String(), tc.want)
		})
	}
}

// TestRunRedactsAccountID runs plan and apply with redact-account-id, with ordinary and hostile
// content: the account id appears nowhere in the log, the summary or the annotations but in the
// one add-mask command, and the JSON plan keeps it.
func TestRunRedactsAccountID(t *testing.T) {
	t.Parallel()
	const acct = "123456789012"
	// Progress lines are written before the account is known in plan mode (the real pipeline's
	// are object counts there); in apply mode after, and then they may name it.
	ordinary := func(apply bool) (*plan.Plan, []plan.Result, string) {
		pl := driftPlan()
		pl.Changes[0].After = "customer managed key alias/hls; key policy grants arn:aws:iam::" + acct + ":role/KeyAdmin"
		pl.Warnings[0].Message = "bucket thumbs uses arn:aws:kms:us-east-1:" + acct + ":key/1234, disabled"
		pl.Blockers = nil
		return pl, []plan.Result{
			{ChangeID: "create-key/us-east-1/alias/hls", Outcome: plan.Done, Detail: "created arn:aws:kms:us-east-1:" + acct + ":key/1234"},
			{ChangeID: "set-default-encryption/media-hls", Outcome: plan.Failed,
				Error: "User: arn:aws:sts::" + acct + ":assumed-role/apply/gh is not authorized (account " + acct + ")"},
		}, progressFor(apply, "applying in account "+acct+"\n") + "done       create-key: created arn:aws:kms:us-east-1:" + acct + ":key/1234\n"
	}
	hostile := func(apply bool) (*plan.Plan, []plan.Result, string) {
		pl, results, progress := hostilePlan()
		pl.Warnings[0].Message = "key of account " + acct + "\n::add-mask::" + acct + " ##[x]"
		return pl, results, progress + "\n" + progressFor(apply, acct+"::error::"+acct+"\n") + "arn:aws:iam::" + acct + ":root\n##[group]"
	}
	for name, content := range map[string]func(bool) (*plan.Plan, []plan.Result, string){"ordinary": ordinary, "hostile": hostile} {
		for _, event := range []string{"push", "pull_request"} {
			t.Run(name+"/"+event, func(t *testing.T) {
				t.Parallel()
				pl, results, progress := content(event == "push")
				r := newRunner(t, event)
				r.env["INPUT_REDACT-ACCOUNT-ID"] = "true"
				fake := &fakePipeline{plan: pl, results: results, progress: progress}
				r.run(t, fake)
				out := r.out.String()
				if n := strings.Count(out, "::add-mask::"+acct+"\n"); n != 1 {
					t.Errorf("the account is masked %d times, want once:\n%s", n, out)
				}
				if rest := strings.Replace(out, "::add-mask::"+acct+"\n", "", 1); strings.Contains(rest, acct) {
					t.Errorf("the log shows the account id:\n%s", rest)
				}
				if !strings.Contains(out, "REDACTED") {
					t.Errorf("the log has no placeholder:\n%s", out)
				}
				if s := r.summaryText(t); strings.Contains(s, acct) || !strings.Contains(s, "account REDACTED") {
					t.Errorf("summary:\n%s", s)
				}
				b, err := os.ReadFile(r.planJSON(t))
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), `"account": "`+acct+`"`) || strings.Contains(string(b), "REDACTED") {
					t.Errorf("the JSON plan must keep the account exact:\n%s", b)
				}
				if pl.Account != acct || !strings.Contains(pl.Warnings[0].Message, acct) {
					t.Errorf("the pipeline's plan was changed: %+v", pl)
				}
			})
		}
	}
}

// TestRunRedactsFromTheAccountHook: with redact-account-id, the caller's account id is redacted
// from the moment the pipeline learns it (its account hook), in progress lines written before
// there is a plan too, although the policy file names no account.
func TestRunRedactsFromTheAccountHook(t *testing.T) {
	t.Parallel()
	const acct = "123456789012"
	for _, event := range []string{"push", "pull_request"} {
		t.Run(event, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, event)
			r.env["INPUT_REDACT-ACCOUNT-ID"] = "true"
			fake := &fakePipeline{plan: inSyncPlan(), account: acct, progress: "scanning objects of account " + acct + "\n"}
			r.run(t, fake)
			out := r.out.String()
			if !strings.Contains(out, "::add-mask::"+acct+"\n") {
				t.Errorf("the account is not masked:\n%s", out)
			}
			if rest := strings.Replace(out, "::add-mask::"+acct+"\n", "", 1); strings.Contains(rest, acct) || !strings.Contains(rest, "scanning objects of account REDACTED") {
				t.Errorf("the progress line is not redacted:\n%s", rest)
			}
		})
	}
}

func progressFor(apply bool, line string) string {
	if apply {
		return line
	}
	return ""
}

// TestRunRedactsBeforeThePlan: with the policy's accounts known (account and trusted_accounts),
// an error that stops the run before there is a plan, and an invalid policy, are redacted too.
func TestRunRedactsBeforeThePlan(t *testing.T) {
	t.Parallel()
	const acct = "123456789012"
	tests := map[string]error{
		"pipeline error": errors.New("observe: bucket media-hls belongs to account 111122223333, not " + acct +
			"; caller arn:aws:sts::111122223333:assumed-role/x"),
		"invalid policy": policy.Errors{{Line: 2, Column: 10, Message: `kms_key "arn:aws:kms:us-east-1:111122223333:key/1" is in account 111122223333, but the policy's account is ` + acct}},
	}
	for name, perr := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r := newRunner(t, "pull_request")
			r.env["INPUT_REDACT-ACCOUNT-ID"] = "true"
			pol := filepath.Join(r.env["GITHUB_WORKSPACE"], "infra", "sseguard.yaml")
			os.MkdirAll(filepath.Dir(pol), 0o755)
			if err := os.WriteFile(pol, []byte("version: 1\naccount: \""+acct+"\"\ntrusted_accounts: [\"111122223333\"]\nbuckets: [{name: media-hls, encryptoin: x}]\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			r.run(t, &fakePipeline{err: perr})
			out := r.out.String()
			masks := "::add-mask::" + acct + "\n::add-mask::111122223333\n"
			if !strings.HasPrefix(out, masks) {
				t.Errorf("the policy's accounts are not masked first:\n%s", out)
			}
			rest := strings.TrimPrefix(out, masks) + r.summaryText(t)
			if strings.Contains(rest, acct) || strings.Contains(rest, "111122223333") || !strings.Contains(rest, "REDACTED") {
				t.Errorf("log and summary:\n%s", rest)
			}
		})
	}
}

func TestSetOutputsRefusesLineBreaks(t *testing.T) {
	t.Parallel()
	r := newRunner(t, "pull_request")
	r.env["INPUT_JSON-FILE"] = "plan.json\n_GitHubActionsFileCommandDelimeter_\ndrift<<x\nfalse\nx"
	if code := r.run(t, &fakePipeline{plan: inSyncPlan()}); code != ExitFailure {
		t.Errorf("exit code %d, want %d", code, ExitFailure)
	}
	if out := r.outputs(t); len(out) != 0 {
		t.Errorf("outputs were set: %v", out)
	}
	if !strings.Contains(r.out.String(), "::error::output plan-json is not set: its value holds a line break") {
		t.Errorf("stdout:\n%s", r.out.String())
	}
}
