package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The end-to-end tests live in internal/e2etest. What stays here is the README's test
// (readme_test.go), which runs the binary built from this tree: genBinary.
var genBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sseguard-readme-")
	if err != nil {
		panic(err)
	}
	genBinary = filepath.Join(dir, "sseguard")
	build := exec.Command("go", "build", "-o", genBinary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		os.Stderr.WriteString("build sseguard: " + err.Error() + "\n")
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
