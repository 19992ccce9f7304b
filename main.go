// Command sseguard keeps S3 buckets encrypted the way a reviewed policy file says: as a GitHub
// Action (in a container, configured by INPUT_* variables) or as a command-line tool.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/sethvargo/go-githubactions"

	"github.com/sseguard/sseguard/internal/action"
	"github.com/sseguard/sseguard/internal/cli"
	"github.com/sseguard/sseguard/internal/pipeline"
)

func main() {
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if os.Getenv("GITHUB_ACTIONS") == "true" && len(os.Args) == 1 {
		// A container action step, configured by INPUT_* and GITHUB_* variables.
		return action.Run(ctx, githubactions.New(), &pipeline.Pipeline{})
	}
	return cli.Main(ctx, os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr})
}
