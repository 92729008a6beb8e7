package host_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/example/billing"
	"github.com/revsync/revsync/plugins/host"
	"github.com/revsync/revsync/plugins/sdk/sdktest"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newSyncBuffer() *syncBuffer { return &syncBuffer{mu: make(chan struct{}, 1)} }

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func newHost(t *testing.T, dirs ...string) (*host.Connector, *syncBuffer) {
	t.Helper()
	t.Setenv(host.PathEnv, "")
	logs := newSyncBuffer()
	if len(dirs) == 0 {
		dirs = []string{binDir}
	}
	return host.NewConnector(host.Options{Dirs: dirs, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}), logs
}

func pluginConfig(plugin string, config map[string]any) connectors.Config {
	return connectors.Config{Source: "src", Settings: &host.Settings{Plugin: plugin, Config: config}}
}

func exampleDir(t *testing.T) string {
	dir, err := filepath.Abs("../example/billing/testdata/export")
	require.NoError(t, err)
	return dir
}

func TestRead_ExamplePluginThroughTheHandshakeEqualsInProcess(t *testing.T) {
	c, _ := newHost(t)
	viaPlugin := &sdktest.Emitter{}
	require.NoError(t, c.Read(context.Background(), pluginConfig("example", map[string]any{"dir": exampleDir(t)}), nil, viaPlugin))

	inProcess := &sdktest.Emitter{}
	cfg := connectors.Config{Source: "src", Settings: &billing.Settings{Dir: exampleDir(t)}}
	require.NoError(t, billing.New().Read(context.Background(), cfg, nil, inProcess))

	require.NotEmpty(t, inProcess.Records)
	assert.Equal(t, inProcess.Records, viaPlugin.Records)
	assert.Equal(t, inProcess.Rejections, viaPlugin.Rejections)
	assert.Equal(t, inProcess.Checkpoints, viaPlugin.Checkpoints)
	assert.Equal(t, inProcess.Snapshots, viaPlugin.Snapshots)
	assert.Equal(t, inProcess.Events, viaPlugin.Events)
}

func TestCheckAndDiscover_ThroughThePlugin(t *testing.T) {
	c, _ := newHost(t)
	assert.Equal(t, "plugin", c.Spec().Type)
	require.NoError(t, c.Check(context.Background(), pluginConfig("example", map[string]any{"dir": exampleDir(t)})))

	err := c.Check(context.Background(), pluginConfig("example", map[string]any{"dir": "/no/such/export"}))
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "/no/such/export")

	err = c.Check(context.Background(), pluginConfig("example", map[string]any{"folder": "x"}))
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "folder")

	streams, err := c.Discover(context.Background(), pluginConfig("example", map[string]any{"dir": exampleDir(t)}))
	require.NoError(t, err)
	assert.Contains(t, streams, connectors.Stream{Name: "invoices", Entity: canonical.InvoiceLines, Incremental: true})
}

func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func readPID(t *testing.T, path string) int {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	pid, err := strconv.Atoi(string(b))
	require.NoError(t, err)
	return pid
}

