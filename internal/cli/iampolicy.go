package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sseguard/sseguard/internal/iamgen"
	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
)

// runIAMPolicy prints the IAM policy (or, with --trust, the trust policy) a role needs. It makes
// no AWS call.
func runIAMPolicy(args []string, env Env) int {
	fs := newFlags("iam-policy")
	policyPath := fs.String("policy", "sseguard.yaml", "read the policy from `FILE`")
	role := fs.String("role", "", "`ROLE`: plan, apply or batch (the role S3 Batch Operations jobs run as)")
	account := fs.String("account", "", "the `ID` of the account, when the policy file names none; for a policy that lists accounts, the listed account whose role to print")
	partition := fs.String("partition", "aws", "`P`: aws, aws-cn or aws-us-gov")
	trust := fs.Bool("trust", false, "print the role's trust policy instead")
	repo := fs.String("repo", "", "the repository (with --trust): `OWNER/REPO`, or OWNER@OWNER_ID/REPO@REPO_ID for one that sends "+
		"GitHub's immutable OIDC subjects (gh api repos/OWNER/REPO --jq '.owner.id, .id' prints the two ids)")
	branch := fs.String("branch", "main", "the apply `BRANCH` (with --trust)")
	environment := fs.String("environment", "", "GitHub environment `E` of the apply job (with --trust)")
	workflow := fs.String("workflow", "", "the workflow file `PATH` the role is limited to, e.g. .github/workflows/sseguard-apply.yml (with --trust)")
	format := fs.String("format", "json", "`FORMAT`: json prints one role's policy or trust policy; cloudformation a template of "+
		"every role the account needs, parameterised by repository, apply branch and environment")
	var assumedBy stringList
	fs.Var(&assumedBy, "assumed-by", "the `ARN` of the home account's role of the same kind (plan or apply) that assumes a member account's role (with --trust --account MEMBER; repeatable)")
	if done, code := parse(fs, "iam-policy", args, env); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "sseguard iam-policy: unexpected argument %q\n", fs.Arg(0))
		return ExitError
	}
	switch *partition {
	case "aws", "aws-cn", "aws-us-gov":
	default:
		fmt.Fprintf(env.Stderr, "sseguard iam-policy: --partition %q: want aws, aws-cn or aws-us-gov\n", *partition)
		return ExitError
	}
	switch *format {
	case "json":
	case "cloudformation":
		return runCloudFormation(fs, *policyPath, *account, *partition, env)
	default:
		fmt.Fprintf(env.Stderr, "sseguard iam-policy: --format %q: want json or cloudformation\n", *format)
		return ExitError
	}
	r := iamgen.Role(*role)
	if r != iamgen.RolePlan && r != iamgen.RoleApply && r != iamgen.RoleBatch {
		fmt.Fprintf(env.Stderr, "sseguard iam-policy: --role %q: want plan, apply or batch\n", *role)
		return ExitError
	}
	q := iamRequest{policyPath: *policyPath, role: r, account: *account, partition: *partition, trust: *trust, repo: *repo,
		branch: *branch, environment: *environment, workflow: *workflow, assumedBy: assumedBy}
	doc, err := q.document(env.Stderr)
	if err == nil {
		var text string
		if text, err = doc.JSON(); err == nil {
			fmt.Fprint(env.Stdout, text)
			return ExitOK
		}
	}
	return (&runner{env: env, cmd: "iam-policy"}).fail(err)
}

// iamRequest is the one document iam-policy was asked for: a role's policy or its trust policy.
type iamRequest struct {
	policyPath, account, partition      string
	role                                iamgen.Role
	trust                               bool
	repo, branch, environment, workflow string
	assumedBy                           []string
}

// document builds the requested document; notes for people go to stderr.
func (q iamRequest) document(stderr io.Writer) (*iampolicy.Document, error) {
	member := false
	if q.trust && q.account != "" {
		if pol, err := policy.Load(q.policyPath); err == nil {
			_, member = pol.AccountByID(q.account)
		}
	}
	switch {
	case member:
		return q.memberTrust(stderr)
	case len(q.assumedBy) > 0:
		return nil, errors.New("--assumed-by goes with --trust --account ID of an account the policy lists under accounts")
	case q.trust && q.role == iamgen.RoleBatch:
		// The job role is assumed by S3 Batch Operations, not by a workflow.
		acct := q.account
		if pol, err := policy.Load(q.policyPath); err == nil && pol.Account != "" {
			acct = pol.Account
		}
		return iamgen.BatchTrust(acct)
	case q.trust:
		acct := q.account
		if acct == "" {
			// The file's account, when it names one (the provider lives there).
			if pol, err := policy.Load(q.policyPath); err == nil {
				acct = pol.Account
			}
		}
		d, err := iamgen.Trust(iamgen.TrustOptions{Role: q.role, Account: acct, Partition: q.partition, Repo: q.repo,
			Branch: q.branch, Environment: q.environment, Workflow: q.workflow})
		if err == nil && q.workflow != "" {
			fmt.Fprintln(stderr, iamgen.WorkflowNote)
		}
		return d, err
	}
	pol, err := policy.Load(q.policyPath)
	if err != nil {
		return nil, err
	}
	return iamgen.Policy(pol, iamgen.Options{Role: q.role, Account: q.account, Partition: q.partition})
}

// memberTrust is the trust policy of the role sseguard assumes in a listed account: it trusts the
// home account's role, not GitHub.
func (q iamRequest) memberTrust(stderr io.Writer) (*iampolicy.Document, error) {
	pol, err := policy.Load(q.policyPath)
	if err != nil {
		return nil, err
	}
	d, err := iamgen.MemberTrust(pol, iamgen.MemberTrustOptions{Role: q.role, Account: q.account, AssumedBy: q.assumedBy})
	if err != nil {
		return nil, err
	}
	a, _ := pol.AccountByID(q.account)
	fmt.Fprintf(stderr, "the trust policy of %s, the %s role sseguard assumes in account %s: --assumed-by names the home account's %s role only\n",
		a.RoleFor(q.role == iamgen.RoleApply), q.role, q.account, q.role)
	return d, nil
}

// runCloudFormation prints the template of the account's roles. The flags that choose one role
// or spell its trust are the template's parameters instead, and are refused here.
func runCloudFormation(fs *flag.FlagSet, policyPath, account, partition string, env Env) int {
	var wrong []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "role", "trust", "repo", "branch", "environment", "workflow", "assumed-by":
			wrong = append(wrong, "--"+f.Name)
		}
	})
	if len(wrong) > 0 {
		fmt.Fprintf(env.Stderr, "sseguard iam-policy: %s goes with --format json; the template holds every role, and the "+
			"repository, apply branch and environment are its parameters (Repository, ApplyBranch, ApplyEnvironment)\n", strings.Join(wrong, ", "))
		return ExitError
	}
	pol, err := policy.Load(policyPath)
	if err == nil {
		var text []byte
		text, err = iamgen.CloudFormation(pol, iamgen.CloudFormationOptions{Account: account, Partition: partition, Source: filepath.Base(policyPath)})
		if err == nil {
			fmt.Fprint(env.Stdout, string(text))
			return ExitOK
		}
	}
	return (&runner{env: env, cmd: "iam-policy"}).fail(err)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
