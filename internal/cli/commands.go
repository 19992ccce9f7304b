package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/sseguard/sseguard/internal/suggest"
)

// command is one of sseguard's commands: how it is called and what it does. Its flags are the
// ones its own flag set defines, so `sseguard COMMAND --help` lists exactly what it accepts.
type command struct {
	name string
	// args is what follows the name in the usage line, e.g. "[flags]".
	args string
	// summary is the one line the command list shows.
	summary string
	// about is what `sseguard COMMAND --help` says before the flags.
	about string
	// groups name flags shown under a heading of their own, after the others.
	groups []flagGroup
}

// flagGroup is a heading and the flags shown under it.
type flagGroup struct {
	title string
	names []string
}

// objectFlags are plan's and apply's flags for existing objects.
var objectFlags = flagGroup{
	title: "Existing objects (buckets with existing_objects: report or reencrypt)",
	names: []string{"concurrency", "rps", "max-objects", "max-duration", "multipart-threshold", "update-object-encryption", "copy-from-listing"},
}

// costFlags are plan's and apply's flags for the cost estimates; batchFlags apply's for S3 Batch
// Operations.
var (
	costFlags  = flagGroup{title: "Cost estimates", names: []string{"prices"}}
	batchFlags = flagGroup{title: "S3 Batch Operations (buckets with batch_operations)", names: []string{"retry-failed-batch-jobs"}}
)

// commands are sseguard's commands in the order the usage lists them.
var commands = []command{
	{name: "validate", args: "[--policy FILE]", summary: "check the policy file offline (no AWS call)",
		about: `Checks the policy file without calling AWS. Every problem is printed as file:line:col: message,
all of them at once.`},
	{name: "plan", args: "[--policy FILE] [--json FILE] [--detailed-exitcode]", summary: "show what differs from the policy and what apply would do; changes nothing",
		about: `Reads the live state of every bucket and key the policy names and prints what differs, and what
apply would do. Changes nothing.`, groups: []flagGroup{objectFlags, costFlags}},
	{name: "apply", args: "[--policy FILE] [--json FILE] [--approved-plan FILE]", summary: "make AWS match the policy, then read it back and verify",
		about: `Makes the account match the policy: creates missing keys (with their aliases and key policies),
sets default encryption, fixes key and bucket policies, re-encrypts existing objects where asked;
then reads everything back and verifies. Never deletes or disables anything.`, groups: []flagGroup{objectFlags, costFlags, batchFlags}},
	{name: "iam-policy", args: "--role plan|apply|batch [--trust ...] [--policy FILE] | --format cloudformation [--policy FILE]", summary: "print the IAM policies sseguard's roles need, or a CloudFormation template of them (offline)",
		about: `Prints the least-privilege IAM policy (JSON) a role needs for the policy file's buckets, prefixes
and keys. No AWS call.

  --role plan    reads: pull requests and scheduled drift checks
  --role apply   reads and writes: runs on the apply branch
  --role batch   the role S3 Batch Operations jobs run as (buckets with batch_operations)

With --trust, the role's trust policy instead: for plan and apply, GitHub's OIDC provider handing
the role to the repository (plan: its pull requests and runs on the apply branch; apply: runs on
the apply branch, or in --environment, and with --workflow only that workflow file), matching
the subject exactly in the form the repository sends (--repo OWNER/REPO, or
OWNER@OWNER_ID/REPO@REPO_ID for immutable subjects); for batch, batchoperations.s3.amazonaws.com.

For a policy that lists accounts, --account naming a listed account prints what that account's
plan or apply role needs (its buckets and keys); otherwise the home role's, which also needs
sts:AssumeRole on the listed accounts' roles of the same kind (plan on plan_role_arn, apply on
apply_role_arn). --trust --account MEMBER --assumed-by ARN prints the trust policy of the
member's plan or apply role: the home role of the same kind may assume it (with sts:ExternalId
when the entry sets external_id).

--format cloudformation prints instead one CloudFormation template holding every role the
account needs, with exactly these policies: GitHub's OIDC provider (unless the parameter
GitHubOIDCProviderArn names it), the plan and apply roles and the Batch Operations job roles; with
--account MEMBER, that member account's plan and apply roles. Deploy it with
  aws cloudformation deploy --stack-name sseguard-roles --template-file sseguard-roles.json \
    --capabilities CAPABILITY_NAMED_IAM --parameter-overrides Repository=OWNER/REPO`},
	{name: "init", args: "[--region R]... [--buckets GLOB]... [--account-id-from-caller] > sseguard.yaml", summary: "print a policy file that keeps the account as it is",
		about: `Reads the account and prints a commented policy file that keeps every bucket as it is now: applied,
it changes nothing (plan --detailed-exitcode exits 0). Buckets sseguard would change or refuse as
they are (an AWS managed key, a key in another account, DSSE-KMS, unreadable, ...) are printed
commented out, each with the reason. Read-only.

It needs s3:ListAllMyBuckets and kms:ListAliases, which the plan role lacks, and the plan role's
read actions (s3:GetBucketLocation, s3:GetEncryptionConfiguration, s3:GetBucketPolicy,
s3:GetReplicationConfiguration, kms:DescribeKey, kms:GetKeyPolicy, kms:GetKeyRotationStatus) on
every bucket and key it reads: the plan role is scoped to a policy file's buckets and keys, which
init is writing.`},
	{name: "version", summary: "print sseguard's version, commit and Go version",
		about: `Prints the version (v1.2.3 for a release, devel for a build from a clone), the commit it was built
from, the Go version and the platform. --version does the same.`},
}

