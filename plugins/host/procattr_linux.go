//go:build linux

package host

import (
	"os/exec"
	"syscall"
)

// bindToParent makes the kernel kill the plugin when revsync dies (a second line of
// defence after the SDK's own parent watchdog).
func bindToParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
