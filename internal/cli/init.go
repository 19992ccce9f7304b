package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/initpolicy"
	"github.com/sseguard/sseguard/internal/observe"
	"github.com/sseguard/sseguard/internal/report"
)

// runInit reads the account and prints a policy that keeps every bucket in scope as it is. It
// never writes to AWS. The policy goes to stdout, what happened to stderr.
func runInit(ctx context.Context, args []string, env Env) int {
	fs := newFlags("init")
	var regions, globs repeated
	fs.Var(&regions, "region", "only buckets in region `R` (repeatable; default: every region); with one, R is also the policy's region")
	fs.Var(&globs, "buckets", "only buckets whose name matches `GLOB` (*, ?, [a-z]; repeatable; default: every bucket)")
	writeAccount := fs.Bool("account-id-from-caller", false, "write the caller's account id (sts:GetCallerIdentity) as the policy's account, so sseguard refuses to touch any other")
	if done, code := parse(fs, "init", args, env); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "sseguard init: unexpected argument %q (the policy is printed: sseguard init > sseguard.yaml)\n", fs.Arg(0))
		return ExitError
	}
	ro := initpolicy.ReadOptions{Regions: regions, Buckets: globs}
	if err := ro.Check(); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(env.Stderr, "sseguard init: %s\n", line)
		}
		return ExitError
	}
	opts := awsclient.Options{}
	if len(regions) == 1 {
		// One region asked for: the policy's region, and where its calls go.
		opts.Region = regions[0]
	}
	sdk, err := awsclient.New(ctx, opts)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sseguard init: %v\n", err)
		return ExitError
	}
	ro.HomeRegion = sdk.Region()
	snap, err := initpolicy.Read(ctx, initClients{sdk}, ro)
	if err != nil {
		fmt.Fprintf(env.Stderr, "sseguard init: %v\n", err)
		return ExitError
	}
	res, err := initpolicy.Build(snap, initpolicy.Options{WriteAccount: *writeAccount})
	if res != nil {
		env.Stdout.Write(res.YAML)
		fmt.Fprintf(env.Stderr, "sseguard init: %s\n", initSummary(len(res.Adopted), len(res.NotAdopted)))
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "sseguard init: %v\n", err)
		return ExitError
	}
	return ExitOK
}

// initSummary says what init wrote: "1 bucket adopted as it is, 2 buckets written commented out
// (the file says why)".
func initSummary(adopted, notAdopted int) string {
	return fmt.Sprintf("%s, %s written commented out (the file says why)",
		report.Plural(adopted, "bucket adopted as it is", "buckets adopted as they are"), report.Plural(notAdopted, "bucket", "buckets"))
}

// repeated is a flag that may be given several times.
type repeated []string

func (r *repeated) String() string { return strings.Join(*r, ",") }

func (r *repeated) Set(v string) error {
	*r = append(*r, v)
	return nil
}

// initClients adapts awsclient's clients to what init reads with.
type initClients struct{ c *awsclient.Clients }

var _ initpolicy.Clients = initClients{}

func (i initClients) S3(region string) observe.S3API              { return i.c.S3(region) }
func (i initClients) KMS(region string) observe.KMSAPI            { return i.c.KMS(region) }
func (i initClients) STS() observe.STSAPI                         { return i.c.STS() }
func (i initClients) IAM() observe.IAMAPI                         { return i.c.IAM() }
func (i initClients) Buckets(region string) initpolicy.BucketsAPI { return i.c.S3(region) }
func (i initClients) Aliases(region string) initpolicy.AliasesAPI { return i.c.KMS(region) }
