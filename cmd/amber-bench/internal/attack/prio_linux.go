package attack

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// lowerSelf puts every thread of this process at the lowest CPU priority
// Linux offers an unprivileged process: nice 19 and the SCHED_IDLE
// policy. The attack child calls it first, so that the attacker's own CPU
// (it sends tens of MB/s) does not compete with amberd and the polite
// clients for the shared cores: on a real network the attacker's CPU is
// on its own machine, and the bench should measure what amberd does with
// the attack, not what the attacking process takes.
//
// Both are per thread on Linux and inherited by a thread from the one
// that creates it, so once every existing thread is lowered, every later
// one is too; the walk repeats until it finds no thread it has not seen.
// It reports what was applied.
func lowerSelf() string {
	done := map[int]bool{}
	var firstErr error
	for {
		ents, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return fmt.Sprintf("not lowered (%v)", err)
		}
		fresh := false
		for _, e := range ents {
			tid, err := strconv.Atoi(e.Name())
			if err != nil || done[tid] {
				continue
			}
			done[tid], fresh = true, true
			if err := unix.Setpriority(unix.PRIO_PROCESS, tid, 19); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("nice: %w", err)
			}
			attr := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}
			if err := unix.SchedSetAttr(tid, attr, 0); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("SCHED_IDLE: %w", err)
			}
		}
		if !fresh {
			break
		}
	}
	if firstErr != nil {
		return fmt.Sprintf("partly lowered (%v)", firstErr)
	}
	return "nice 19, SCHED_IDLE"
}

// priority describes the scheduling of thread (or process) id: its nice
// value and whether it runs SCHED_IDLE.
func priority(id int) string {
	n, err := unix.Getpriority(unix.PRIO_PROCESS, id)
	if err != nil {
		return "unknown"
	}
	nice := 20 - n // the raw getpriority syscall returns 20 - nice
	attr, err := unix.SchedGetAttr(id, 0)
	if err != nil {
		return fmt.Sprintf("nice %d", nice)
	}
	pol := "normal"
	if attr.Policy == unix.SCHED_IDLE {
		pol = "SCHED_IDLE"
	}
	return fmt.Sprintf("nice %d, %s", nice, pol)
}

// threadPriorities returns the scheduling of every thread of process pid.
func threadPriorities(pid int) []string {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, priority(tid))
		}
	}
	return out
}
