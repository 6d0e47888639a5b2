// Command benchtable runs the bench package's benchmarks the way their
// figures are meant to be read: every case in a fresh process, several
// repetitions interleaved across the cases (so that a change in the
// machine's load falls on all of them alike), and prints each metric's
// median with its min and max as a Markdown table.
//
//	cd bench && go run ./cmd/benchtable -reps 3
//	cd bench && go run ./cmd/benchtable -reps 5 -cases 'Bulk/.*/mtu65535'
//
// It builds the package's test binary once, asks it for its cases
// (SYNACK_BENCH_LIST=1), then runs the binary once per case and
// repetition with -test.bench selecting that case alone and
// -test.benchtime=1x. The environment passes through, so the benchmarks'
// sizes (SYNACK_BENCH_BYTES, SYNACK_IDLE_CONNS, ...) apply.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// pkg is the package whose benchmarks benchtable runs.
const pkg = "github.com/synack-net/synack/bench"

func main() {
	reps := flag.Int("reps", 3, "repetitions of each case, each in a fresh process")
	cases := flag.String("cases", "", "run only the cases whose name (without the Benchmark prefix) matches this regexp")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up on one process after this long")
	profile := flag.String("cpuprofile", "", "write a CPU profile of every run into this directory")
	flag.Parse()
	if err := runTable(os.Stdout, *reps, *cases, *timeout, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func runTable(w io.Writer, reps int, filter string, timeout time.Duration, profile string) error {
	re, err := regexp.Compile(filter)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "benchtable")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bench.test")
	build := exec.Command("go", "test", "-c", "-o", bin, pkg)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the test binary: %w", err)
	}
	all, err := listCases(bin)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range all {
		if re.MatchString(strings.TrimPrefix(c, "Benchmark")) {
			names = append(names, c)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("no case matches %q", filter)
	}

	fmt.Fprintf(w, "%s, %d CPUs, load average %s at the start; %d repetitions, each case in a fresh process\n\n",
		runtime.Version(), runtime.NumCPU(), loadAverage(), reps)
	results := map[string]map[string][]float64{} // case, unit: values
	for rep := range reps {
		for _, name := range names {
			args := []string{"-test.run", "^$", "-test.bench", benchPattern(name),
				"-test.benchtime", "1x", "-test.timeout", timeout.String()}
			if profile != "" {
				p := filepath.Join(profile, fmt.Sprintf("%s.%d.prof", strings.ReplaceAll(name, "/", "_"), rep))
				args = append(args, "-test.cpuprofile", p)
			}
			out, err := exec.Command(bin, args...).CombinedOutput()
			metrics, skipped := parse(out)
			switch {
			case err != nil:
				return fmt.Errorf("%s, repetition %d: %w\n%s", name, rep+1, err, out)
			case skipped:
				fmt.Fprintf(os.Stderr, "%s: skipped\n", name)
				continue
			case metrics == nil:
				return fmt.Errorf("%s, repetition %d: no result\n%s", name, rep+1, out)
			}
			fmt.Fprintf(os.Stderr, "%s #%d: %v\n", name, rep+1, metrics)
			if results[name] == nil {
				results[name] = map[string][]float64{}
			}
			for u, v := range metrics {
				results[name][u] = append(results[name][u], v)
			}
		}
	}
	printTable(w, names, results)
	return nil
}

// listCases returns the full names of the benchmark cases in bin.
func listCases(bin string) ([]string, error) {
	cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", ".", "-test.benchtime", "1x")
	cmd.Env = append(os.Environ(), "SYNACK_BENCH_LIST=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("list the cases: %w\n%s", err, out)
	}
	var names []string
	for line := range strings.Lines(string(out)) {
		if name, ok := strings.CutPrefix(strings.TrimSpace(line), "case "); ok {
			names = append(names, name)
		}
	}
	return names, nil
}

// benchPattern returns the -test.bench pattern that selects name alone:
// each element of the name anchored and quoted.
func benchPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}

// parse reads the metrics of the one benchmark line in out (value-unit
// pairs after the iteration count, ns/op and MB/s left out) and whether the
// case skipped.
func parse(out []byte) (map[string]float64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	var metrics map[string]float64
	skipped := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 1 && f[0] == "---" && f[1] == "SKIP:" {
			skipped = true
		}
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		metrics = map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil || f[i+1] == "ns/op" || f[i+1] == "MB/s" {
				continue
			}
			metrics[f[i+1]] = v
		}
	}
	return metrics, skipped && metrics == nil
}

// printTable writes one row per case: each metric's median [min-max].
func printTable(w io.Writer, names []string, results map[string]map[string][]float64) {
	fmt.Fprintln(w, "| case | n | median [min – max] |")
	fmt.Fprintln(w, "|---|---|---|")
	for _, name := range names {
		r := results[name]
		if r == nil {
			continue
		}
		units := make([]string, 0, len(r))
		for u := range r {
			units = append(units, u)
		}
		slices.Sort(units)
		var cells []string
		n := 0
		for _, u := range units {
			vs := r[u]
			slices.Sort(vs)
			n = len(vs)
			cells = append(cells, fmt.Sprintf("%s %s [%s – %s]", num(median(vs)), u, num(vs[0]), num(vs[len(vs)-1])))
		}
		fmt.Fprintf(w, "| %s | %d | %s |\n", strings.TrimPrefix(name, "Benchmark"), n, strings.Join(cells, "; "))
	}
}

// median returns the median of sorted vs.
func median(vs []float64) float64 {
	m := len(vs) / 2
	if len(vs)%2 == 1 {
		return vs[m]
	}
	return (vs[m-1] + vs[m]) / 2
}

// num formats v with three significant figures, thousands grouped.
func num(v float64) string {
	switch a := max(v, -v); {
	case a >= 1000:
		return group(strconv.FormatFloat(v, 'f', 0, 64))
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

// group puts commas between the thousands of an integer's digits.
func group(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// loadAverage returns the 1-, 5- and 15-minute load averages, where the
// system reports them.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
