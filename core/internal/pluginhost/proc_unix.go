//go:build unix && !linux

package pluginhost

import "syscall"

// sysProcAttr puts the plugin in its own process group (no parent-death
// signal outside Linux: the SDK's parent watchdog covers that).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// killGroup sends SIGKILL to the process group led by pid, if it still has
// members.
func killGroup(pid int) {
	if pid > 0 && syscall.Kill(-pid, 0) == nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
