// Package host runs connector plugins (SPEC §10): it discovers plugin binaries in
// plugins.dirs and $REVSYNC_PLUGIN_PATH, verifies their SHA-256, launches them with
// hashicorp/go-plugin (gRPC only, automatic mTLS, managed) and adapts them to the Go
// connector contract, so that the runner cannot tell a plugin from a built-in connector.
// It never runs a binary whose checksum is missing or wrong unless allowed, and never
// leaves a plugin process running after the call that started it.
package host

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/internal/wire"
	pb "github.com/revsync/revsync/plugins/proto/connector/v1"
)

// Type is the source `type:` of plugin sources.
const Type = "plugin"

// Options configure the host (the `plugins:` block of the config).
type Options struct {
	// Dirs are searched for plugin binaries, in order, before $REVSYNC_PLUGIN_PATH.
	Dirs []string
	// AllowUnverified runs binaries whose checksum is missing or wrong (with a warning).
	AllowUnverified bool
	// Logger receives the host's and the plugins' logs; nil means slog.Default().
	Logger *slog.Logger
	// BaseDir resolves relative Dirs (the config file's directory); when empty, a
	// source's Config.BaseDir is used, then the working directory.
	BaseDir string
}

// Settings are a plugin source's settings (its YAML block without name and type).
type Settings struct {
	// Plugin names the plugin: `name` (newest version found) or `name_v1.2.3`.
	Plugin string `yaml:"plugin"`
	// Config is handed to the plugin as a JSON object.
	Config map[string]any `yaml:"config"`
	// SHA256 pins the binary's checksum ("sha256:<hex>" or "<hex>"), instead of the
	// sibling .sha256 file.
	SHA256 string `yaml:"sha256"`
}

// Validate checks the settings without starting the plugin.
func (s *Settings) Validate() []connectors.Problem {
	var problems []connectors.Problem
	if strings.TrimSpace(s.Plugin) == "" {
		problems = append(problems, connectors.Problem{Key: "plugin", Message: "is missing: name the plugin, e.g. plugin: example for revsync-connector-example"})
	} else if _, _, ok := ParseFileName(FilePrefix + s.Plugin); !ok {
		problems = append(problems, connectors.Problem{Key: "plugin", Message: fmt.Sprintf("%q is not a plugin name (letters, digits, - and _; optionally _v<version>)", s.Plugin)})
	}
	if s.SHA256 != "" && !validSum(normalizeSum(s.SHA256)) {
		problems = append(problems, connectors.Problem{Key: "sha256", Message: "is not a SHA-256: use sha256:<64 hex digits> as printed by sha256sum"})
	}
	return problems
}

// Connector is the `plugin` source type: each call launches the named plugin, forwards
// the call and the source's config, and stops the process after.
type Connector struct {
	options func() Options
}

var _ connectors.Connector = (*Connector)(nil)

// NewConnector returns the plugin connector for the given options.
func NewConnector(opts Options) *Connector {
	return &Connector{options: func() Options { return opts }}
}

// NewDeferredConnector returns a plugin connector whose options are asked for at each
// call: register it before the config is loaded (the loader needs its Spec to decode
// plugin sources) and have options return the `plugins:` block of the loaded config.
func NewDeferredConnector(options func() Options) *Connector {
	return &Connector{options: options}
}

// opts returns the current options with defaults.
func (c *Connector) opts() Options {
	o := c.options()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Spec describes the plugin source type.
func (c *Connector) Spec() connectors.Spec {
	return connectors.Spec{
		Type:        Type,
		Description: "a connector plugin (revsync-connector-<name>) speaking connector.v1 over go-plugin",
		NewSettings: func() any { return &Settings{} },
	}
}

// Check launches the plugin, has it validate its config and check the source.
func (c *Connector) Check(ctx context.Context, cfg connectors.Config) error {
	return c.with(ctx, cfg, "Check", func(proc *process, s *Settings) error {
		pc, err := wire.ConfigToProto(cfg.Source, cfg.BaseDir, s.Config)
		if err != nil {
			return connectors.ConfigError(err)
		}
		if err := c.validate(ctx, proc, pc, s); err != nil {
			return err
		}
		return proc.rpc.Check(ctx, pc)
	})
}

// Discover launches the plugin and lists its streams.
func (c *Connector) Discover(ctx context.Context, cfg connectors.Config) ([]connectors.Stream, error) {
	var streams []connectors.Stream
	err := c.with(ctx, cfg, "Discover", func(proc *process, s *Settings) error {
		pc, err := wire.ConfigToProto(cfg.Source, cfg.BaseDir, s.Config)
		if err != nil {
			return connectors.ConfigError(err)
		}
		streams, err = proc.rpc.Discover(ctx, pc)
		return err
	})
	return streams, err
}

// Read launches the plugin and hands what its Read streams to emit, in order. A plugin
// that crashes fails the Read with an error saying so; nothing it would have sent after
// the crash (records, checkpoints) is delivered.
func (c *Connector) Read(ctx context.Context, cfg connectors.Config, state connectors.State, emit connectors.Emitter) error {
	return c.with(ctx, cfg, "Read", func(proc *process, s *Settings) error {
		pc, err := wire.ConfigToProto(cfg.Source, cfg.BaseDir, s.Config)
		if err != nil {
			return connectors.ConfigError(err)
		}
		return proc.rpc.Read(ctx, pc, state, emit)
	})
}

// validate asks the plugin to validate its config; problems become a config error.
func (c *Connector) validate(ctx context.Context, proc *process, pc *pb.Config, s *Settings) error {
	problems, err := proc.rpc.Validate(ctx, pc)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		msgs := make([]string, len(problems))
		for i, p := range problems {
			msgs[i] = "config." + p.Key + ": " + p.Message
		}
		return connectors.ConfigError(fmt.Errorf("plugin %q: invalid config: %s", s.Plugin, strings.Join(msgs, "; ")))
	}
	return nil
}

// with finds, verifies and launches the source's plugin, runs fn, and stops the process.
func (c *Connector) with(ctx context.Context, cfg connectors.Config, op string, fn func(*process, *Settings) error) error {
	s, err := settingsOf(cfg.Settings)
	if err != nil {
		return connectors.ConfigError(err)
	}
	if problems := s.Validate(); len(problems) > 0 {
		return connectors.ConfigError(fmt.Errorf("%s %s", problems[0].Key, problems[0].Message))
	}
	opts := c.opts()
	baseDir := opts.BaseDir
	if baseDir == "" {
		baseDir = cfg.BaseDir
	}
	p, err := find(opts, baseDir, s.Plugin)
	if err != nil {
		return connectors.ConfigError(err)
	}
	log := opts.Logger.With("source", cfg.Source)
	proc, err := launch(ctx, p, s.SHA256, opts.AllowUnverified, log)
	if err != nil {
		return err
	}
	defer proc.kill()
	// The runner names the source in its errors; ours name the plugin.
	return proc.wrap(op, fn(proc, s))
}

// settingsOf accepts the typed settings the config loader decodes, or a plain map.
func settingsOf(v any) (*Settings, error) {
	switch s := v.(type) {
	case *Settings:
		return s, nil
	case Settings:
		return &s, nil
	case map[string]any:
		out := &Settings{}
		if err := wire.DecodeSettings(s, out); err != nil {
			return nil, fmt.Errorf("plugin settings: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("plugin settings have unexpected type %T", v)
}
