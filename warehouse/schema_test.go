package warehouse

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/revsync/revsync/canonical"
)

func TestCanonicalTable_FollowsTheCanonicalSchema(t *testing.T) {
	plans := CanonicalTable(canonical.Plans)
	assert.Equal(t, []string{"source", "external_id", "name", "interval_unit", "interval_count", "product_external_id",
		"attributes", "synced_at", "run_id"}, plans.ColumnNames())
	assert.Equal(t, []string{"source", "external_id"}, plans.Key)
	byName := map[string]Column{}
	for _, c := range CanonicalTable(canonical.InvoiceLines).Columns {
		byName[c.Name] = c
	}
	assert.Equal(t, Money, byName["amount"].Type)
	assert.True(t, byName["amount"].NotNull)
	assert.Equal(t, Date, byName["service_period_start"].Type)
	assert.False(t, byName["service_period_start"].NotNull)
	assert.Equal(t, Boolean, byName["prorated"].Type)
	assert.Equal(t, Rate, CanonicalTable(canonical.FXRates).Columns[4].Type)
	assert.Len(t, CanonicalTables(), len(canonical.Entities))
}

func TestMetricsTables_DailyOmitsMonthlyOnlyMetrics(t *testing.T) {
	monthly, daily := MetricsMonthly.ColumnNames(), MetricsDaily.ColumnNames()
	assert.Equal(t, []string{"period", "dimension", "segment", "currency", "is_partial", "mrr", "arr"}, monthly[:7])
	for _, c := range []string{"ltv", "nrr_12m", "grr_12m"} {
		assert.Contains(t, monthly, c)
		assert.NotContains(t, daily, c)
	}
	assert.Len(t, daily, len(monthly)-3)
	assert.Len(t, ResultTables(), 5)
	assert.Len(t, SystemTables(), 4)
}
