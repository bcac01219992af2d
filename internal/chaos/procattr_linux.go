package chaos

import (
	"os/exec"
	"syscall"
)

// dieWithParent kills the child if the chaos process dies first, so no node
// outlives a run.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
