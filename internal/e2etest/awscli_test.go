package e2etest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"sync"
)

// The AWS CLI is a Python program whose start (importing botocore and awscli) costs most of a
// CPU-second; the tests run it hundreds of times. cliWorkers keeps a few Python processes that
// imported it once and run each command line through the CLI's own entry point
// (awscli.clidriver, what the aws script runs), with a fresh driver and the command's own
// environment each time: the same CLI, the same output and errors, without the start-up. The
// drivers share one reader of botocore's data files (models parsed once: 263 → 95 ms of CPU
// per command measured here). Where
// the Python found first cannot import awscli, each command runs the aws executable instead.

// cliWorkerPy runs one AWS CLI command line per request: {"args": [...], "env": {...}} on stdin,
// {"code": N, "stdout": b64, "stderr": b64} on its stdout.
const cliWorkerPy = `
import base64, io, json, os, sys
import awscli.clidriver

# awscli adds its own data (cli.json) to AWS_DATA_PATH when imported; each command keeps it.
data_path = os.environ["AWS_DATA_PATH"]
loaders = {}
reply = os.fdopen(os.dup(1), "w")
sys.stdout.write("ready\n")
sys.stdout.flush()
for line in sys.stdin:
    req = json.loads(line)
    os.environ.clear()
    os.environ.update(req["env"])
    os.environ["AWS_DATA_PATH"] = os.pathsep.join([req["env"].get("AWS_DATA_PATH", ""), data_path])
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    sys.stdout, sys.stderr = out, err
    try:
        driver = awscli.clidriver.create_clidriver()
        # Each driver is new (its own session, credentials and configuration from this
        # command's environment); the files of botocore's data (service models, read and parsed
        # again by every new session's loader: two thirds of a command's CPU) are read once.
        key = driver.session.get_config_variable("data_path")
        if key in loaders:
            driver.session.register_component("data_loader", loaders[key])
        else:
            loaders[key] = driver.session.get_component("data_loader")
        code = driver.main(req["args"])
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    except BaseException as e:
        err.write("aws: %r\n" % (e,))
        code = 255
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    out.flush()
    err.flush()
    reply.write(json.dumps({"code": code or 0,
        "stdout": base64.b64encode(out.buffer.getvalue()).decode(),
        "stderr": base64.b64encode(err.buffer.getvalue()).decode()}) + "\n")
    reply.flush()
`

type cliWorker struct {
	in  io.WriteCloser
	out *bufio.Reader
	cmd *exec.Cmd
}

var cli struct {
	once    sync.Once
	ok      bool // the workers run; otherwise the aws executable runs each command
	idle    chan *cliWorker
	mu      sync.Mutex
	started []*cliWorker
}

func startCLIWorker() (*cliWorker, error) {
	cmd := exec.Command("python3", "-c", cliWorkerPy)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &cliWorker{in: in, out: bufio.NewReaderSize(outPipe, 1<<20), cmd: cmd}
	if line, err := w.out.ReadString('\n'); err != nil || line != "ready\n" {
		w.stop()
		return nil, fmt.Errorf("the AWS CLI worker did not start: %v %q %s", err, line, stderr.String())
	}
	return w, nil
}

func (w *cliWorker) stop() {
	w.in.Close()
	_ = w.cmd.Wait()
}

// stopCLIWorkers ends the workers (TestMain, after the tests).
func stopCLIWorkers() {
	cli.mu.Lock()
	defer cli.mu.Unlock()
	for _, w := range cli.started {
		w.stop()
	}
	cli.started = nil
}

// runAWSCLI runs `aws args...` with env and returns its standard output and error; err is
// non-nil when the CLI exits with a code other than 0.
func runAWSCLI(env, args []string) (stdout, stderr []byte, err error) {
	cli.once.Do(func() {
		n := max(4, 2*runtime.GOMAXPROCS(0))
		cli.idle = make(chan *cliWorker, n)
		first, err := startCLIWorker()
		if err != nil {
			return
		}
		cli.ok = true
		cli.started = append(cli.started, first)
		cli.idle <- first
		for range n - 1 {
			go func() {
				w, err := startCLIWorker()
				if err != nil {
					return
				}
				cli.mu.Lock()
				cli.started = append(cli.started, w)
				cli.mu.Unlock()
				cli.idle <- w
			}()
		}
	})
	if !cli.ok {
		cmd := exec.Command("aws", args...)
		cmd.Env = env
		var errBuf bytes.Buffer
		cmd.Stderr = &errBuf
		out, err := cmd.Output()
		return out, errBuf.Bytes(), err
	}
	w := <-cli.idle
	defer func() { cli.idle <- w }()
	envMap := map[string]string{}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v // the last one wins, as in exec.Cmd
		}
	}
	req, err := json.Marshal(map[string]any{"args": args, "env": envMap})
	if err != nil {
		return nil, nil, err
	}
	if _, err := w.in.Write(append(req, '\n')); err != nil {
		return nil, nil, fmt.Errorf("the AWS CLI worker: %w", err)
	}
	line, err := w.out.ReadBytes('\n')
	if err != nil {
		return nil, nil, fmt.Errorf("the AWS CLI worker: %w", err)
	}
	var rep struct {
		Code           int
		Stdout, Stderr []byte
	}
	if err := json.Unmarshal(line, &rep); err != nil {
		return nil, nil, fmt.Errorf("the AWS CLI worker's answer: %w", err)
	}
	if rep.Code != 0 {
		return rep.Stdout, rep.Stderr, errors.New("aws: exit status " + fmt.Sprint(rep.Code))
	}
	return rep.Stdout, rep.Stderr, nil
}
