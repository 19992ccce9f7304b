package prcomment

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sseguard/sseguard/internal/approval"
	"github.com/sseguard/sseguard/internal/testsupport/githubtest"
)

const (
	headSHA  = "1111111111111111111111111111111111111111"
	mergeSHA = "2222222222222222222222222222222222222222"
	otherSHA = "3333333333333333333333333333333333333333"
)

var fpApproved = approval.Fingerprint{Version: approval.Version, Digest: strings.Repeat("ab", 32),
	Changes: map[string]string{"0123456789ab": "ba9876543210", "aaaaaaaaaaaa": "bbbbbbbbbbbb"}}

// approvedBody is a plan comment carrying fp, as PlanBody writes it.
func approvedBody(fp approval.Fingerprint) string {
	return Marker("sseguard.yaml") + "\n" + statusLine(StatusDrift) + "\n" + ApprovalLine(fp) + "\n\n### plan\n"
}

func TestApprovalLineRoundTrip(t *testing.T) {
	t.Parallel()
	got, ok := ReadApproval(approvedBody(fpApproved))
	if !ok || got.Digest != fpApproved.Digest || !cmp.Equal(got.Changes, fpApproved.Changes) || got.Version != approval.Version {
		t.Fatalf("read back %+v, %v", got, ok)
	}
	// Too many changes to list: the digest alone.
	many := approval.Fingerprint{Version: approval.Version, Digest: fpApproved.Digest, Changes: map[string]string{}}
	for i := range approval.MaxListed + 1 {
		many.Changes[fmt.Sprintf("%012x", i)] = "000000000000"
	}
	line := ApprovalLine(many)
	if len(line) > 120 {
		t.Errorf("a long plan's line is %d bytes", len(line))
	}
	if got, ok := ReadApproval(approvedBody(many)); !ok || len(got.Changes) != 0 || got.Digest != many.Digest {
		t.Errorf("long plan read back %+v %v", got, ok)
	}
	for name, body := range map[string]string{
		"no third line":    Marker("sseguard.yaml") + "\n" + statusLine(StatusDrift),
		"not hex":          strings.Replace(approvedBody(fpApproved), "abab", "xyxy", 1),
		"a short digest":   strings.Replace(approvedBody(fpApproved), strings.Repeat("ab", 32), "abab", 1),
		"markup after it":  strings.Replace(approvedBody(fpApproved), ApprovalLine(fpApproved), ApprovalLine(fpApproved)+"<b>", 1),
		"a repeated entry": strings.Replace(approvedBody(fpApproved), "aaaaaaaaaaaa=bbbbbbbbbbbb", "0123456789ab=bbbbbbbbbbbb", 1),
		"on another line":  Marker("sseguard.yaml") + "\n" + statusLine(StatusDrift) + "\n\n" + ApprovalLine(fpApproved),
	} {
		if _, ok := ReadApproval(body); ok {
			t.Errorf("%s: read as an approval", name)
		}
	}
}

