//go:build linux

package kernel

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/internal/clitest"
	"github.com/synack-net/synack/internal/netns"
	"github.com/synack-net/synack/internal/tsharktest"
)

// readmeTimeout bounds the whole walkthrough (it moves 100 MB).
const readmeTimeout = 3 * time.Minute

// readmeWalkthrough returns the shell block of the README's "Real
// network" section: the one that begins by building the command.
func readmeWalkthrough(t *testing.T) string {
	t.Helper()
	return clitest.READMEBlock(t, "```sh\ngo build -o /tmp/synack ./cmd/synack\n")
}

// TestReadmeWalkthrough runs the README's serve/dial walkthrough as a
// user pastes it, with bash, in a namespace of its own name, the command
// built here and the capture in a temporary directory, and checks every
// output the README claims.
func TestReadmeWalkthrough(t *testing.T) {
	netns.Require(t)
	tsharktest.Find(t)
	for _, tool := range []string{"bash", "curl", "python3", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the walkthrough needs %s: %v", tool, err)
		}
	}
	block := readmeWalkthrough(t)
	ns := fmt.Sprintf("synack-readme-%d", os.Getpid())
	script := strings.NewReplacer(
		"synack-demo", ns,
		"/tmp/synack ", clitest.Build(t)+" ",
		"/tmp/serve.pcap", filepath.Join(t.TempDir(), "serve.pcap"),
	).Replace(block)
	ctx, cancel := context.WithTimeout(context.Background(), readmeTimeout)
	defer cancel()
	// In a process group of its own, so that whatever it leaves running
	// (its background jobs stay in the group) is found and ended.
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A process left running would hold the output open for ever.
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr clitest.Output
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() {
		syscall.Kill(-pgid, syscall.SIGKILL)
		exec.Command("ip", "netns", "del", ns).Run()
	})
	err := cmd.Wait()
	if err := syscall.Kill(-pgid, 0); err != syscall.ESRCH {
		t.Errorf("the walkthrough left processes running (kill -0 on its group: %v)", err)
	}
	if err != nil {
		t.Fatalf("walkthrough: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out, errOut := stdout.String(), stderr.String()
	lines := "\n" + out
	for _, want := range []string{
		"connection 10.99.0.1:", " -> 10.99.0.2:80\n", "\nstate      ESTABLISHED\n", // curl /
		"\n100000000\n", "\nhello\n", "\nserve: exit status 0\n",
		"10.99.0.1 → 10.99.0.2    TCP", "[SYN]", // tshark
		"\nHTTP/1.0 200 OK\r\n", "Directory listing for /", // dial to python
	} {
		if !strings.Contains(lines, want) {
			t.Errorf("stdout lacks %q", want)
		}
	}
	if !strings.Contains(errOut, "synack serve: stopped\n") {
		t.Errorf("stderr lacks serve's orderly stop")
	}
	// The README shows the refused dial's two lines of output, with an
	// ephemeral port that varies: they must match what ran.
	claimed := regexp.MustCompile(`(?m)^# (synack dial: .*|dial: exit status .*)$`).FindAllStringSubmatch(block, -1)
	if len(claimed) != 2 {
		t.Fatalf("the README claims %d output lines of the refused dial, want 2", len(claimed))
	}
	around := regexp.MustCompile(`:\d+->`).Split(claimed[0][1], -1)
	if len(around) != 2 {
		t.Fatalf("the README's refusal %q names no ephemeral port", claimed[0][1])
	}
	refusal := `(?m)^` + regexp.QuoteMeta(around[0]) + `:\d+->` + regexp.QuoteMeta(around[1]) + `$`
	if !regexp.MustCompile(refusal).MatchString(errOut) {
		t.Errorf("stderr lacks the README's %q:\n%s", claimed[0][1], errOut)
	}
	if !strings.Contains(lines, "\n"+claimed[1][1]+"\n") {
		t.Errorf("stdout lacks the README's %q", claimed[1][1])
	}
	if _, err := os.Stat("/run/netns/" + ns); err == nil {
		t.Errorf("the walkthrough left its namespace %s behind", ns)
	}
	if t.Failed() {
		t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
	}
}
