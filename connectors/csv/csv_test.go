package csv

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/connectors"
)

// recorder is an Emitter that keeps everything in memory.
type recorder struct {
	records   []connectors.Record
	rejects   []canonical.Rejection
	completed []canonical.Entity
}

func (r *recorder) Record(_ context.Context, rec connectors.Record) error {
	r.records = append(r.records, rec)
	return nil
}

func (r *recorder) Reject(_ context.Context, rej canonical.Rejection) error {
	r.rejects = append(r.rejects, rej)
	return nil
}

func (r *recorder) Checkpoint(context.Context, string, string) error { return nil }

func (r *recorder) SnapshotComplete(_ context.Context, e canonical.Entity) error {
	r.completed = append(r.completed, e)
	return nil
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	return dir
}

func read(t *testing.T, files map[string]string, s Settings) (*recorder, error) {
	t.Helper()
	dir := writeFiles(t, files)
	s.Path = "."
	rec := &recorder{}
	err := Connector{}.Read(context.Background(), connectors.Config{Source: "csv", Settings: &s, BaseDir: dir}, nil, rec)
	return rec, err
}

func TestCSV_RegisteredAsCSV(t *testing.T) {
	c, ok := connectors.Default.Lookup("csv")
	require.True(t, ok)
	assert.IsType(t, &Settings{}, c.Spec().NewSettings())
}

func TestCSV_ReadsRows(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		settings Settings
		want     []connectors.Record
	}{
		{
			name:  "default column names",
			files: map[string]string{"plans.csv": "external_id,name,interval_unit,interval_count\nbasic,Basic,month,1\n"},
			want: []connectors.Record{{Entity: canonical.Plans, Fields: map[string]string{"external_id": "basic", "name": "Basic", "interval_unit": "month", "interval_count": "1"},
				Raw: "basic,Basic,month,1", Origin: "plans.csv line 2"}},
		},
		{
			name:     "renamed columns and delimiter",
			files:    map[string]string{"customers.csv": "Customer ID;Name\nc1;Acme, Inc.\n"},
			settings: Settings{Files: map[string]FileSettings{"customers": {Delimiter: ";", Columns: map[string]string{"external_id": "Customer ID", "name": "Name"}}}},
			want: []connectors.Record{{Entity: canonical.Customers, Fields: map[string]string{"external_id": "c1", "name": "Acme, Inc."},
				Raw: "c1;Acme, Inc.", Origin: "customers.csv line 2"}},
		},
		{
			name:     "tab delimiter",
			files:    map[string]string{"products.csv": "external_id\tname\np1\tWidget\n"},
			settings: Settings{Files: map[string]FileSettings{"products": {Delimiter: "\t"}}},
			want: []connectors.Record{{Entity: canonical.Products, Fields: map[string]string{"external_id": "p1", "name": "Widget"},
				Raw: "p1\tWidget", Origin: "products.csv line 2"}},
		},
		{
			name:     "attr_ columns and listed attribute columns",
			files:    map[string]string{"customers.csv": "external_id,attr_segment,employees\nc1,smb,12\nc2,,\n"},
			settings: Settings{Files: map[string]FileSettings{"customers": {Attributes: []string{"employees"}}}},
			want: []connectors.Record{
				{Entity: canonical.Customers, Fields: map[string]string{"external_id": "c1"}, Attributes: canonical.Attributes{"segment": "smb", "employees": "12"},
					Raw: "c1,smb,12", Origin: "customers.csv line 2"},
				{Entity: canonical.Customers, Fields: map[string]string{"external_id": "c2"}, Raw: "c2,,", Origin: "customers.csv line 3"},
			},
		},
		{
			name:  "empty cells are absent, BOM and CRLF trimmed, blank lines skipped",
			files: map[string]string{"customers.csv": "\uFEFFexternal_id,name,country\r\nc1,,US\r\n\r\nc2,Bolt,\r\n"},
			want: []connectors.Record{
				{Entity: canonical.Customers, Fields: map[string]string{"external_id": "c1", "country": "US"}, Raw: "c1,,US", Origin: "customers.csv line 2"},
				{Entity: canonical.Customers, Fields: map[string]string{"external_id": "c2", "name": "Bolt"}, Raw: "c2,Bolt,", Origin: "customers.csv line 4"},
			},
		},
		{
			name:  "quoted values with delimiters, quotes and newlines",
			files: map[string]string{"products.csv": "external_id,name\n\"p,1\",\"Say \"\"hi\"\"\"\np2,\"two\nlines\"\np3,x\n"},
			want: []connectors.Record{
				{Entity: canonical.Products, Fields: map[string]string{"external_id": "p,1", "name": `Say "hi"`}, Raw: `"p,1","Say ""hi"""`, Origin: "products.csv line 2"},
				{Entity: canonical.Products, Fields: map[string]string{"external_id": "p2", "name": "two\nlines"}, Raw: "p2,\"two\nlines\"", Origin: "products.csv lines 3-4"},
				{Entity: canonical.Products, Fields: map[string]string{"external_id": "p3", "name": "x"}, Raw: "p3,x", Origin: "products.csv line 5"},
			},
		},
		{
			name:     "a row of empty tab-separated cells is a row",
			files:    map[string]string{"products.csv": "external_id\tname\n\t\n \n"},
			settings: Settings{Files: map[string]FileSettings{"products": {Delimiter: "\t"}}},
			want:     []connectors.Record{{Entity: canonical.Products, Fields: map[string]string{}, Raw: "\t", Origin: "products.csv line 2"}},
		},
		{
			name:  "fx_rates have no external_id",
			files: map[string]string{"fx_rates.csv": "date,currency,rate\n2024-01-01,EUR,1.10\n"},
			want: []connectors.Record{{Entity: canonical.FXRates, Fields: map[string]string{"date": "2024-01-01", "currency": "EUR", "rate": "1.10"},
				Raw: "2024-01-01,EUR,1.10", Origin: "fx_rates.csv line 2"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := read(t, tc.files, tc.settings)
			require.NoError(t, err)
			assert.Empty(t, rec.rejects)
			assert.Equal(t, tc.want, rec.records)
		})
	}
}

