package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The bench command prints the benchmark table (synack beside gVisor and
// the kernel) for humans. The table is the bench module's cmd/benchtable:
// the benchmarks import gVisor, which the root module does not depend on,
// so bench runs that command from the synack source tree with the Go
// toolchain, passing its flags and the environment (the sizes:
// SYNACK_BENCH_BYTES, ...) through.

const benchUsage = `Usage: synack bench [flags]

Runs the benchmarks of the bench module, each case in a fresh process,
and prints each metric as median [min - max] beside gVisor and the
kernel (the kernel and TUN rows need root). It needs the synack source
tree (found from the current directory upward, or given with -source)
and the go command. Sizes come from the environment: SYNACK_BENCH_BYTES
(each bulk figure, default 1 GiB), SYNACK_BENCH_RR, SYNACK_BENCH_CONNS,
SYNACK_IDLE_CONNS.

Examples:

	synack bench -reps 3
	synack bench -reps 5 -cases 'Bulk/.*/mtu65535'

`

// rootModule is the module path of the synack source tree.
const rootModule = "github.com/synack-net/synack"

func runBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synack bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	reps := fs.Int("reps", 3, "repetitions of each case, each in a fresh process")
	cases := fs.String("cases", "", "run only the cases whose name (without the Benchmark prefix) matches this regexp")
	timeout := fs.Duration("timeout", 10*time.Minute, "give up on one process after this long")
	profile := fs.String("cpuprofile", "", "write a CPU profile of every run into this directory")
	source := fs.String("source", "", "the synack source tree (default: found from the current directory upward)")
	if code, ok := parseFlags(fs, args, benchUsage); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "synack bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *reps < 1 || *timeout <= 0 {
		fmt.Fprintln(stderr, "synack bench: -reps must be at least 1 and -timeout positive")
		return 2
	}
	if _, err := regexp.Compile(*cases); err != nil {
		fmt.Fprintf(stderr, "synack bench: -cases: %v\n", err)
		return 2
	}
	root, err := benchSource(*source)
	if err != nil {
		fmt.Fprintln(stderr, "synack bench:", err)
		return 1
	}
	cmdArgs := []string{"run", "./cmd/benchtable", "-reps", fmt.Sprint(*reps), "-cases", *cases, "-timeout", timeout.String()}
	if *profile != "" {
		// benchtable runs in the bench module's directory.
		abs, err := filepath.Abs(*profile)
		if err != nil {
			fmt.Fprintln(stderr, "synack bench:", err)
			return 1
		}
		cmdArgs = append(cmdArgs, "-cpuprofile", abs)
	}
	cmd := exec.Command("go", cmdArgs...)
	cmd.Dir = filepath.Join(root, "bench")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode()
		}
		fmt.Fprintln(stderr, "synack bench: the go command is needed:", err)
		return 1
	}
	return 0
}

// benchSource returns the synack source tree: dir if given (it must be
// one), else the first directory from the current one upward that is.
func benchSource(dir string) (string, error) {
	if dir != "" {
		if !isSynackTree(dir) {
			return "", fmt.Errorf("%s is not the synack source tree (no go.mod of %s with a bench module)", dir, rootModule)
		}
		return dir, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if isSynackTree(d) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no synack source tree in %s or above it (clone it, or give -source DIR)", wd)
		}
	}
}

// isSynackTree reports whether dir holds the root module's go.mod and the
// bench module.
func isSynackTree(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "bench", "go.mod")); err != nil {
		return false
	}
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); strings.HasPrefix(line, "module ") {
			return strings.TrimSpace(strings.TrimPrefix(line, "module")) == rootModule
		}
	}
	return false
}
