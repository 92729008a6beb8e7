package host_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/host"
	"github.com/revsync/revsync/plugins/sdk/sdktest"
)

// The shipped example config loads with the plugin connector registered, and its source
// reads through the plugin (from the test's build of it, not plugins/bin).
func TestExampleConfig_LoadsAndReadsThroughThePlugin(t *testing.T) {
	t.Setenv(host.PathEnv, "")
	var loaded *config.Config
	reg := connectors.NewRegistry()
	reg.Register(host.NewDeferredConnector(func() host.Options {
		return host.Options{Dirs: []string{binDir}, AllowUnverified: loaded.Plugins.AllowUnverified, BaseDir: loaded.Dir}
	}))
	cfg, err := config.Load("../../examples/plugin/revsync.yaml", reg)
	require.NoError(t, err)
	loaded = cfg
	require.Len(t, cfg.Sources, 1)
	src := cfg.Sources[0]
	assert.Equal(t, &host.Settings{Plugin: "example", Config: map[string]any{"dir": "../../plugins/example/billing/testdata/export"}}, src.Settings)
	assert.Equal(t, []string{"../../plugins/bin"}, cfg.Plugins.Dirs)

	c, ok := reg.Lookup(src.Type)
	require.True(t, ok)
	em := &sdktest.Emitter{}
	require.NoError(t, c.Read(context.Background(), connectors.Config{Source: src.Name, Settings: src.Settings, BaseDir: cfg.Dir}, nil, em))
	assert.Len(t, em.Records, 34)
	assert.Contains(t, em.Snapshots, canonical.InvoiceLines)
}

func TestConfig_PluginSourceProblemsNameTheKey(t *testing.T) {
	reg := connectors.NewRegistry()
	reg.Register(host.NewConnector(host.Options{}))
	_, err := config.Parse("revsync.yaml", []byte("sources:\n  - name: b\n    type: plugin\n    plugin: ''\n    sha256: nope\n"), reg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "plugin")
	assert.Contains(t, err.Error(), "sha256")
}
