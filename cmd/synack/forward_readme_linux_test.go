//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/internal/clitest"
	"github.com/synack-net/synack/internal/netns"
)

// TestForwardWalkthrough runs the README's synack forward walkthrough as
// a user pastes it, with bash, in namespaces of its own names and the
// command built here, and checks the outputs the README claims.
func TestForwardWalkthrough(t *testing.T) {
	netns.Require(t)
	for _, tool := range []string{"bash", "curl", "python3", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the walkthrough needs %s: %v", tool, err)
		}
	}
	block := clitest.READMEBlock(t, "```sh\n# synack forward, directly: a walkthrough in two namespaces\ngo build -o /tmp/synack ./cmd/synack\n")
	demo, web := fmt.Sprintf("fwd-demo-%d", os.Getpid()), fmt.Sprintf("fwd-web-%d", os.Getpid())
	script := strings.NewReplacer("fwd-demo", demo, "fwd-web", web, "/tmp/synack ", clitest.Build(t)+" ").Replace(block)
	t.Cleanup(func() {
		exec.Command("ip", "netns", "del", demo).Run()
		exec.Command("ip", "netns", "del", web).Run()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the walkthrough: %v\n%s", err, out)
	}
	for _, want := range []string{"<!DOCTYPE HTML>", "curl: (7) Failed to connect", "HELLO OVER UDP",
		"relaying TCP and UDP directly", "synack forward: stopped", "forward: exit status 0"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the walkthrough printed no %q:\n%s", want, out)
		}
	}
}