func TestApprovedPlan(t *testing.T) {
	t.Parallel()
	merged := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	setup := func(comments func(srv *githubtest.Server)) *githubtest.Server {
		srv := githubtest.Start(t, "acme", "media")
		srv.AddToken("ghs_actions", githubtest.Installation)
		srv.AddToken("ghp_person", githubtest.Token{Login: "release-bot", Type: "User", Write: true, Personal: true})
		srv.AddToken("ghs_nopulls", githubtest.Token{Login: "github-actions[bot]", Type: "Bot", NoPullRequests: true})
		srv.AddPull(githubtest.PullRequest{Number: pr, Title: "Encrypt media", Author: "dev", HeadRef: "encrypt", BaseRef: "main",
			Commits: []string{headSHA}, MergeCommit: mergeSHA, Merged: merged})
		// An open pull request holding a commit not in main yet.
		srv.AddPull(githubtest.PullRequest{Number: 9, Author: "dev", HeadRef: "wip", BaseRef: "main", Commits: []string{otherSHA}})
		if comments != nil {
			comments(srv)
		}
		return srv
	}
	ours := approvedBody(fpApproved)
	forged := approvedBody(approval.Fingerprint{Version: approval.Version, Digest: strings.Repeat("cd", 32)})
	for name, tc := range map[string]struct {
		token    string
		sha      string
		comments func(srv *githubtest.Server)
		want     Approved
		denied   bool
	}{
		"the merge commit: sseguard's comment by GITHUB_TOKEN": {token: "ghs_actions", sha: mergeSHA,
			comments: func(srv *githubtest.Server) { srv.Seed(pr, "github-actions[bot]", "Bot", ours) },
			want:     Approved{PR: pr, Comment: true, HasApproval: true, Fingerprint: fpApproved, Author: "github-actions[bot]"}},
		"a commit of the pull request (rebase merge)": {token: "ghs_actions", sha: headSHA,
			comments: func(srv *githubtest.Server) { srv.Seed(pr, "github-actions[bot]", "Bot", ours) },
			want:     Approved{PR: pr, Comment: true, HasApproval: true, Fingerprint: fpApproved, Author: "github-actions[bot]"}},
		"a person's forged comment first is not read": {token: "ghs_actions", sha: mergeSHA,
			comments: func(srv *githubtest.Server) {
				srv.Seed(pr, "mallory", "User", forged)
				srv.Seed(pr, "some-app[bot]", "Bot", forged)
				srv.Seed(pr, "github-actions[bot]", "Bot", ours)
			},
			want: Approved{PR: pr, Comment: true, HasApproval: true, Fingerprint: fpApproved, Author: "github-actions[bot]"}},
		"only others' comments: none": {token: "ghs_actions", sha: mergeSHA,
			comments: func(srv *githubtest.Server) {
				srv.Seed(pr, "mallory", "User", forged)
				srv.Seed(pr, "some-app[bot]", "Bot", forged)
			},
			want: Approved{PR: pr}},
		"a personal token: its own account's comment, not the Actions bot's": {token: "ghp_person", sha: mergeSHA,
			comments: func(srv *githubtest.Server) {
				srv.Seed(pr, "github-actions[bot]", "Bot", forged)
				srv.Seed(pr, "Release-Bot", "User", ours)
			},
			want: Approved{PR: pr, Comment: true, HasApproval: true, Fingerprint: fpApproved, Author: "release-bot"}},
		"a failure comment carries no approval": {token: "ghs_actions", sha: mergeSHA,
			comments: func(srv *githubtest.Server) {
				srv.Seed(pr, "github-actions[bot]", "Bot", FailureBody("stopped", Options{PolicyPath: "sseguard.yaml"}))
			},
			want: Approved{PR: pr, Comment: true, Author: "github-actions[bot]"}},
		"a commit no merged pull request introduced": {token: "ghs_actions", sha: otherSHA, want: Approved{}},
		"a token that may not read pull requests":    {token: "ghs_nopulls", sha: mergeSHA, denied: true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := setup(tc.comments)
			got, err := newClient(t, srv, tc.token).ApprovedPlan(context.Background(), "acme", "media", tc.sha, "main", Marker("sseguard.yaml"), "")
			var perr *Error
			if tc.denied {
				if !errors.As(err, &perr) || !perr.Denied() {
					t.Fatalf("err %v, want a denied request", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.URL, got.Ignored = "", nil
			if !got.Comment {
				got.Author = "" // looked for, but nothing found
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("approved (-want +got):\n%s", diff)
			}
		})
	}
	// A merge into another branch than the apply branch is not the approval.
	srv := setup(func(srv *githubtest.Server) { srv.Seed(pr, "github-actions[bot]", "Bot", ours) })
	if got, err := newClient(t, srv, "ghs_actions").ApprovedPlan(context.Background(), "acme", "media", mergeSHA, "release", Marker("sseguard.yaml"), ""); err != nil || got.PR != 0 {
		t.Errorf("apply branch release: %+v, %v, want no pull request", got, err)
	}
	if _, err := newClient(t, srv, "ghs_actions").ApprovedPlan(context.Background(), "acme", "media", "HEAD", "main", Marker("sseguard.yaml"), ""); err == nil {
		t.Error("a commit that is not a full SHA was looked up")
	}
}
