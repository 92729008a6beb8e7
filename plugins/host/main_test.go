package host_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/revsync/revsync/plugins/internal/plugintest"
)

// binDir holds the plugin binaries TestMain builds: the example plugin and the test
// plugin, each with its .sha256.
var binDir string

func TestMain(m *testing.M) {
	if dir := os.Getenv(childHostEnv); dir != "" {
		runChildHost(dir) // this process is the host that TestRead_PluginDiesWithItsHost kills
		return
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "revsync-plugins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	for name, pkg := range map[string]string{"example": plugintest.Example, "testplugin": plugintest.TestPlugin,
		"v2plugin": "./testdata/v2plugin"} {
		if _, err := plugintest.Build(dir, name, pkg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}
