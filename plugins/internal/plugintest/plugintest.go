// Package plugintest builds plugin binaries for tests (with their .sha256), so that
// tests run the real go-plugin handshake with `go test` alone. It is for tests only.
package plugintest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Example is the import path of the example plugin; TestPlugin that of the host's test
// plugin (emit, crash, hang, fail modes).
const (
	Example    = "github.com/revsync/revsync/plugins/example"
	TestPlugin = "./testdata/testplugin"
)

// Build builds pkg (an import path, or a path relative to the test's directory) into
// dir/revsync-connector-<name> and writes its .sha256; it returns the binary's path.
func Build(dir, name, pkg string) (string, error) {
	out := filepath.Join(dir, "revsync-connector-"+name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("building plugin %s from %s: %v\n%s", name, pkg, err, stderr.String())
	}
	return out, WriteChecksum(out)
}

// WriteChecksum writes path's SHA-256 to path.sha256 in sha256sum's format.
func WriteChecksum(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(b)
	return os.WriteFile(path+".sha256", []byte(hex.EncodeToString(sum[:])+"  "+filepath.Base(path)+"\n"), 0o644)
}
