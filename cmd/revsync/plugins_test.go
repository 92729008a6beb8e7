package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCLI_PluginsListVerifyAndSync builds the example connector plugin, lists and
// verifies it, syncs through it, and checks that a tampered binary fails verification.
func TestCLI_PluginsListVerifyAndSync(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin", "revsync-connector-example")
	build := exec.Command("go", "build", "-o", bin, "github.com/revsync/revsync/plugins/example")
	out, err := build.CombinedOutput()
	require.NoError(t, err, string(out))
	data, err := os.ReadFile(bin)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	require.NoError(t, os.WriteFile(bin+".sha256", []byte(hex.EncodeToString(sum[:])+"\n"), 0o644))
	export, err := filepath.Abs("../../plugins/example/billing/testdata/export")
	require.NoError(t, err)
	cfg := filepath.Join(dir, "revsync.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`warehouse: {type: duckdb, path: revsync.duckdb}
metrics: {reporting_currency: USD, as_of: 2024-03-31}
sources:
  - name: billing
    type: plugin
    plugin: example
    config: {dir: `+export+`}
plugins:
  dirs: [./bin]
`), 0o644))

	r := cli(t, "--config", cfg, "plugins", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `(?m)^example\s+\S+\s+ok\s+`+regexp.QuoteMeta(bin)+`$`, r.stdout)
	r = cli(t, "--config", cfg, "plugins", "verify")
	require.Equal(t, 0, r.code, r.stderr)

	r = cli(t, "--config", cfg, "sync")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "succeeded")
	assert.Contains(t, r.stdout, "MRR at 2024-03-31")

	require.NoError(t, os.WriteFile(bin, append(data, 0), 0o755))
	r = cli(t, "--config", cfg, "plugins", "verify")
	assert.Equal(t, 1, r.code)
	r = cli(t, "--config", cfg, "sync")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr+r.stdout, hex.EncodeToString(sum[:]), "the refusal names the expected checksum")
}
