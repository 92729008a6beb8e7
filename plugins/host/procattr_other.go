//go:build !linux

package host

import "os/exec"

// bindToParent is a no-op where the kernel has no parent-death signal; the SDK's parent
// watchdog still ends an orphaned plugin.
func bindToParent(*exec.Cmd) {}
