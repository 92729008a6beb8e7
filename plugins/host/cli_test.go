package host_test

// The `revsync plugins` command lives in plugins/cli; it is tested here, where the
// plugin binaries are built once for the package.

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/plugins/cli"
	"github.com/revsync/revsync/plugins/host"
)

func runPlugins(t *testing.T, opts host.Options, args ...string) (string, error) {
	t.Helper()
	cmd := cli.NewPluginsCommand(func() (host.Options, error) { return opts, nil })
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	err := cmd.Execute()
	return out.String(), err
}

func TestPluginsCommand_ListAndVerify(t *testing.T) {
	t.Setenv(host.PathEnv, "")
	dir, path := copyPlugin(t, "example")
	out, err := runPlugins(t, host.Options{Dirs: []string{dir}}, "list")
	require.NoError(t, err)
	assert.Contains(t, out, "NAME")
	assert.Regexp(t, `example\s+-\s+ok\s+`+regexp.QuoteMeta(path), out)

	out, err = runPlugins(t, host.Options{Dirs: []string{dir}}, "verify")
	require.NoError(t, err, out)
	assert.Contains(t, out, `ok    example: sha256 `)
	assert.Contains(t, out, `connector "ledgerly", protocol v1`)

	// A second, tampered copy under a versioned name fails verify.
	bad := filepath.Join(dir, "revsync-connector-example_v2.0.0")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad, append(b, 'x'), 0o755))
	sum, err := os.ReadFile(path + ".sha256")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(bad+".sha256", sum, 0o644))

	out, err = runPlugins(t, host.Options{Dirs: []string{dir}, AllowUnverified: true}, "verify")
	require.ErrorIs(t, err, cli.ErrVerifyFailed)
	assert.Contains(t, out, "FAIL  example 2.0.0: ")
	assert.Contains(t, out, "expected sha256 ")
	assert.Contains(t, out, "ok    example: ")

	out, err = runPlugins(t, host.Options{Dirs: []string{dir}}, "list")
	require.NoError(t, err)
	assert.Regexp(t, `example\s+2\.0\.0\s+mismatch`, out)
}
