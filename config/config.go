// Package config loads revsync.yaml (SPEC §7): strict YAML decoding where an unknown key
// is an error naming the file, line, key and the valid keys; ${ENV_VAR} interpolation
// (a missing variable is an error); defaults; and validation that reports every problem
// at once. Secrets are typed so that they never print. It performs no network I/O.
package config

import (
	"time"

	"github.com/revsync/revsync/canonical"
)

// Config is a loaded, validated revsync.yaml.
type Config struct {
	// File is the path the config was read from; Dir its directory, against which
	// relative paths in it resolve.
	File string `yaml:"-"`
	Dir  string `yaml:"-"`

	Warehouse Warehouse    `yaml:"warehouse"`
	Metrics   Metrics      `yaml:"metrics"`
	Sources   []Source     `yaml:"sources"`
	Enrich    []EnrichRule `yaml:"enrich"`
	Plugins   Plugins      `yaml:"plugins"`
	Server    *Server      `yaml:"server"`
	Jobs      []Job        `yaml:"jobs"`
}

// Warehouse selects and configures the warehouse.
type Warehouse struct {
	Type      string     `yaml:"type"`   // duckdb (default) | postgres | snowflake
	Path      string     `yaml:"path"`   // duckdb file, default revsync.duckdb
	DSN       Secret     `yaml:"dsn"`    // postgres
	Schema    string     `yaml:"schema"` // postgres, snowflake; default revsync
	Snowflake *Snowflake `yaml:"snowflake"`
}

// Snowflake holds the Snowflake connection settings.
type Snowflake struct {
	Account        string `yaml:"account"`
	User           string `yaml:"user"`
	Role           string `yaml:"role"`
	Warehouse      string `yaml:"warehouse"`
	Database       string `yaml:"database"`
	Schema         string `yaml:"schema"`
	PrivateKeyFile string `yaml:"private_key_file"`
	Password       Secret `yaml:"password"`
	TokenFile      string `yaml:"token_file"`
}

// Metrics are the metrics engine settings (SPEC §3).
type Metrics struct {
	ReportingCurrency string   `yaml:"reporting_currency"` // default USD
	SubscriptionEnd   string   `yaml:"subscription_end"`   // service_period (default) | cancellation
	ExcludeUnpaid     bool     `yaml:"exclude_unpaid"`
	AsOf              string   `yaml:"as_of"` // YYYY-MM-DD; empty: today (UTC)
	Dimensions        []string `yaml:"dimensions"`
}

// AsOfDate returns as_of, or today's UTC date when it is not set.
func (m Metrics) AsOfDate(now time.Time) canonical.Date {
	if d, err := canonical.ParseDate(m.AsOf); err == nil && m.AsOf != "" {
		return d
	}
	return canonical.DateOf(now)
}

// Source is one configured source. Settings holds the connector's typed settings
// (connectors.Spec.NewSettings), decoded strictly from the rest of the block.
type Source struct {
	Name     string `yaml:"name"`
	Type     string `yaml:"type"`
	Settings any    `yaml:"-"`
	Line     int    `yaml:"-"`
}

// EnrichRule is one attribute enrichment rule (SPEC §11).
type EnrichRule struct {
	Entity   string            `yaml:"entity"`
	When     string            `yaml:"when"`
	Set      map[string]string `yaml:"set"`
	Override bool              `yaml:"override"`
	Line     int               `yaml:"-"`
}

// Plugins configures connector plugin discovery (SPEC §10).
type Plugins struct {
	Dirs            []string `yaml:"dirs"`
	AllowUnverified bool     `yaml:"allow_unverified"`
}

// Server configures the HTTP server of `revsync daemon` (SPEC §9).
type Server struct {
	Listen    string     `yaml:"listen"`
	APIKeys   []APIKey   `yaml:"api_keys"`
	RateLimit *RateLimit `yaml:"rate_limit"`
}

// APIKey is a named API key stored as the hex SHA-256 of the key.
type APIKey struct {
	Name   string   `yaml:"name"`
	SHA256 string   `yaml:"sha256"`
	Scopes []string `yaml:"scopes"`
}

// RateLimit allows Requests per Per for each API key.
type RateLimit struct {
	Requests int    `yaml:"requests"`
	Per      string `yaml:"per"`
}

// Job is a scheduled sync run by `revsync daemon`.
type Job struct {
	Name     string   `yaml:"name"`
	Schedule string   `yaml:"schedule"`
	Sources  []string `yaml:"sources"`
	Full     bool     `yaml:"full"`
	Overlap  string   `yaml:"overlap"` // skip (default) | queue
	Timeout  string   `yaml:"timeout"`
	Retries  int      `yaml:"retries"`
}
