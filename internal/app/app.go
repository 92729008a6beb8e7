// Package app wires revsync's parts together for the commands: it builds the connector
// registry (built-ins plus the plugin host), loads the config, opens the configured
// warehouse and sets up logging. It holds no business logic.
package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/connectors"
	// Built-in connectors register themselves into connectors.Default.
	_ "github.com/revsync/revsync/connectors/csv"
	_ "github.com/revsync/revsync/connectors/warehousetable"
	"github.com/revsync/revsync/plugins/host"
	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/duckdb"
	"github.com/revsync/revsync/warehouse/postgres"
	"github.com/revsync/revsync/warehouse/snowflake"
)

// Env is a loaded config with the registry its sources were decoded against.
type Env struct {
	Config   *config.Config
	Registry *connectors.Registry
	Logger   *slog.Logger
}

// Registry returns a fresh registry holding every built-in connector.
func Registry() *connectors.Registry {
	reg := connectors.NewRegistry()
	for _, t := range connectors.Default.Types() {
		c, _ := connectors.Default.Lookup(t)
		reg.Register(c)
	}
	return reg
}

// Load reads and validates the config file at path. The registry it decodes sources
// against holds the built-ins and the plugin connector, whose options come from the
// loaded config's plugins: section.
func Load(path string, logger *slog.Logger) (*Env, error) {
	env := &Env{Registry: Registry(), Logger: logger}
	env.Registry.Register(host.NewDeferredConnector(env.PluginOptions))
	cfg, err := config.Load(path, env.Registry)
	if err != nil {
		return nil, err
	}
	env.Config = cfg
	return env, nil
}

// PluginOptions returns the plugin host options of the loaded config.
func (e *Env) PluginOptions() host.Options {
	return host.Options{Dirs: e.Config.Plugins.Dirs, AllowUnverified: e.Config.Plugins.AllowUnverified, Logger: e.Logger, BaseDir: e.Config.Dir}
}

// OpenWarehouse opens (and migrates) the configured warehouse. A DuckDB path is relative
// to the config file's folder.
func (e *Env) OpenWarehouse(ctx context.Context) (warehouse.Warehouse, error) {
	w := e.Config.Warehouse
	var (
		wh  warehouse.Warehouse
		err error
	)
	switch w.Type {
	case "duckdb":
		path := w.Path
		if !filepath.IsAbs(path) {
			path = filepath.Join(e.Config.Dir, path)
		}
		wh, err = duckdb.Open(ctx, path)
	case "postgres":
		wh, err = postgres.Open(ctx, w.DSN.Reveal(), w.Schema)
	case "snowflake":
		if w.Snowflake == nil {
			return nil, fmt.Errorf("warehouse type snowflake needs a warehouse.snowflake block (account, user, warehouse, database, and private_key_file, password or token_file)")
		}
		sc := w.Snowflake
		keyFile, tokenFile := sc.PrivateKeyFile, sc.TokenFile
		if keyFile != "" && !filepath.IsAbs(keyFile) {
			keyFile = filepath.Join(e.Config.Dir, keyFile)
		}
		if tokenFile != "" && !filepath.IsAbs(tokenFile) {
			tokenFile = filepath.Join(e.Config.Dir, tokenFile)
		}
		wh, err = snowflake.Open(ctx, snowflake.Settings{Account: sc.Account, User: sc.User, Role: sc.Role,
			Warehouse: sc.Warehouse, Database: sc.Database, Schema: sc.Schema, PrivateKeyFile: keyFile,
			Password: sc.Password.Reveal(), TokenFile: tokenFile})
	default:
		return nil, fmt.Errorf("warehouse type %q is not available in this build", w.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the %s warehouse: %w", w.Type, err)
	}
	if err := wh.Migrate(ctx); err != nil {
		_ = wh.Close()
		return nil, fmt.Errorf("preparing the %s warehouse schema: %w", w.Type, err)
	}
	return wh, nil
}

// Logger returns a slog logger writing to w: JSON when w is not a terminal, text when it
// is, at the given level.
func Logger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