func TestRead_CrashMidStreamFailsClearlyWithoutOrphanOrLaterCheckpoint(t *testing.T) {
	c, logs := newHost(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	em := &sdktest.Emitter{}
	err := c.Read(context.Background(), pluginConfig("testplugin", map[string]any{
		"mode": "crash", "crash_after": 25, "checkpoint_every": 10, "pid_file": pidFile,
	}), nil, em)

	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin "testplugin"`)
	assert.Contains(t, err.Error(), "crashed during Read")
	assert.Equal(t, connectors.KindSystem, connectors.KindOf(err))
	assert.Equal(t, []sdktest.Checkpoint{{Stream: "customers", Cursor: "10"}, {Stream: "customers", Cursor: "20"}}, em.Checkpoints)
	assert.Empty(t, em.Snapshots)
	assert.LessOrEqual(t, len(em.Records), 25)
	assert.True(t, processGone(readPID(t, pidFile)), "the crashed plugin's process must be gone")
	assert.Contains(t, logs.String(), "crashing on purpose", "the panic on the plugin's stderr reaches the log")

	// The host is not poisoned: the next source still syncs.
	em2 := &sdktest.Emitter{}
	require.NoError(t, c.Read(context.Background(), pluginConfig("example", map[string]any{"dir": exampleDir(t)}), nil, em2))
	assert.NotEmpty(t, em2.Records)
}

func TestRead_ProcessIsGoneAfterSuccessAndConnectorErrorsKeepTheirKind(t *testing.T) {
	c, _ := newHost(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	em := &sdktest.Emitter{}
	require.NoError(t, c.Read(context.Background(), pluginConfig("testplugin", map[string]any{"mode": "emit", "count": 1500, "pid_file": pidFile}), nil, em))
	assert.Len(t, em.Records, 1500)
	assert.Equal(t, []canonical.Entity{canonical.Customers}, em.Snapshots)
	assert.Equal(t, canonical.Attributes{"n": int64(1500), "tier": "gold"}, em.Records[1499].Attributes)
	assert.True(t, processGone(readPID(t, pidFile)))

	err := c.Read(context.Background(), pluginConfig("testplugin", map[string]any{"mode": "fail"}), nil, &sdktest.Emitter{})
	require.Error(t, err)
	assert.Equal(t, connectors.KindTransient, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "the test source is down")
}

func TestRead_CancellationStopsThePlugin(t *testing.T) {
	c, _ := newHost(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			if _, err := os.Stat(pidFile); err == nil {
				time.Sleep(100 * time.Millisecond)
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	start := time.Now()
	err := c.Read(ctx, pluginConfig("testplugin", map[string]any{"mode": "hang", "pid_file": pidFile}), nil, &sdktest.Emitter{})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.True(t, processGone(readPID(t, pidFile)))
}

func TestRead_PluginLogsReachTheHostLog(t *testing.T) {
	c, logs := newHost(t)
	require.NoError(t, c.Read(context.Background(), pluginConfig("testplugin", map[string]any{"mode": "emit", "count": 1}), nil, &sdktest.Emitter{}))
	out := logs.String()
	assert.Contains(t, out, `"msg":"testplugin reading"`, "stderr slog lines are parsed into records")
	assert.Contains(t, out, `"mode":"emit"`)
	assert.Contains(t, out, `"msg":"stream log line"`, "sdk.Logger lines travel in the Read stream")
	assert.Contains(t, out, `"source":"src"`)
}

// copyPlugin copies the example plugin into a fresh directory, with its .sha256.
func copyPlugin(t *testing.T, name string) (dir, path string) {
	dir = t.TempDir()
	path = filepath.Join(dir, "revsync-connector-"+name)
	b, err := os.ReadFile(filepath.Join(binDir, "revsync-connector-"+name))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o755))
	sum, err := os.ReadFile(filepath.Join(binDir, "revsync-connector-"+name+".sha256"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path+".sha256", sum, 0o644))
	return dir, path
}

func TestRead_TamperedBinaryIsRefusedNamingTheChecksum(t *testing.T) {
	dir, path := copyPlugin(t, "example")
	expected, err := host.FileSHA256(path)
	require.NoError(t, err)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("tampered")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	actual, err := host.FileSHA256(path)
	require.NoError(t, err)

	c, _ := newHost(t, dir)
	em := &sdktest.Emitter{}
	err = c.Read(context.Background(), pluginConfig("example", map[string]any{"dir": exampleDir(t)}), nil, em)
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "expected sha256 "+expected)
	assert.Contains(t, err.Error(), "got sha256 "+actual)
	assert.Empty(t, em.Records)
}

func TestRead_ChecksumPolicy(t *testing.T) {
	dir, path := copyPlugin(t, "example")
	good, err := host.FileSHA256(path)
	require.NoError(t, err)
	cfg := func(pin string) connectors.Config {
		return connectors.Config{Source: "src", Settings: &host.Settings{Plugin: "example", SHA256: pin, Config: map[string]any{"dir": exampleDir(t)}}}
	}
	c, _ := newHost(t, dir)

	require.NoError(t, c.Check(context.Background(), cfg("sha256:"+good)), "a correct pin runs")
	err = c.Check(context.Background(), cfg("sha256:"+strings.Repeat("0", 64)))
	require.Error(t, err, "a wrong pin is refused even with a good .sha256 file")
	assert.Contains(t, err.Error(), "expected sha256 "+strings.Repeat("0", 64))
	assert.Contains(t, err.Error(), "source config")

	require.NoError(t, os.Remove(path+".sha256"))
	err = c.Check(context.Background(), cfg(""))
	require.Error(t, err, "a missing checksum is refused")
	assert.Contains(t, err.Error(), "has no checksum (sha256 "+good)

	t.Setenv(host.PathEnv, "")
	lax := host.NewConnector(host.Options{Dirs: []string{dir}, AllowUnverified: true})
	require.NoError(t, lax.Check(context.Background(), cfg("")), "allow_unverified runs it")
}

func TestRead_UnknownPluginNamesTheSearchedDirectories(t *testing.T) {
	c, _ := newHost(t)
	err := c.Read(context.Background(), pluginConfig("paddle", nil), nil, &sdktest.Emitter{})
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), `plugin "paddle" not found`)
	assert.Contains(t, err.Error(), binDir)
}

func TestRead_PluginOfAnotherProtocolVersionIsRefused(t *testing.T) {
	c, _ := newHost(t)
	err := c.Read(context.Background(), pluginConfig("v2plugin", nil), nil, &sdktest.Emitter{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin "v2plugin"`)
	assert.Contains(t, err.Error(), "Plugin version: 2")
	assert.Contains(t, err.Error(), "revsync speaks connector protocol v1")
}
