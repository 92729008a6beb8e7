package warehouse

import (
	"slices"

	"github.com/revsync/revsync/canonical"
)

// SchemaVersion is the version of the table layout below. Dialects record applied
// versions in schema_migrations and upgrade older warehouses step by step.
const SchemaVersion = 1

// Type is a dialect-neutral column type.
type Type int

// The column types. Dialects map them: Money is DECIMAL(18,4) (exact; every ISO 4217
// currency has at most 4 minor digits), Rate is DECIMAL(18,10) (SPEC §5: at least 8
// decimal places), JSON is JSON (DuckDB, Snowflake VARIANT) or JSONB (PostgreSQL).
const (
	Text Type = iota
	Date
	Timestamp
	Money
	Rate
	Integer
	Boolean
	JSON
)

// Column is one column of a table.
type Column struct {
	Name    string
	Type    Type
	NotNull bool
}

// Table is one table of the revsync schema.
type Table struct {
	Name    string
	Columns []Column
	// Key lists the primary-key columns; empty for tables without one.
	Key []string
}

// ColumnNames lists the table's column names in order.
func (t Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// IsKey reports whether the named column is part of the table's primary key.
func (t Table) IsKey(name string) bool { return slices.Contains(t.Key, name) }

// CanonicalTable returns the table of a canonical entity: source, external_id, the
// entity's fields in canonical.Schema order, attributes (JSON), synced_at, and run_id
// (the run that last wrote the row, used by Tx.Prune).
func CanonicalTable(e canonical.Entity) Table {
	t := Table{Name: string(e), Key: []string{"source", "external_id"}}
	t.Columns = append(t.Columns, Column{"source", Text, true}, Column{"external_id", Text, true})
	for _, f := range canonical.SchemaOf(e).Fields {
		t.Columns = append(t.Columns, Column{Name: f.Name, Type: fieldType(f), NotNull: f.Required || f.Default != ""})
	}
	t.Columns = append(t.Columns, Column{"attributes", JSON, false}, Column{"synced_at", Timestamp, true}, Column{"run_id", Text, true})
	return t
}

func fieldType(f canonical.Field) Type {
	switch f.Kind {
	case canonical.KindDate:
		return Date
	case canonical.KindTimestamp:
		return Timestamp
	case canonical.KindMoney:
		return Money
	case canonical.KindRate:
		return Rate
	case canonical.KindInteger:
		return Integer
	case canonical.KindBoolean:
		return Boolean
	}
	return Text
}

// CanonicalTables returns the tables of every canonical entity.
func CanonicalTables() []Table {
	tables := make([]Table, len(canonical.Entities))
	for i, e := range canonical.Entities {
		tables[i] = CanonicalTable(e)
	}
	return tables
}

// The system tables.
var (
	SyncRuns = Table{Name: "sync_runs", Key: []string{"run_id"}, Columns: []Column{
		{"run_id", Text, true}, {"job", Text, false}, {"source", Text, false}, {"trigger", Text, false},
		{"started_at", Timestamp, true}, {"finished_at", Timestamp, false}, {"status", Text, true},
		{"records_read", Integer, true}, {"records_written", Integer, true}, {"records_rejected", Integer, true},
		{"error", Text, false},
	}}
	SyncState = Table{Name: "sync_state", Key: []string{"source", "stream"}, Columns: []Column{
		{"source", Text, true}, {"stream", Text, true}, {"cursor", Text, true}, {"updated_at", Timestamp, true},
	}}
	RejectedRecords = Table{Name: "rejected_records", Columns: []Column{
		{"run_id", Text, true}, {"source", Text, true}, {"entity", Text, true}, {"external_id", Text, false},
		{"reason", Text, true}, {"raw", Text, false}, {"rejected_at", Timestamp, true},
	}}
	SchemaMigrations = Table{Name: "schema_migrations", Key: []string{"version"}, Columns: []Column{
		{"version", Integer, true}, {"applied_at", Timestamp, true},
	}}
)

// SystemTables lists the run-history, state, rejection and migration tables.
func SystemTables() []Table { return []Table{SchemaMigrations, SyncRuns, SyncState, RejectedRecords} }

// metricColumns are the metric columns of SPEC §5 in order; daily rows omit ltv, nrr_12m
// and grr_12m.
var metricColumns = []Column{
	{"mrr", Money, false}, {"arr", Money, false}, {"customers", Integer, false},
	{"new_business_mrr", Money, false}, {"expansion_mrr", Money, false}, {"contraction_mrr", Money, false},
	{"churn_mrr", Money, false}, {"reactivation_mrr", Money, false}, {"fx_adjustment_mrr", Money, false},
	{"net_new_mrr", Money, false},
	{"new_customers", Integer, false}, {"churned_customers", Integer, false}, {"reactivated_customers", Integer, false},
	{"arpa", Money, false}, {"asp", Money, false},
	{"customer_churn_rate", Rate, false}, {"gross_mrr_churn_rate", Rate, false}, {"net_mrr_churn_rate", Rate, false},
	{"nrr", Rate, false}, {"grr", Rate, false}, {"nrr_12m", Rate, false}, {"grr_12m", Rate, false},
	{"quick_ratio", Rate, false}, {"ltv", Money, false},
	{"trialing_customers", Integer, false},
	{"invoiced_revenue", Money, false}, {"payments", Money, false}, {"refunds", Money, false},
	{"costs", Money, false}, {"net_cash_flow", Money, false},
}

func metricsTable(name string, monthly bool) Table {
	t := Table{Name: name, Key: []string{"period", "dimension", "segment", "currency"}, Columns: []Column{
		{"period", Date, true}, {"dimension", Text, true}, {"segment", Text, true}, {"currency", Text, true},
		{"is_partial", Boolean, true},
	}}
	for _, c := range metricColumns {
		if !monthly && (c.Name == "ltv" || c.Name == "nrr_12m" || c.Name == "grr_12m") {
			continue
		}
		t.Columns = append(t.Columns, c)
	}
	return t
}

// The result tables of SPEC §6, published together by Warehouse.Publish.
var (
	MRRMovements = Table{Name: "mrr_movements", Columns: []Column{
		{"date", Date, true}, {"source", Text, true}, {"customer_external_id", Text, true}, {"type", Text, true},
		{"mrr_before", Money, true}, {"mrr_after", Money, true}, {"amount", Money, true}, {"currency", Text, true},
	}}
	CustomerMRR = Table{Name: "customer_mrr", Columns: []Column{
		{"source", Text, true}, {"customer_external_id", Text, true}, {"valid_from", Date, true},
		{"valid_to", Date, false}, {"mrr", Money, true}, {"currency", Text, true},
	}}
	MetricsDaily   = metricsTable("metrics_daily", false)
	MetricsMonthly = metricsTable("metrics_monthly", true)
	Cohorts        = Table{Name: "cohorts", Key: []string{"cohort_month", "month_offset"}, Columns: []Column{
		{"cohort_month", Date, true}, {"month_offset", Integer, true}, {"cohort_customers", Integer, true},
		{"active_customers", Integer, true}, {"starting_mrr", Money, true}, {"mrr", Money, true},
		{"customer_retention", Rate, false}, {"mrr_retention", Rate, false}, {"currency", Text, true},
	}}
)

// ResultTables lists the result tables in publication order.
func ResultTables() []Table {
	return []Table{MRRMovements, CustomerMRR, MetricsDaily, MetricsMonthly, Cohorts}
}
