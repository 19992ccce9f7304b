package cli

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/iamgen"
	"github.com/sseguard/sseguard/internal/iampolicy"
	"github.com/sseguard/sseguard/internal/policy"
)

// runIAMPolicy prints the IAM policy (or, with --trust, the trust policy) a role needs. It makes
// no AWS call.
func runIAMPolicy(args []string, env Env) int {
	fs := flag.NewFlagSet("sseguard iam-policy", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() { fmt.Fprint(env.Stderr, usage) }
	policyPath := fs.String("policy", "sseguard.yaml", "policy file")
	role := fs.String("role", "", "plan, apply or batch (the role S3 Batch Operations jobs run as)")
	account := fs.String("account", "", "account id, when the policy file names none")
	partition := fs.String("partition", "aws", "aws, aws-cn or aws-us-gov")
	trust := fs.Bool("trust", false, "print the role's trust policy for GitHub's OIDC provider")
	repo := fs.String("repo", "", "OWNER/REPO (with --trust)")
	branch := fs.String("branch", "main", "apply branch (with --trust)")
	environment := fs.String("environment", "", "GitHub environment of the apply job (with --trust)")
	workflow := fs.String("workflow", "", "workflow file the role is limited to (with --trust), e.g. .github/workflows/sseguard-apply.yml")
	var assumedBy stringList
	fs.Var(&assumedBy, "assumed-by", "the home account's role of the same kind (plan or apply) that assumes a member account's role (with --trust --account MEMBER; repeatable)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "sseguard iam-policy: unexpected argument %q\n", fs.Arg(0))
		return ExitError
	}
	r := iamgen.Role(*role)
	if r != iamgen.RolePlan && r != iamgen.RoleApply && r != iamgen.RoleBatch {
		fmt.Fprintf(env.Stderr, "sseguard iam-policy: --role %q: want plan, apply or batch\n", *role)
		return ExitError
	}
	switch *partition {
	case "aws", "aws-cn", "aws-us-gov":
	default:
		fmt.Fprintf(env.Stderr, "sseguard iam-policy: --partition %q: want aws, aws-cn or aws-us-gov\n", *partition)
		return ExitError
	}
	fail := func(err error) int {
		(&runner{env: env}).fail(err)
		return ExitError
	}
	var doc *iampolicy.Document
	member := false
	if *trust && *account != "" {
		if pol, err := policy.Load(*policyPath); err == nil {
			_, member = pol.AccountByID(*account)
		}
	}
	if member {
		// The role sseguard assumes in a listed account trusts the home role, not GitHub.
		pol, err := policy.Load(*policyPath)
		if err != nil {
			return fail(err)
		}
		d, err := iamgen.MemberTrust(pol, iamgen.MemberTrustOptions{Role: r, Account: *account, AssumedBy: assumedBy})
		if err != nil {
			return fail(err)
		}
		a, _ := pol.AccountByID(*account)
		fmt.Fprintf(env.Stderr, "the trust policy of %s, the %s role sseguard assumes in account %s: --assumed-by names the home account's %s role only\n",
			a.RoleFor(r == iamgen.RoleApply), r, *account, r)
		doc = d
	} else if len(assumedBy) > 0 {
		fmt.Fprintln(env.Stderr, "sseguard iam-policy: --assumed-by goes with --trust --account ID of an account the policy lists under accounts")
		return ExitError
	} else if *trust && r == iamgen.RoleBatch {
		// The job role is assumed by S3 Batch Operations, not by a workflow.
		acct := *account
		if pol, err := policy.Load(*policyPath); err == nil && pol.Account != "" {
			acct = pol.Account
		}
		d, err := iamgen.BatchTrust(acct)
		if err != nil {
			return fail(err)
		}
		doc = d
	} else if *trust {
		acct := *account
		if acct == "" {
			// The file's account, when it names one (the provider lives there).
			if pol, err := policy.Load(*policyPath); err == nil {
				acct = pol.Account
			}
		}
		d, err := iamgen.Trust(iamgen.TrustOptions{Role: r, Account: acct, Partition: *partition, Repo: *repo,
			Branch: *branch, Environment: *environment, Workflow: *workflow})
		if err != nil {
			return fail(err)
		}
		if *workflow != "" {
			fmt.Fprintln(env.Stderr, iamgen.WorkflowNote)
		}
		doc = d
	} else {
		pol, err := policy.Load(*policyPath)
		if err != nil {
			return fail(err)
		}
		d, err := iamgen.Policy(pol, iamgen.Options{Role: r, Account: *account, Partition: *partition})
		if err != nil {
			return fail(err)
		}
		doc = d
	}
	text, err := doc.JSON()
	if err != nil {
		return fail(err)
	}
	fmt.Fprint(env.Stdout, text)
	return ExitOK
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
