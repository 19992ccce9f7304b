// Command sseguard keeps S3 buckets encrypted the way a reviewed policy file says: as a GitHub
// Action (in a container, configured by INPUT_* variables) or as a command-line tool.
package main

import (
	"context"
	_ "embed"
	"os"
	"os/signal"
	"syscall"

	"github.com/sseguard/sseguard/internal/cli"
)

// examplePolicy is the policy `sseguard demo` runs against a local emulator.
//
//go:embed policy.example.yaml
var examplePolicy []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, ExamplePolicy: examplePolicy})
	stop()
	os.Exit(code)
}
