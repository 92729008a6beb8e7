// Package conformance finds the conformance cases of SPEC §8 and compares result tables
// with their expected CSV files. Cases are discovered, never listed: the project's copy
// under testdata/conformance and every folder of ../shared/conformance when it exists.
// It is test support: it reads files and compares text, nothing else.
package conformance

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/shopspring/decimal"
	"gopkg.in/yaml.v3"
)

// Case is one conformance folder.
type Case struct {
	// Name is "<root>/<folder>", e.g. "shared/07-mrr-playbook".
	Name string
	Dir  string
	// Metrics is the case.yaml `metrics:` block.
	Metrics Metrics
}

// Metrics mirrors the `metrics:` block of case.yaml.
type Metrics struct {
	ReportingCurrency string   `yaml:"reporting_currency"`
	SubscriptionEnd   string   `yaml:"subscription_end"`
	ExcludeUnpaid     bool     `yaml:"exclude_unpaid"`
	AsOf              string   `yaml:"as_of"`
	Dimensions        []string `yaml:"dimensions"`
}

// Roots returns the folders that hold cases: the repository's testdata/conformance and,
// when it exists, ../shared/conformance beside the repository.
func Roots() ([]string, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	roots := []string{filepath.Join(root, "testdata", "conformance")}
	shared := filepath.Join(root, "..", "shared", "conformance")
	if st, err := os.Stat(shared); err == nil && st.IsDir() {
		roots = append(roots, shared)
	}
	return roots, nil
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("conformance: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Discover lists every case folder (one holding a case.yaml) under Roots.
func Discover() ([]Case, error) {
	roots, err := Roots()
	if err != nil {
		return nil, err
	}
	var cases []Case
	for _, root := range roots {
		entries, err := os.ReadDir(root)
		if err != nil {
			return nil, fmt.Errorf("conformance: %w", err)
		}
		for _, e := range entries {
			dir := filepath.Join(root, e.Name())
			data, err := os.ReadFile(filepath.Join(dir, "case.yaml"))
			if !e.IsDir() || os.IsNotExist(err) {
				continue
			}
			if err != nil {
				return nil, err
			}
			var doc struct {
				Metrics Metrics `yaml:"metrics"`
			}
			if err := yaml.Unmarshal(data, &doc); err != nil {
				return nil, fmt.Errorf("conformance: %s/case.yaml: %w", dir, err)
			}
			cases = append(cases, Case{Name: filepath.Base(filepath.Dir(root)) + "/" + e.Name(), Dir: dir, Metrics: doc.Metrics})
		}
	}
	return cases, nil
}

// ReadCSV reads a whole CSV file, header first.
func ReadCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return csv.NewReader(f).ReadAll()
}

// Tolerance is the largest difference allowed between two numeric cells (SPEC §8: rates
// to 1e-8; money, with at most 4 decimals, must then be equal).
var Tolerance = decimal.New(1, -8)

// Diff compares actual rows with the expected rows (neither with its header) and returns
// one line per difference, empty when they match. Cells that both parse as decimals are
// compared numerically; an empty cell is NULL. With ordered false the rows are compared
// as multisets.
func Diff(expected, actual [][]string, ordered bool) []string {
	if !ordered {
		expected, actual = sortedRows(expected), sortedRows(actual)
	}
	var diffs []string
	for i := 0; i < max(len(expected), len(actual)); i++ {
		switch {
		case i >= len(actual):
			diffs = append(diffs, fmt.Sprintf("row %d missing: %s", i+1, strings.Join(expected[i], ",")))
		case i >= len(expected):
			diffs = append(diffs, fmt.Sprintf("row %d unexpected: %s", i+1, strings.Join(actual[i], ",")))
		case !rowsEqual(expected[i], actual[i]):
			diffs = append(diffs, fmt.Sprintf("row %d: expected %s, got %s", i+1, strings.Join(expected[i], ","), strings.Join(actual[i], ",")))
		}
	}
	return diffs
}

func rowsEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !CellsEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// CellsEqual compares two cells: numerically within Tolerance when both are decimals,
// else as text.
func CellsEqual(a, b string) bool {
	da, errA := decimal.NewFromString(a)
	db, errB := decimal.NewFromString(b)
	if errA == nil && errB == nil {
		return da.Sub(db).Abs().LessThanOrEqual(Tolerance)
	}
	return a == b
}

func sortedRows(rows [][]string) [][]string {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b []string) int { return slices.Compare(normalise(a), normalise(b)) })
	return out
}

// normalise renders numeric cells canonically so that sorting ignores "50" vs "50.00".
func normalise(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		if d, err := decimal.NewFromString(c); err == nil {
			out[i] = d.StringFixed(10)
		} else {
			out[i] = c
		}
	}
	return out
}
