package postgres_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/revsync/revsync/internal/pgtest"
)

// cpuTime returns the CPU time used so far by this process and by the throwaway
// PostgreSQL server (postmaster, its exited children, and its live backends), so that
// benchmarks can report rows per CPU-second, steadier than wall time on a shared machine.
// The server part is 0 when the server was not started here.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	total := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	pid := pgtest.ServerPID()
	if pid == 0 {
		return total
	}
	const tick = 10 * time.Millisecond // USER_HZ = 100 on Linux
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, path := range stats {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// fields after the parenthesised command: state ppid ... utime(14) stime(15) cutime(16) cstime(17)
		i := strings.LastIndexByte(string(raw), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(raw[i+1:]))
		if len(f) < 15 {
			continue
		}
		self, _ := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		ppid, _ := strconv.Atoi(f[1])
		n := func(k int) time.Duration { v, _ := strconv.ParseInt(f[k-3], 10, 64); return time.Duration(v) * tick }
		switch {
		case self == pid:
			total += n(14) + n(15) + n(16) + n(17)
		case ppid == pid:
			total += n(14) + n(15)
		}
	}
	return total
}
