package generate

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestWrite_MatchesGoldenFiles pins a small data set, so that any change to the generated
// data shows up as a reviewable diff (go test ./generate -run Golden -update).
func TestWrite_MatchesGoldenFiles(t *testing.T) {
	dir := t.TempDir()
	_, err := Write(context.Background(), dir, Options{Customers: 12, Months: 6, Seed: 2024, End: canonical.NewDate(2025, 6, 30)})
	require.NoError(t, err)
	golden := filepath.Join("testdata", "golden")
	for _, e := range canonical.Entities {
		name := string(e) + ".csv"
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		if *update {
			require.NoError(t, os.MkdirAll(golden, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(golden, name), got, 0o644))
			continue
		}
		want, err := os.ReadFile(filepath.Join(golden, name))
		require.NoError(t, err, "run go test ./generate -run Golden -update")
		assert.Equal(t, string(want), string(got), name)
	}
}