func TestCSV_MalformedRowIsRejectedWithLineNumber(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		wantIDs     []string
		wantReasons []string
		wantRaw     []string
	}{
		{
			name:        "wrong column count",
			body:        "external_id,name\np1,A\np2,B,extra\np3\np4,D\n",
			wantIDs:     []string{"p1", "p4"},
			wantReasons: []string{"products.csv line 3: expected 2 columns, found 3", "products.csv line 4: expected 2 columns, found 1"},
			wantRaw:     []string{"p2,B,extra", "p3"},
		},
		{
			name:        "bare quote in an unquoted value",
			body:        "external_id,name\np1,A\"B\np2,C\n",
			wantIDs:     []string{"p2"},
			wantReasons: []string{`products.csv line 2: column 2: a quote (") inside an unquoted value; quote the whole value and double the inner quotes, like "say ""hi"""`},
			wantRaw:     []string{`p1,A"B`},
		},
		{
			name:        "text after closing quote",
			body:        "external_id,name\np1,\"A\"B\np2,C\n",
			wantIDs:     []string{"p2"},
			wantReasons: []string{`products.csv line 2: column 2: unexpected text after the closing quote; double quotes inside a quoted value ("")`},
			wantRaw:     []string{`p1,"A"B`},
		},
		{
			name:        "unclosed quote recovers at the next line",
			body:        "external_id,name\np1,\"A\np2,B\np3,C\n",
			wantIDs:     []string{"p2", "p3"},
			wantReasons: []string{"products.csv line 2: a quoted value opened on this line is never closed"},
			wantRaw:     []string{`p1,"A`},
		},
		{
			name:        "invalid UTF-8",
			body:        "external_id,name\np1,caf\xe9\np2,B\n",
			wantIDs:     []string{"p2"},
			wantReasons: []string{"products.csv line 2: the text is not valid UTF-8 (save the file as UTF-8)"},
			wantRaw:     []string{"p1,caf\uFFFD"},
		},
		{
			name:        "unclosed quote on the last line",
			body:        "external_id,name\np1,A\np2,\"B\n",
			wantIDs:     []string{"p1"},
			wantReasons: []string{"products.csv line 3: a quoted value opened on this line is never closed"},
			wantRaw:     []string{`p2,"B`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := read(t, map[string]string{"products.csv": tc.body}, Settings{})
			require.NoError(t, err)
			var ids []string
			for _, r := range rec.records {
				ids = append(ids, r.Fields["external_id"])
			}
			assert.Equal(t, tc.wantIDs, ids)
			var reasons, raws []string
			for _, r := range rec.rejects {
				reasons = append(reasons, r.Reason)
				raws = append(raws, r.Raw)
				assert.Equal(t, canonical.Products, r.Entity)
				assert.Equal(t, "csv", r.Source)
			}
			assert.Equal(t, tc.wantReasons, reasons)
			assert.Equal(t, tc.wantRaw, raws)
			assert.Equal(t, []canonical.Entity{canonical.Products}, rec.completed)
		})
	}
}

