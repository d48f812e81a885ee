package pluginhost

import "syscall"

// sysProcAttr puts the plugin in its own process group and has the kernel
// SIGKILL it when the thread that started it exits (see startLocked).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup sends SIGKILL to the process group led by pid, if it still has
// members.
func killGroup(pid int) {
	if pid > 0 && syscall.Kill(-pid, 0) == nil {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