// footer is what the general usage says after the command list.
const footer = `Run "sseguard COMMAND --help" for a command's flags.

The demo is not part of this binary: in a clone of the repository, "go run ./cmd/demo" starts a
local AWS emulator, creates drifted buckets for policy.example.yaml, plans, applies and plans again.

AWS access comes from the SDK's default chain: AWS_PROFILE, AWS_ACCESS_KEY_ID/..., SSO, web
identity (GitHub OIDC), instance roles. AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 point it at
another endpoint (S3 then uses path-style addressing).

Everything printed for people is sanitized: control characters are shown escaped (\x1b,
\u202e), and no line can act as a GitHub Actions workflow command: a leading "::" is printed
\x3a:, and a '#' between '#' and '[' is printed \x23 (in the JSON plan \u0023, the same JSON
value).

Exit codes: 0 ok; 1 error, invalid policy, blocker or failed change; 2 changes pending
(plan --detailed-exitcode).
`

// usage is the general help: what sseguard is and its commands.
func usage() string {
	var b strings.Builder
	b.WriteString("sseguard keeps S3 buckets encrypted the way a policy file says.\n\nUsage:\n  sseguard COMMAND [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-11s %s\n", c.name, c.summary)
	}
	b.WriteString("\n" + footer)
	return b.String()
}

// lookup returns the command called name.
func lookup(name string) (command, bool) {
	i := slices.IndexFunc(commands, func(c command) bool { return c.name == name })
	if i < 0 {
		return command{}, false
	}
	return commands[i], true
}

// unknownCommand says that name is no command, with the nearest one when it is a near miss.
func unknownCommand(name string) string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	msg := fmt.Sprintf("sseguard: unknown command %q", name)
	if s, ok := suggest.Closest(name, names); ok {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return msg + "\nRun \"sseguard --help\" for the commands.\n"
}

// newFlags returns the flag set of command name. It prints nothing itself: parse does.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("sseguard "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parse parses args with fs, the flag set of command name. When it returns done, the command has
// nothing more to do and code is its exit code: --help printed the command's help on stdout (0),
// or a flag was wrong and stderr says which, with the nearest flag for a near miss (1). Flags are
// written --name, as the help shows them; Go's flag package also takes -name.
func parse(fs *flag.FlagSet, name string, args []string, env Env) (done bool, code int) {
	err := fs.Parse(args)
	if err == nil {
		return false, ExitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		c, _ := lookup(name)
		fmt.Fprint(env.Stdout, help(c, fs))
		return true, ExitOK
	}
	msg := err.Error()
	if typed, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg = "unknown flag --" + typed
		if s, ok := suggest.Closest(typed, names); ok {
			msg += " (did you mean --" + s + "?)"
		}
	}
	fmt.Fprintf(env.Stderr, "sseguard %s: %s\nRun \"sseguard %s --help\" for its flags.\n", name, msg, name)
	return true, ExitError
}

// help is what `sseguard COMMAND --help` prints: the usage line, what the command does, and the
// flags fs defines, grouped as the command says.
func help(c command, fs *flag.FlagSet) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage:\n  sseguard %s", c.name)
	if c.args != "" {
		b.WriteString(" " + c.args)
	}
	b.WriteString("\n\n" + c.about + "\n")
	grouped := map[string]bool{}
	for _, g := range c.groups {
		for _, n := range g.names {
			grouped[n] = true
		}
	}
	var rest []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !grouped[f.Name] {
			rest = append(rest, f)
		}
	})
	if len(rest) > 0 {
		b.WriteString("\nFlags:\n")
		for _, f := range rest {
			writeFlag(&b, f)
		}
	}
	for _, g := range c.groups {
		b.WriteString("\n" + g.title + ":\n")
		for _, n := range g.names {
			if f := fs.Lookup(n); f != nil {
				writeFlag(&b, f)
			}
		}
	}
	return b.String()
}

// writeFlag writes one flag as two columns: "--name VALUE" and its usage, wrapped, with the
// default when it is not the zero value. VALUE is the usage's `quoted` word, as flag.PrintDefaults
// takes it.
func writeFlag(b *strings.Builder, f *flag.Flag) {
	value, text := flag.UnquoteUsage(f)
	left := "--" + f.Name
	if value != "" {
		left += " " + value
	}
	switch f.DefValue {
	case "", "0", "false", "0s", "[]":
	default:
		text += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	const indent, width = 26, 100
	lines := wrap(text, width-indent)
	if len(left) > indent-4 {
		fmt.Fprintf(b, "  %s\n", left)
	} else {
		fmt.Fprintf(b, "  %-*s", indent-2, left)
		b.WriteString(lines[0] + "\n")
		lines = lines[1:]
	}
	for _, l := range lines {
		fmt.Fprintf(b, "%*s%s\n", indent, "", l)
	}
}

// wrap breaks text into lines of at most width columns at spaces; a line break in text is kept.
func wrap(text string, width int) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		line := ""
		for _, w := range strings.Fields(para) {
			if line != "" && len(line)+1+len(w) > width {
				out = append(out, line)
				line = w
				continue
			}
			if line != "" {
				line += " "
			}
			line += w
		}
		out = append(out, line)
	}
	return out
}