func TestCSV_HeaderProblemsAreConfigErrors(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		settings Settings
		want     string
	}{
		{
			name:  "unknown column",
			files: map[string]string{"invoices.csv": "external_id,customer_external_id,date,currency,totl\n"},
			want:  `csv: invoices.csv: unknown column "totl" (column 5); valid columns: currency, customer_external_id, date, due_date, external_id, status; prefix a header with "attr_" to keep it as an attribute, or list it under files.invoices.attributes or rename with files.invoices.columns`,
		},
		{
			name:     "renamed column no longer valid under its default name",
			files:    map[string]string{"products.csv": "external_id,name\n"},
			settings: Settings{Files: map[string]FileSettings{"products": {Columns: map[string]string{"name": "Product"}}}},
			want:     `csv: products.csv: unknown column "name" (column 2); valid columns: Product, external_id;`,
		},
		{
			name:  "missing required column",
			files: map[string]string{"products.csv": "external_id\n"},
			want:  `csv: products.csv: no column for required field name: add a "name" column, or map an existing header with files.products.columns.name`,
		},
		{
			name:  "duplicate header",
			files: map[string]string{"products.csv": "external_id,name,name\n"},
			want:  `csv: products.csv: columns 2 and 3 are both named "name": each header must be unique`,
		},
		{
			name:  "empty file",
			files: map[string]string{"products.csv": ""},
			want:  "csv: products.csv is empty: it needs a header row naming its columns (external_id, name)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := read(t, tc.files, tc.settings)
			require.Error(t, err)
			assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestCSV_ReadsEntitiesInOrderAndCompletesEachPresentFile(t *testing.T) {
	rec, err := read(t, map[string]string{
		"invoices.csv":  "external_id,customer_external_id,date,currency\ni1,c1,2024-01-01,USD\n",
		"customers.csv": "external_id\nc1\n",
		"notes.csv":     "anything,goes\n",
	}, Settings{})
	require.NoError(t, err)
	assert.Equal(t, []canonical.Entity{canonical.Customers, canonical.Invoices}, rec.completed)
	require.Len(t, rec.records, 2)
	assert.Equal(t, canonical.Customers, rec.records[0].Entity)
	assert.Equal(t, canonical.Invoices, rec.records[1].Entity)
}

func TestCSV_RecordsParseWithCanonical(t *testing.T) {
	rec, err := read(t, map[string]string{
		"invoice_lines.csv": "external_id,invoice_external_id,type,subscription_external_id,plan_external_id,service_period_start,service_period_end,amount,prorated\n" +
			"l1,i1,subscription,s1,basic,2024-01-01,2024-02-01,50.00,yes\n",
	}, Settings{})
	require.NoError(t, err)
	require.Len(t, rec.records, 1)
	r := rec.records[0]
	parsed, err := canonical.Parse(r.Entity, "csv", r.Fields, r.Attributes)
	require.NoError(t, err)
	assert.True(t, parsed.(*canonical.InvoiceLine).Prorated)
}

func TestCSV_CheckAndDiscover(t *testing.T) {
	dir := writeFiles(t, map[string]string{"plans.csv": "external_id,name,interval_unit\n", "customers.csv": "external_id\n"})
	cfg := connectors.Config{Source: "csv", Settings: &Settings{Path: "."}, BaseDir: dir}
	require.NoError(t, Connector{}.Check(context.Background(), cfg))
	streams, err := Connector{}.Discover(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, []connectors.Stream{{Name: "customers", Entity: canonical.Customers}, {Name: "plans", Entity: canonical.Plans}}, streams)

	missing := connectors.Config{Source: "csv", Settings: &Settings{Path: "nope"}, BaseDir: dir}
	err = Connector{}.Check(context.Background(), missing)
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), "does not exist")

	file := connectors.Config{Source: "csv", Settings: &Settings{Path: "plans.csv"}, BaseDir: dir}
	err = Connector{}.Check(context.Background(), file)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a folder")
}

