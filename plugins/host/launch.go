package host

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/internal/wire"
	pb "github.com/revsync/revsync/plugins/proto/connector/v1"
)

// exitWait bounds how long Kill waits for a plugin process to be gone.
const exitWait = 5 * time.Second

// Cleanup kills every plugin process still running; call it (deferred) at exit of any
// program that launches plugins, including after a signal.
func Cleanup() { plugin.CleanupClients() }

// process is one running plugin.
type process struct {
	plugin Plugin
	client *plugin.Client
	rpc    *wire.Client
	log    *slog.Logger
	info   Info
}

// Info is what a running plugin says about itself.
type Info struct {
	// Type is the plugin's own connector type.
	Type string
	// Description is its one-line description.
	Description string
	// ProtocolVersion is the connector.v1 major version it speaks.
	ProtocolVersion int
	// SDKVersion is the revsync SDK version it was built with.
	SDKVersion string
}

// Probe verifies and launches a discovered plugin, completes the handshake, asks for its
// spec and stops it: what `revsync plugins verify` checks beyond the checksum.
func Probe(ctx context.Context, opts Options, p Plugin) (Info, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	proc, err := launch(ctx, p, "", opts.AllowUnverified, log)
	if err != nil {
		return Info{}, err
	}
	proc.kill()
	return proc.info, nil
}

// launch verifies and starts a plugin: gRPC only, automatic mTLS, managed (so Cleanup
// kills it), its checksum pinned through go-plugin's SecureConfig when verified.
func launch(ctx context.Context, p Plugin, pin string, allowUnverified bool, log *slog.Logger) (*process, error) {
	log = log.With("plugin", p.Name, "plugin_path", p.Path)
	sum := VerifyFile(p.Path, pin)
	var secure *plugin.SecureConfig
	switch {
	case sum.Verified():
		want, _ := hex.DecodeString(sum.Expected)
		secure = &plugin.SecureConfig{Checksum: want, Hash: sha256.New()}
	case allowUnverified && sum.Status != ChecksumError:
		log.Warn("running an unverified plugin (plugins.allow_unverified is true)", "problem", sum.Problem(p.Path))
	default:
		return nil, connectors.ConfigError(fmt.Errorf("plugin %q refused: %s", p.Name, sum.Problem(p.Path)))
	}
	cmd := exec.Command(p.Path)
	bindToParent(cmd)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  wire.Handshake,
		VersionedPlugins: wire.PluginSets(&wire.GRPCPlugin{}),
		Cmd:              cmd,
		SecureConfig:     secure,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Managed:          true,
		Logger:           newHCLog(log),
		GRPCDialOptions:  wire.DialOptions(),
		StartTimeout:     30 * time.Second,
	})
	proc := &process{plugin: p, client: client, log: log}
	if err := proc.connect(ctx); err != nil {
		proc.kill()
		return nil, err
	}
	return proc, nil
}

func (proc *process) connect(ctx context.Context) error {
	p := proc.plugin
	rpcClient, err := proc.client.Client()
	if err != nil {
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return connectors.ConfigError(fmt.Errorf("plugin %q refused: %s changed after verification (checksum mismatch at launch)", p.Name, p.Path))
		}
		return fmt.Errorf("plugin %q (%s) did not start: %w (revsync speaks connector protocol v%d; build the plugin with revsync's plugins/sdk)", p.Name, p.Path, err, wire.ProtocolVersion)
	}
	if v := proc.client.NegotiatedVersion(); v != wire.ProtocolVersion {
		return connectors.ConfigError(fmt.Errorf("plugin %q speaks connector protocol v%d; revsync speaks v%d", p.Name, v, wire.ProtocolVersion))
	}
	raw, err := rpcClient.Dispense(wire.PluginName)
	if err != nil {
		return fmt.Errorf("plugin %q: %w", p.Name, err)
	}
	rpc, ok := raw.(pb.ConnectorClient)
	if !ok {
		return fmt.Errorf("plugin %q: dispensed %T, not a connector client", p.Name, raw)
	}
	proc.rpc = &wire.Client{RPC: rpc, Log: proc.log}
	spec, err := proc.rpc.Spec(ctx)
	if err != nil {
		return proc.wrap("GetSpec", err)
	}
	if spec.GetProtocolVersion() != wire.ProtocolVersion {
		return connectors.ConfigError(fmt.Errorf("plugin %q reports connector protocol v%d; revsync speaks v%d", p.Name, spec.GetProtocolVersion(), wire.ProtocolVersion))
	}
	proc.info = Info{Type: spec.GetType(), Description: spec.GetDescription(),
		ProtocolVersion: int(spec.GetProtocolVersion()), SDKVersion: spec.GetSdkVersion()}
	proc.log.Debug("plugin started", "plugin_type", spec.GetType(), "sdk_version", spec.GetSdkVersion(), "capabilities", fmt.Sprint(spec.GetCapabilities()))
	return nil
}

// wrap turns a transport failure into an error that says the plugin crashed when its
// process is gone.
func (proc *process) wrap(op string, err error) error {
	if err == nil || !errors.Is(err, wire.ErrTransport) {
		return err
	}
	// The stream usually breaks a moment before go-plugin notices the exit.
	deadline := time.Now().Add(time.Second)
	for !proc.client.Exited() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if proc.client.Exited() {
		return fmt.Errorf("plugin %q (%s) crashed during %s: the process exited; its stderr is in the log: %w", proc.plugin.Name, proc.plugin.Path, op, err)
	}
	return fmt.Errorf("plugin %q (%s) failed during %s: %w", proc.plugin.Name, proc.plugin.Path, op, err)
}

// kill ends the process (gracefully, then by force) and waits until it is gone.
func (proc *process) kill() {
	proc.client.Kill()
	deadline := time.Now().Add(exitWait)
	for !proc.client.Exited() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
}
