// Command demo shows sseguard end to end without an AWS account: it starts a local AWS emulator
// (moto_server) behind sseguard's strict AWS layer, creates three buckets that have drifted from
// policy.example.yaml, and runs plan, apply and plan again on that file. Nothing outside the
// emulator is touched. Run it from a clone of the repository:
//
//	go run ./cmd/demo
//
// The strict layer (internal/testsupport/awstest) answers as S3 and KMS document where moto does not — it
// holds bucket policies and judges uploads and copies with S3's condition keys, where moto refuses
// every upload under a conditional Deny. It is test support, which is why the demo is a command
// of its own and not part of the sseguard binary.
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/sseguard/sseguard/internal/awsclient"
	"github.com/sseguard/sseguard/internal/cli"
	"github.com/sseguard/sseguard/internal/demo"
	"github.com/sseguard/sseguard/internal/pipeline"
	"github.com/sseguard/sseguard/internal/sanitize"
	"github.com/sseguard/sseguard/internal/testsupport/awstest"
	"github.com/sseguard/sseguard/internal/testsupport/motoserver"
)

// examplePolicy is the repository's policy.example.yaml. go:embed cannot reach a parent
// directory, so this directory holds a copy; TestEmbeddedPolicyIsTheExample keeps it equal
// (`go test ./cmd/demo -run TestEmbeddedPolicyIsTheExample -update` rewrites it).
//
//go:embed policy.example.yaml
var examplePolicy []byte

func main() {
	keep := flag.Bool("keep", false, "leave the emulator running after the demo and print how to point sseguard, "+
		"the AWS CLI and the action's container at it (Ctrl-C stops it)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "demo: unexpected argument %q (the only flag is --keep)\n", flag.Arg(0))
		os.Exit(cli.ExitError)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Stdout, os.Stderr, *keep)
	stop()
	os.Exit(code)
}

// run starts moto_server and the strict layer in front of it, shows the demo, and stops both;
// with keep, only once ctx is done.
func run(ctx context.Context, stdout, stderr io.Writer, keep bool) int {
	fmt.Fprintln(stdout, "Starting a local AWS emulator (moto_server) behind sseguard's strict AWS layer, on free loopback ports...")
	layer, err := awstest.Start(ctx, awstest.Options{})
	if err != nil {
		return fail(stderr, err)
	}
	defer layer.Close()
	path, cleanup, err := demo.WritePolicy(examplePolicy)
	if err != nil {
		return fail(stderr, err)
	}
	defer cleanup()
	code := show(ctx, layer, path, stdout, stderr)
	if !keep || ctx.Err() != nil {
		return code
	}
	fmt.Fprint(stdout, keepNote(layer.URL, path))
	<-ctx.Done()
	fmt.Fprintln(stdout, "Stopping the emulator.")
	return code
}

// keepNote says how to use the emulator the demo leaves running at url, with the demo's policy
// file at path.
func keepNote(url, path string) string {
	dir := filepath.Dir(path)
	return fmt.Sprintf(`
The emulator keeps running, with the state apply left; Ctrl-C stops it. In another terminal:

  export AWS_ENDPOINT_URL=%[1]s AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

then, in this clone:

  go run . plan --policy %[2]s
  go run . init > /tmp/sseguard.yaml
  go run . iam-policy --role apply --policy %[2]s --account %[4]s
  aws s3api list-buckets

and the action's container (a Docker engine on this machine; --network host reaches the emulator):

  docker build -t sseguard . && docker run --rm --network host -v %[3]s:/policy     -e GITHUB_ACTIONS=true -e INPUT_POLICY=/policy/policy.example.yaml -e INPUT_MODE=plan     -e AWS_ENDPOINT_URL -e AWS_REGION -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY sseguard

`, url, path, dir, motoserver.Account)
}

// show seeds the drifted state through layer (so that the bucket policies are the layer's) and
// runs plan, apply and plan again on the example policy at path. It returns the demo's exit code.
func show(ctx context.Context, layer *awstest.Layer, path string, stdout, stderr io.Writer) int {
	c, err := awsclient.ForEndpoint(ctx, layer.URL)
	if err != nil {
		return fail(stderr, fmt.Errorf("connect to the emulator: %w", err))
	}
	p := &pipeline.Pipeline{AWS: pipeline.Static(pipeline.FromClients(c))}
	if err := demo.Seed(ctx, c, motoserver.Account); err != nil {
		return fail(stderr, fmt.Errorf("seed the emulator: %w", err))
	}
	fmt.Fprintf(stdout, "Emulator at %s (moto_server behind the strict layer) holds three drifted buckets for policy.example.yaml.\n", layer.URL)
	return cli.RunDemoSteps(ctx, cli.Env{Stdout: stdout, Stderr: stderr, Pipeline: p}, path)
}

// fail prints err on one sanitized line and returns the error exit code.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "demo: %s\n", sanitize.Line(err.Error()))
	return cli.ExitError
}
