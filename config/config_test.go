package config

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/connectors"
)

// fakeSettings stands in for a connector's typed settings.
type fakeSettings struct {
	Path   string `yaml:"path"`
	APIKey Secret `yaml:"api_key"`
}

func (s *fakeSettings) Validate() []connectors.Problem {
	if s.Path == "" {
		return []connectors.Problem{{Key: "path", Message: "is required"}}
	}
	return nil
}

type fakeConnector struct{ connectors.Connector }

func (fakeConnector) Spec() connectors.Spec {
	return connectors.Spec{Type: "fake", NewSettings: func() any { return &fakeSettings{} }}
}

type freeConnector struct{ connectors.Connector }

func (freeConnector) Spec() connectors.Spec { return connectors.Spec{Type: "free"} }

func testRegistry() *connectors.Registry {
	r := connectors.NewRegistry()
	r.Register(fakeConnector{})
	r.Register(freeConnector{})
	return r
}

func parse(t *testing.T, text string) (*Config, error) {
	t.Helper()
	return Parse("revsync.yaml", []byte(strings.TrimLeft(text, "\n")), testRegistry())
}

func TestParse_ValidConfigGetsDefaultsAndTypedSettings(t *testing.T) {
	t.Setenv("TEST_KEY", "sk_test_123")
	cfg, err := parse(t, `
sources:
  - name: a
    type: fake
    path: ./data
    api_key: ${TEST_KEY}
  - name: b
    type: free
    anything: {x: 1}
`)
	require.NoError(t, err)
	assert.Equal(t, "duckdb", cfg.Warehouse.Type)
	assert.Equal(t, "revsync.duckdb", cfg.Warehouse.Path)
	assert.Equal(t, "USD", cfg.Metrics.ReportingCurrency)
	assert.Equal(t, "service_period", cfg.Metrics.SubscriptionEnd)
	require.Len(t, cfg.Sources, 2)
	s := cfg.Sources[0].Settings.(*fakeSettings)
	assert.Equal(t, "./data", s.Path)
	assert.Equal(t, "sk_test_123", s.APIKey.Reveal())
	assert.Equal(t, map[string]any{"anything": map[string]any{"x": 1}}, cfg.Sources[1].Settings)
}

func TestParse_ProblemsNameFileLineKeyAndFix(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // substrings, one per expected problem, in order
	}{
		{"misspelt top-level key", `
warehous:
  type: duckdb
sources: [{name: a, type: fake, path: x}]
`, []string{`revsync.yaml:1: warehous: unknown key "warehous" (valid: warehouse, metrics, sources, enrich, plugins, server, jobs); did you mean "warehouse"?`}},
		{"misspelt nested key", `
metrics:
  reporting_curency: EUR
sources: [{name: a, type: fake, path: x}]
`, []string{`revsync.yaml:2: metrics.reporting_curency: unknown key "reporting_curency" (valid: reporting_currency, subscription_end, exclude_unpaid, as_of, dimensions); did you mean "reporting_currency"?`}},
		{"misspelt source setting", `
sources:
  - name: a
    type: fake
    pathh: ./data
`, []string{`revsync.yaml:4: sources[0].pathh: unknown key "pathh" (valid: name, type, path, api_key); did you mean "path"?`, `revsync.yaml:2: sources[0].path: is required`}},
		{"missing env var", `
warehouse:
  type: postgres
  dsn: ${REVSYNC_TEST_UNSET_VAR}
sources: [{name: a, type: fake, path: x}]
`, []string{`revsync.yaml:3: environment variable REVSYNC_TEST_UNSET_VAR is not set`, `warehouse.dsn: is required`}},
		{"unknown source type and duplicate name", `
sources:
  - {name: a, type: fake, path: x}
  - {name: a, type: stripey}
`, []string{`sources[1].type: source type "stripey" is not available in this build (available: fake, free)`, `sources[1].name: "a" is used by another source`}},
		{"bad values", `
metrics:
  reporting_currency: XXX
  subscription_end: forever
  as_of: 2024-13-01
sources: [{name: a, type: fake, path: x}]
jobs:
  - name: nightly
    schedule: "not a cron"
    retries: lots
`, []string{"revsync.yaml:9: cannot unmarshal !!str `lots` into int (check the value's type)", `metrics.reporting_currency: "XXX" is not an ISO 4217 currency code`, `metrics.subscription_end: "forever" is not valid (use one of: service_period, cancellation)`, `metrics.as_of: "2024-13-01" is not a date`, `revsync.yaml:8: jobs[0].schedule: "not a cron" is not a schedule`}},
		{"no sources", `
warehouse: {type: duckdb}
`, []string{`sources: is missing`}},
		{"broken yaml", "sources:\n  - name: a\n   type: x\n", []string{`(check indentation and quoting)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.text)
			require.Error(t, err)
			problems, ok := err.(Problems)
			require.True(t, ok, "error is %T", err)
			require.Len(t, problems, len(tc.want), "problems: %v", err)
			for i, want := range tc.want {
				assert.Contains(t, problems[i].String(), want)
			}
		})
	}
}

func TestLoad_MissingFileSaysHowToFix(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), testRegistry())
	require.ErrorContains(t, err, "cannot read the config file")
	require.ErrorContains(t, err, "--config FILE")
}

func TestLoad_DirIsTheFilesFolder(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "revsync.yaml")
	require.NoError(t, os.WriteFile(path, []byte("sources: [{name: a, type: fake, path: x}]\n"), 0o600))
	cfg, err := Load(path, testRegistry())
	require.NoError(t, err)
	assert.Equal(t, dir, cfg.Dir)
}

func TestSecret_NeverPrinted(t *testing.T) {
	t.Setenv("TEST_DSN", "postgres://u:hunter2@db/x")
	cfg, err := parse(t, `
warehouse: {type: postgres, dsn: "${TEST_DSN}"}
sources: [{name: a, type: fake, path: x, api_key: sk_live_hunter2}]
`)
	require.NoError(t, err)
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("cfg", "dsn", cfg.Warehouse.DSN, "source", cfg.Sources[0].Settings)
	printed := fmt.Sprintf("%v %+v %s", cfg, cfg.Sources[0].Settings, logs.String())
	assert.NotContains(t, printed, "hunter2")
	assert.Contains(t, printed, "[redacted]")
	assert.Equal(t, "postgres://u:hunter2@db/x", cfg.Warehouse.DSN.Reveal())
	_ = context.Background()
}
