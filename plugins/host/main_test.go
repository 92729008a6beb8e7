package host_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// binDir holds the plugin binaries TestMain builds: the example plugin and the test
// plugin, each with its .sha256.
var binDir string

func TestMain(m *testing.M) {
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
	for name, pkg := range map[string]string{
		"example":    "../example",
		"testplugin": "./testdata/testplugin",
	} {
		if err := buildPlugin(dir, name, pkg); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// buildPlugin builds pkg into dir/revsync-connector-<name> and writes its .sha256.
func buildPlugin(dir, name, pkg string) error {
	out := filepath.Join(dir, "revsync-connector-"+name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building plugin %s from %s: %v\n%s", name, pkg, err, stderr.String())
	}
	return writeSum(out)
}

func writeSum(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	return os.WriteFile(path+".sha256", []byte(hex.EncodeToString(sum[:])+"  "+filepath.Base(path)+"\n"), 0o644)
}
