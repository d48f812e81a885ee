//go:build !linux

package attack

// lowerSelf is implemented on Linux only.
func lowerSelf() string { return "normal priority (not Linux)" }

func priority(id int) string { return "unknown" }

func threadPriorities(pid int) []string { return nil }
