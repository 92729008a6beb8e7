package billing_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
	"github.com/revsync/revsync/plugins/example/billing"
	"github.com/revsync/revsync/plugins/sdk/sdktest"
)

func config() connectors.Config {
	return connectors.Config{Source: "billing", Settings: &billing.Settings{Dir: "testdata/export"}}
}

func countByEntity(recs []connectors.Record) map[canonical.Entity]int {
	out := map[canonical.Entity]int{}
	for _, r := range recs {
		out[r.Entity]++
	}
	return out
}

func TestRead_FullReadEmitsEverySnapshotAndCheckpoint(t *testing.T) {
	em := &sdktest.Emitter{}
	require.NoError(t, billing.New().Read(context.Background(), config(), nil, em))

	assert.Equal(t, map[canonical.Entity]int{
		canonical.Customers: 5, canonical.Plans: 4, canonical.Invoices: 8,
		canonical.InvoiceLines: 10, canonical.Transactions: 7,
	}, countByEntity(em.Records))
	assert.Equal(t, []canonical.Entity{canonical.Customers, canonical.Plans, canonical.Invoices,
		canonical.InvoiceLines, canonical.Transactions}, em.Snapshots)
	assert.Equal(t, []sdktest.Checkpoint{
		{Stream: "customers", Cursor: "2024-03-15T12:00:00Z"},
		{Stream: "plans", Cursor: "2024-02-15T00:00:00Z"},
		{Stream: "invoices", Cursor: "2024-03-15T12:00:00Z"},
		{Stream: "transactions", Cursor: "2024-03-15T12:00:00Z"},
	}, em.Checkpoints)
	require.Len(t, em.Rejections, 1)
	assert.Contains(t, em.Rejections[0].Reason, "transactions.jsonl line 8: not a JSON object")
}

func TestRead_RecordsAreValidCanonicalRecords(t *testing.T) {
	em := &sdktest.Emitter{}
	require.NoError(t, billing.New().Read(context.Background(), config(), nil, em))
	for _, r := range em.Records {
		_, err := canonical.Parse(r.Entity, "billing", r.Fields, r.Attributes)
		assert.NoError(t, err, r.Origin)
	}
	first := em.Records[0]
	assert.Equal(t, canonical.Attributes{"tier": "gold", "seats": int64(25), "referred": true}, first.Attributes)
	for _, r := range em.Records {
		if r.Fields["external_id"] == "li_1003_1" {
			assert.Equal(t, "49.00", r.Fields["amount"])
			assert.Equal(t, "7.35", r.Fields["discount_amount"])
		}
	}
}

func TestRead_IncrementalReadStartsAtTheCursor(t *testing.T) {
	em := &sdktest.Emitter{}
	state := connectors.State{"customers": "2024-03-01T00:00:00Z", "plans": "2024-02-15T00:00:00Z",
		"invoices": "2024-03-11T09:00:00Z", "transactions": "2024-03-15T12:00:00Z"}
	require.NoError(t, billing.New().Read(context.Background(), config(), state, em))
	assert.Equal(t, map[canonical.Entity]int{
		canonical.Customers: 2, canonical.Plans: 1, canonical.Invoices: 2,
		canonical.InvoiceLines: 3, canonical.Transactions: 1,
	}, countByEntity(em.Records))
	assert.Empty(t, em.Snapshots, "an incremental read is not a snapshot")
}

func TestSettings_MissingDirIsAConfigError(t *testing.T) {
	cfg := connectors.Config{Source: "billing", Settings: &billing.Settings{}}
	err := billing.New().Check(context.Background(), cfg)
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
}

// The same connector through the real gRPC server and client delivers the same thing.
func TestRead_ThroughTheProtocolEqualsInProcess(t *testing.T) {
	direct, viaRPC := &sdktest.Emitter{}, &sdktest.Emitter{}
	require.NoError(t, billing.New().Read(context.Background(), config(), nil, direct))
	c := sdktest.Connector(t, billing.New())
	require.NoError(t, c.Read(context.Background(), config(), nil, viaRPC))
	assert.Equal(t, direct.Records, viaRPC.Records)
	assert.Equal(t, direct.Rejections, viaRPC.Rejections)
	assert.Equal(t, direct.Checkpoints, viaRPC.Checkpoints)
	assert.Equal(t, direct.Snapshots, viaRPC.Snapshots)
	assert.Equal(t, direct.Events, viaRPC.Events)
}

func TestCheck_ThroughTheProtocolKeepsTheErrorKind(t *testing.T) {
	c := sdktest.Connector(t, billing.New())
	err := c.Check(context.Background(), connectors.Config{Source: "billing", Settings: map[string]any{"dir": "testdata/nope"}})
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "testdata/nope")

	err = c.Check(context.Background(), connectors.Config{Source: "billing", Settings: map[string]any{"dri": "x"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "dri")
}
