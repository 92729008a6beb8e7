package host_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/plugins/host"
)

func TestParseFileName(t *testing.T) {
	tests := []struct {
		file, name, version string
		ok                  bool
	}{
		{file: "revsync-connector-paddle", name: "paddle", ok: true},
		{file: "revsync-connector-paddle_v1.2.3", name: "paddle", version: "1.2.3", ok: true},
		{file: "revsync-connector-paddle_v2", name: "paddle", version: "2", ok: true},
		{file: "revsync-connector-in-house_biller_v0.10.0-rc.1", name: "in-house_biller", version: "0.10.0-rc.1", ok: true},
		{file: "revsync-connector-my_vault", name: "my_vault", ok: true},
		{file: "revsync-connector-paddle_vnext", name: "paddle_vnext", ok: true},
		{file: "revsync-connector-paddle.sha256", ok: false},
		{file: "revsync-connector-", ok: false},
		{file: "revsync-connector-_v1", ok: false},
		{file: "revsync-connector-pad dle", ok: false},
		{file: "paddle", ok: false},
		{file: "revsync", ok: false},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			name, version, ok := host.ParseFileName(tc.file)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.name, name)
			assert.Equal(t, tc.version, version)
		})
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.2.3", "1.2.3", 0},
		{"1.10.0", "1.9.0", 1},
		{"1.2", "1.2.0", 0},
		{"2", "1.99.99", 1},
		{"1.0.0-rc.1", "1.0.0", -1},
		{"1.0.0-beta", "1.0.0-alpha", 1},
		{"", "0.0.1", -1},
		{"", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.a+"_vs_"+tc.b, func(t *testing.T) {
			assert.Equal(t, tc.want, host.CompareVersions(tc.a, tc.b))
			assert.Equal(t, -tc.want, host.CompareVersions(tc.b, tc.a))
		})
	}
}

func touch(t *testing.T, dir, file string, mode os.FileMode, content string) string {
	t.Helper()
	p := filepath.Join(dir, file)
	require.NoError(t, os.WriteFile(p, []byte(content), mode))
	return p
}

func TestDiscover_ListsPluginsWithChecksumStatus(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	ok := touch(t, first, "revsync-connector-alpha_v1.2.0", 0o755, "alpha 1.2")
	sum, err := host.FileSHA256(ok)
	require.NoError(t, err)
	touch(t, first, "revsync-connector-alpha_v1.2.0.sha256", 0o644, sum+"  revsync-connector-alpha_v1.2.0\n")
	touch(t, first, "revsync-connector-alpha_v1.10.0", 0o755, "alpha 1.10")
	touch(t, first, "revsync-connector-alpha_v1.10.0.sha256", 0o644, "sha256:"+sum)
	touch(t, first, "revsync-connector-beta", 0o644, "not executable")
	touch(t, first, "README.md", 0o644, "")
	require.NoError(t, os.Mkdir(filepath.Join(first, "revsync-connector-dir"), 0o755))
	touch(t, second, "revsync-connector-gamma", 0o755, "gamma")
	t.Setenv(host.PathEnv, second+string(os.PathListSeparator)+filepath.Join(second, "missing"))

	plugins, err := host.Discover(host.Options{Dirs: []string{first}})
	require.NoError(t, err)
	type row struct {
		name, version string
		status        host.ChecksumStatus
	}
	var got []row
	for _, p := range plugins {
		got = append(got, row{p.Name, p.Version, p.Checksum.Status})
		assert.True(t, filepath.IsAbs(p.Path))
	}
	assert.Equal(t, []row{
		{"alpha", "1.10.0", host.ChecksumMismatch},
		{"alpha", "1.2.0", host.ChecksumOK},
		{"gamma", "", host.ChecksumMissing},
	}, got)
	assert.Contains(t, plugins[0].Checksum.Problem(plugins[0].Path), "expected sha256 "+sum)
}

func TestDiscover_RelativeDirsResolveAgainstBaseDir(t *testing.T) {
	base := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(base, "bin"), 0o755))
	touch(t, filepath.Join(base, "bin"), "revsync-connector-x", 0o755, "x")
	t.Setenv(host.PathEnv, "")
	plugins, err := host.Discover(host.Options{Dirs: []string{"bin"}, BaseDir: base})
	require.NoError(t, err)
	require.Len(t, plugins, 1)
	assert.Equal(t, filepath.Join(base, "bin", "revsync-connector-x"), plugins[0].Path)
}

func TestSettings_Validate(t *testing.T) {
	tests := []struct {
		name     string
		settings host.Settings
		keys     []string
	}{
		{"valid", host.Settings{Plugin: "paddle", SHA256: "sha256:" + sixtyFourHex}, nil},
		{"versioned", host.Settings{Plugin: "paddle_v1.2.0"}, nil},
		{"missing plugin", host.Settings{}, []string{"plugin"}},
		{"bad name", host.Settings{Plugin: "../evil"}, []string{"plugin"}},
		{"bad pin", host.Settings{Plugin: "paddle", SHA256: "sha256:abc"}, []string{"sha256"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for _, p := range tc.settings.Validate() {
				keys = append(keys, p.Key)
			}
			assert.Equal(t, tc.keys, keys)
		})
	}
}

const sixtyFourHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
