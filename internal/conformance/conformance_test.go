package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiscover_FindsTheProjectCopy(t *testing.T) {
	cases, err := Discover()
	require.NoError(t, err)
	var names []string
	for _, c := range cases {
		names = append(names, c.Name)
	}
	assert.Contains(t, names, "testdata/01-basic-monthly")
	for _, c := range cases {
		assert.NotEmpty(t, c.Metrics.AsOf, c.Name)
	}
}

func TestDiff(t *testing.T) {
	exp := [][]string{{"2024-01-01", "A", "50.00"}, {"2024-01-02", "B", "0.33333333"}}
	assert.Empty(t, Diff(exp, [][]string{{"2024-01-01", "A", "50"}, {"2024-01-02", "B", "0.3333333333"}}, true))
	assert.Empty(t, Diff(exp, [][]string{{"2024-01-02", "B", "0.33333333"}, {"2024-01-01", "A", "50.0000"}}, false))
	assert.Equal(t, []string{"row 1: expected 2024-01-01,A,50.00, got 2024-01-01,A,50.01"},
		Diff(exp[:1], [][]string{{"2024-01-01", "A", "50.01"}}, true))
	assert.Equal(t, []string{"row 2 missing: 2024-01-02,B,0.33333333"}, Diff(exp, exp[:1], true))
	assert.False(t, CellsEqual("", "0"), "NULL is not zero")
}
