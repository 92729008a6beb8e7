package warehousetable

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/config"
	"github.com/revsync/revsync/connectors"
)

// TestConfig_DocumentedExampleLoads parses the example of docs/connectors/warehouse.md
// through the config loader (strict YAML into Settings, then Validate), and a broken
// one whose problems name their keys.
func TestConfig_DocumentedExampleLoads(t *testing.T) {
	reg := connectors.NewRegistry()
	reg.Register(Connector{})
	t.Setenv("BILLING_DB_DSN", "postgres://reader:secret@db:5432/billing")
	good := `
sources:
  - name: billing_db
    type: warehouse
    dialect: postgres
    dsn: ${BILLING_DB_DSN}
    batch_size: 5000
    entities:
      customers:
        table: billing.accounts
        columns:
          external_id: account_id
          name: account_name
          created_at: signup_time
        attributes: [tier, seats]
        cursor: updated_at
      invoices:
        query: >
          SELECT b.id AS external_id, b.account_id AS customer_external_id,
                 b.issued_on AS date, b.currency, b.updated_at
          FROM billing.bills b WHERE NOT b.test_mode
        cursor: updated_at
      plans:
        table: billing.plans
`
	cfg, err := config.Parse("revsync.yaml", []byte(good), reg)
	require.NoError(t, err)
	require.Len(t, cfg.Sources, 1)
	s, ok := cfg.Sources[0].Settings.(*Settings)
	require.True(t, ok)
	assert.Equal(t, "postgres", s.Dialect)
	assert.Equal(t, "account_name", s.Entities["customers"].Columns["name"])
	assert.Equal(t, []string{"tier", "seats"}, s.Entities["customers"].Attributes)
	assert.NotContains(t, s.DSN.String(), "secret", "the DSN never prints")

	bad := `
sources:
  - name: billing_db
    type: warehouse
    dialect: duckdb
    entities:
      clients: {table: accounts}
      invoices: {table: bills, columns: {nmae: x}}
`
	_, err = config.Parse("revsync.yaml", []byte(bad), reg)
	require.Error(t, err)
	for _, key := range []string{"path", "entities.clients", "entities.invoices.columns.nmae"} {
		assert.Contains(t, err.Error(), key)
	}
}
