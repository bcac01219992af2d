package e2e

import (
	"os/exec"
	"syscall"
)

// dieWithTest kills the node if the test process dies first (a test
// timeout), so no node outlives its test.
func dieWithTest(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
