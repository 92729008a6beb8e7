package sqlstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuildRows_LargeBatchesKeepOrderAndTheFirstError(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	recs := make([]canonical.Record, parallelRows+10)
	for i := range recs {
		recs[i] = &canonical.Product{Meta: canonical.Meta{Source: "csv", ExternalID: fmt.Sprintf("p%05d", i)}, Name: "P"}
	}
	rows, err := buildRows(recs, "run1", now)
	require.NoError(t, err)
	require.Len(t, rows, len(recs))
	for i, row := range rows {
		assert.Equal(t, []any{"csv", fmt.Sprintf("p%05d", i), "P", nil, now, "run1"}, row)
	}

	line := &canonical.InvoiceLine{Meta: canonical.Meta{Source: "csv", ExternalID: "l"}, InvoiceExternalID: "i", Type: "one_time",
		Amount: decimal.RequireFromString("1.50"), Quantity: 1}
	row, err := newRowBuilder("run1", now).row(line)
	require.NoError(t, err)
	assert.Equal(t, []any{"csv", "l", "i", "one_time", nil, nil, nil, nil, decimal.RequireFromString("1.50"),
		decimal.Decimal{}, decimal.Decimal{}, int64(1), false, nil, nil, now, "run1"}, row)

	bad := func(id string) canonical.Record {
		return &canonical.Product{Meta: canonical.Meta{Source: "csv", ExternalID: id, Attributes: canonical.Attributes{"f": func() {}}}, Name: "P"}
	}
	recs[len(recs)-1] = bad("late")
	recs[3] = bad("early")
	_, err = buildRows(recs, "run1", now)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "products 'early': attributes")
}
