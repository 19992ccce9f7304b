package version

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	"debug/pe"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestReleaseArchives runs the script the release workflow runs (in the long tier: it builds
// sseguard twice more, from scratch, with -trimpath): every archive holds the README and the
// binary for its platform, the checksums file matches the archives, and the host's binary says
// the stamped version and commit.
func TestReleaseArchives(t *testing.T) {
	if os.Getenv("SSEGUARD_LONG") != "1" {
		t.Log("the release archives are built in the long tier (SSEGUARD_LONG=1)")
		return
	}
	out := t.TempDir()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	cmd := exec.Command("../../scripts/release-archives.sh", "v0.0.0-test", out, "linux/"+runtime.GOARCH, "windows/arm64")
	cmd.Env = append(os.Environ(), "GITHUB_SHA="+commit)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release-archives.sh: %v\n%s", err, b)
	}

	sums, err := os.ReadFile(filepath.Join(out, "sseguard_0.0.0-test_checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("checksums line %q is not sha256sum's format", line)
		}
		listed[name] = sum
	}
	linux := "sseguard_0.0.0-test_linux_" + runtime.GOARCH + ".tar.gz"
	windows := "sseguard_0.0.0-test_windows_arm64.zip"
	if len(listed) != 2 || listed[linux] == "" || listed[windows] == "" {
		t.Fatalf("checksums list %v, want %s and %s", listed, linux, windows)
	}
	for name, sum := range listed {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: checksum %x, the file says %s", name, got, sum)
		}
	}

	// The Linux archive: README and an ELF binary that runs here and says what it is.
	dir := t.TempDir()
	f, err := os.Open(filepath.Join(out, linux))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		p := filepath.Join(dir, filepath.Base(h.Name))
		w, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o755)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(w, tr); err != nil {
			t.Fatal(err)
		}
		w.Close()
	}
	prefix := "sseguard_0.0.0-test_linux_" + runtime.GOARCH + "/"
	if strings.Join(names, " ") != prefix+" "+prefix+"README.md "+prefix+"sseguard" {
		t.Errorf("%s holds %v", linux, names)
	}
	if e, err := elf.Open(filepath.Join(dir, "sseguard")); err != nil {
		t.Errorf("%s: the binary is not ELF: %v", linux, err)
	} else {
		e.Close()
	}
	got, err := exec.Command(filepath.Join(dir, "sseguard"), "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "sseguard v0.0.0-test (commit 0123456789ab, " + runtime.Version() + ", linux/" + runtime.GOARCH + ")\n"
	if string(got) != want {
		t.Errorf("--version = %q, want %q", got, want)
	}

	// The Windows archive: README and a PE binary for arm64.
	z, err := zip.OpenReader(filepath.Join(out, windows))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	names = nil
	for _, zf := range z.File {
		names = append(names, zf.Name)
		if !strings.HasSuffix(zf.Name, ".exe") {
			continue
		}
		r, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(bufio.NewReader(r))
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, "sseguard.exe")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		pf, err := pe.Open(p)
		if err != nil {
			t.Fatalf("%s: %v", zf.Name, err)
		}
		if pf.Machine != pe.IMAGE_FILE_MACHINE_ARM64 {
			t.Errorf("%s: machine %#x, want arm64", zf.Name, pf.Machine)
		}
		pf.Close()
	}
	wprefix := "sseguard_0.0.0-test_windows_arm64/"
	if strings.Join(names, " ") != wprefix+" "+wprefix+"README.md "+wprefix+"sseguard.exe" {
		t.Errorf("%s holds %v", windows, names)
	}
}
