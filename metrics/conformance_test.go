package metrics

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/connectors/csv"
	"github.com/revsync/revsync/internal/conformance"
	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// collectEmitter parses what a connector emits into a Dataset.
type collectEmitter struct {
	source   string
	ds       *Dataset
	problems []string
}

func (c *collectEmitter) Record(_ context.Context, r connectors.Record) error {
	rec, err := canonical.Parse(r.Entity, c.source, r.Fields, r.Attributes)
	if err != nil {
		c.problems = append(c.problems, err.Error())
		return nil
	}
	c.ds.Add(rec)
	return nil
}

func (c *collectEmitter) Reject(_ context.Context, r canonical.Rejection) error {
	c.problems = append(c.problems, fmt.Sprint(r))
	return nil
}

func (*collectEmitter) Checkpoint(context.Context, string, string) error         { return nil }
func (*collectEmitter) SnapshotComplete(context.Context, canonical.Entity) error { return nil }

// collectSink keeps every result row.
type collectSink struct {
	movements []Movement
	mrr       []CustomerMRR
	metrics   []MetricRow
	cohorts   []CohortRow
}

func (s *collectSink) Movement(m Movement) error       { s.movements = append(s.movements, m); return nil }
func (s *collectSink) CustomerMRR(c CustomerMRR) error { s.mrr = append(s.mrr, c); return nil }
func (s *collectSink) Metric(r MetricRow) error        { s.metrics = append(s.metrics, r); return nil }
func (s *collectSink) Cohort(r CohortRow) error        { s.cohorts = append(s.cohorts, r); return nil }

// loadCase reads a conformance folder through the CSV connector.
func loadCase(t testing.TB, dir string) *Dataset {
	t.Helper()
	em := &collectEmitter{source: "csv", ds: NewDataset()}
	err := csv.Connector{}.Read(context.Background(),
		connectors.Config{Source: "csv", Settings: &csv.Settings{Path: dir}}, nil, em)
	require.NoError(t, err)
	require.Empty(t, em.problems, "case input must load without rejections")
	return em.ds
}

func caseSettings(t testing.TB, m conformance.Metrics) Settings {
	t.Helper()
	asOf, err := canonical.ParseDate(m.AsOf)
	require.NoError(t, err)
	return Settings{ReportingCurrency: m.ReportingCurrency, SubscriptionEnd: m.SubscriptionEnd,
		ExcludeUnpaid: m.ExcludeUnpaid, AsOf: asOf, Dimensions: m.Dimensions}
}

// cell renders one Values() entry as the expected files write it.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case decimal.Decimal:
		return x.String()
	case canonical.Date:
		return x.String()
	default:
		return fmt.Sprint(x)
	}
}

// project renders rows (name → value) onto the columns of an expected file's header.
func project(t testing.TB, header []string, rows []map[string]any) [][]string {
	t.Helper()
	out := make([][]string, 0, len(rows))
	for _, r := range rows {
		line := make([]string, len(header))
		for i, h := range header {
			v, ok := r[h]
			require.True(t, ok, "column %q is not produced", h)
			line[i] = cell(v)
		}
		out = append(out, line)
	}
	return out
}

func named(cols []string, vals []any) map[string]any {
	m := make(map[string]any, len(cols))
	for i, c := range cols {
		m[c] = vals[i]
	}
	return m
}

func TestConformance(t *testing.T) {
	cases, err := conformance.Discover()
	require.NoError(t, err)
	require.NotEmpty(t, cases)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			ds := loadCase(t, c.Dir)
			sink := &collectSink{}
			_, err := Compute(context.Background(), caseSettings(t, c.Metrics), ds, sink)
			require.NoError(t, err)
			produced := map[string][]map[string]any{}
			for _, m := range sink.movements {
				produced["expected_movements.csv"] = append(produced["expected_movements.csv"],
					named(warehouse.MRRMovements.ColumnNames(), m.Values()))
			}
			for _, r := range sink.metrics {
				if !r.Monthly {
					continue
				}
				row := named(warehouse.MetricsMonthly.ColumnNames(), r.Values(true))
				switch r.Dimension {
				case All:
					produced["expected_monthly.csv"] = append(produced["expected_monthly.csv"], row)
				case CostCategory:
				default:
					produced["expected_dimensions.csv"] = append(produced["expected_dimensions.csv"], row)
				}
			}
			for _, r := range sink.cohorts {
				produced["expected_cohorts.csv"] = append(produced["expected_cohorts.csv"],
					named(warehouse.Cohorts.ColumnNames(), r.Values()))
			}
			files, err := filepath.Glob(filepath.Join(c.Dir, "expected_*.csv"))
			require.NoError(t, err)
			require.NotEmpty(t, files)
			for _, f := range files {
				name := filepath.Base(f)
				expected, err := conformance.ReadCSV(f)
				require.NoError(t, err)
				require.NotEmpty(t, expected, name)
				header := expected[0]
				rows := produced[name]
				if name == "expected_dimensions.csv" {
					rows = onlyDimensions(expected[1:], rows)
				}
				actual := project(t, header, rows)
				diffs := conformance.Diff(expected[1:], actual, name != "expected_movements.csv")
				assert.Empty(t, diffs, "%s:\n%s", name, strings.Join(diffs, "\n"))
			}
		})
	}
}

// onlyDimensions keeps the produced rows of the dimensions the expected file covers.
func onlyDimensions(expected [][]string, rows []map[string]any) []map[string]any {
	var dims []string
	for _, e := range expected {
		if !slices.Contains(dims, e[0]) {
			dims = append(dims, e[0])
		}
	}
	var out []map[string]any
	for _, r := range rows {
		if slices.Contains(dims, r["dimension"].(string)) {
			out = append(out, r)
		}
	}
	return out
}

func TestConformance_SharedCasesAreFound(t *testing.T) {
	if _, err := os.Stat("../../shared/conformance"); err != nil {
		t.Skip("no ../shared/conformance beside the repository")
	}
	cases, err := conformance.Discover()
	require.NoError(t, err)
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	assert.Contains(t, names, "shared/07-mrr-playbook")
}
