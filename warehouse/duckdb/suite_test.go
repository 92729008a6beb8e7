package duckdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/warehouse"
	"github.com/revsync/revsync/warehouse/warehousetest"
)

// TestConformance runs the warehouse conformance suite shared by every dialect.
func TestConformance(t *testing.T) {
	warehousetest.Run(t, func(t *testing.T) warehouse.Warehouse {
		w, err := Open(context.Background(), filepath.Join(t.TempDir(), "revsync.duckdb"))
		require.NoError(t, err)
		return w
	})
}
