package cli

import (
	"flag"
	"fmt"
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
	fail := func(err error) int {
		(&runner{env: env, cmd: "iam-policy"}).fail(err)
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
