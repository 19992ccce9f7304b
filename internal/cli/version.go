package cli

import (
	"fmt"

	"github.com/sseguard/sseguard/internal/version"
)

// buildInfo is the build being run; tests give a fixed one.
var buildInfo = version.Get

// runVersion prints the build's version line.
func runVersion(args []string, env Env) int {
	fs := newFlags("version")
	if done, code := parse(fs, "version", args, env); done {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "sseguard version: unexpected argument %q\n", fs.Arg(0))
		return ExitError
	}
	fmt.Fprintln(env.Stdout, buildInfo())
	return ExitOK
}