func TestCSV_CheckReportsEveryBadHeader(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"plans.csv":     "external_id,name,interval\n",
		"customers.csv": "external_id,name\nc1,A\n",
		"products.csv":  "id,name\n",
	})
	err := Connector{}.Check(context.Background(), connectors.Config{Source: "csv", Settings: &Settings{Path: "."}, BaseDir: dir})
	require.Error(t, err)
	assert.Equal(t, connectors.KindConfig, connectors.KindOf(err))
	assert.Contains(t, err.Error(), `products.csv: unknown column "id"`)
	assert.Contains(t, err.Error(), `plans.csv: unknown column "interval"`)
	assert.NotContains(t, err.Error(), "customers.csv")
}

func TestSettings_Validate(t *testing.T) {
	tests := []struct {
		name     string
		settings Settings
		wantKeys []string
	}{
		{name: "valid", settings: Settings{Path: "data", Files: map[string]FileSettings{"customers": {Delimiter: ";", Columns: map[string]string{"external_id": "ID"}, Attributes: []string{"tier"}}}}},
		{name: "path required", settings: Settings{}, wantKeys: []string{"path"}},
		{name: "unknown entity", settings: Settings{Path: "d", Files: map[string]FileSettings{"invoice": {}}}, wantKeys: []string{"files.invoice"}},
		{name: "delimiter too long", settings: Settings{Path: "d", Files: map[string]FileSettings{"plans": {Delimiter: ";;"}}}, wantKeys: []string{"files.plans.delimiter"}},
		{name: "quote delimiter", settings: Settings{Path: "d", Files: map[string]FileSettings{"plans": {Delimiter: `"`}}}, wantKeys: []string{"files.plans.delimiter"}},
		{name: "unknown field in columns", settings: Settings{Path: "d", Files: map[string]FileSettings{"plans": {Columns: map[string]string{"interval": "Interval"}}}}, wantKeys: []string{"files.plans.columns.interval"}},
		{name: "two fields on one header", settings: Settings{Path: "d", Files: map[string]FileSettings{"plans": {Columns: map[string]string{"name": "X", "external_id": "X"}}}}, wantKeys: []string{"files.plans.columns.name"}},
		{name: "attribute clashes with a field", settings: Settings{Path: "d", Files: map[string]FileSettings{"plans": {Columns: map[string]string{"name": "X"}, Attributes: []string{"X", ""}}}}, wantKeys: []string{"files.plans.attributes[0]", "files.plans.attributes[1]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for _, p := range tc.settings.Validate() {
				keys = append(keys, p.Key)
				assert.NotEmpty(t, p.Message)
			}
			assert.Equal(t, tc.wantKeys, keys)
		})
	}
}
