package host_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/plugins/host"
	"github.com/revsync/revsync/plugins/sdk/sdktest"
)

// childHostEnv, when set to a plugin directory, makes the test binary act as a host that
// starts a hanging plugin and waits forever.
const childHostEnv = "REVSYNC_TEST_CHILD_HOST_DIR"

func runChildHost(dir string) {
	c := host.NewConnector(host.Options{Dirs: []string{dir}})
	cfg := pluginConfig("testplugin", map[string]any{"mode": "hang", "pid_file": os.Getenv("REVSYNC_TEST_PID_FILE")})
	_ = c.Read(context.Background(), cfg, nil, &sdktest.Emitter{})
	os.Exit(3)
}

func TestRead_PluginDiesWithItsHost(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), childHostEnv+"="+binDir, "REVSYNC_TEST_PID_FILE="+pidFile, host.PathEnv+"=")
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _, _ = child.Process.Wait() })

	require.Eventually(t, func() bool { _, err := os.Stat(pidFile); return err == nil }, 20*time.Second, 20*time.Millisecond,
		"the child host starts the plugin")
	time.Sleep(50 * time.Millisecond) // the pid file may be half written
	pluginPID := readPID(t, pidFile)
	assert.False(t, processGone(pluginPID))

	require.NoError(t, child.Process.Signal(syscall.SIGKILL)) // no cleanup runs in the host
	_, _ = child.Process.Wait()
	assert.Eventually(t, func() bool { return processGone(pluginPID) || isZombie(pluginPID) }, 5*time.Second, 20*time.Millisecond,
		"the plugin must not outlive its host")
}

// isZombie reports a process that exited but was not reaped yet (its parent, init in a
// container, reaps it eventually): it no longer runs.
func isZombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	for i := len(b) - 1; i >= 0; i-- { // the state follows the last ')' of "pid (comm) S ..."
		if b[i] == ')' && i+2 < len(b) {
			return b[i+2] == 'Z'
		}
	}
	return false
}
