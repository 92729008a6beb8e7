package warehousetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/revsync/revsync/canonical"
)

// Source is the source name the suite's records use.
const Source = "csv"

// Parse builds a record from text fields through canonical.Parse and fails the test when
// they are not valid.
func Parse(t testing.TB, e canonical.Entity, source string, fields map[string]string, attrs canonical.Attributes) canonical.Record {
	t.Helper()
	r, err := canonical.Parse(e, source, fields, attrs)
	require.NoError(t, err)
	return r
}

// FullRecords returns one record of every entity with every field set, and one with only
// the required fields, so that a round trip exercises every field kind and NULLs.
func FullRecords(t testing.TB) []canonical.Record {
	t.Helper()
	attrs := canonical.Attributes{"tier": "gold", "seats": json.Number("12"), "vip": true, "note": "ünïcode, 'quotes' \"and\" \\ backslash"}
	full := map[canonical.Entity]map[string]string{
		canonical.Customers: {"external_id": "cus_1", "name": "Ada Lovelace", "email": "ada@example.com", "company": "Analytical Engines",
			"country": "GB", "state": "LDN", "city": "London", "created_at": "2024-01-15T10:30:00.123456Z",
			"lead_created_at": "2023-12-01T00:00:00Z", "free_trial_started_at": "2024-01-01T08:00:00Z"},
		canonical.Products:      {"external_id": "prod_1", "name": "Pro"},
		canonical.Plans:         {"external_id": "pro-annual", "name": "Pro annual", "interval_unit": "year", "interval_count": "2", "product_external_id": "prod_1"},
		canonical.Subscriptions: {"external_id": "sub_1", "customer_external_id": "cus_1", "plan_external_id": "pro-annual", "status": "active", "started_at": "2024-01-15T10:30:00Z", "trial_ends_at": "2024-01-29T10:30:00Z", "cancelled_at": "2025-01-15T00:00:00Z", "amount": "1234.56", "currency": "usd", "quantity": "3"},
		canonical.Invoices:      {"external_id": "inv_1", "customer_external_id": "cus_1", "date": "2024-01-15", "currency": "EUR", "due_date": "2024-02-14", "status": "open"},
		canonical.InvoiceLines: {"external_id": "li_1", "invoice_external_id": "inv_1", "type": "subscription", "subscription_external_id": "sub_1", "plan_external_id": "pro-annual",
			"service_period_start": "2024-01-15", "service_period_end": "2025-01-15", "amount": "99999999999999.9999", "tax_amount": "19.0001", "discount_amount": "0.5", "quantity": "7", "prorated": "true", "description": "Pro, annual"},
		canonical.Transactions:   {"external_id": "tx_1", "invoice_external_id": "inv_1", "type": "refund", "result": "failed", "date": "2024-01-16", "amount": "12.34"},
		canonical.CreditNotes:    {"external_id": "cn_1", "invoice_external_id": "inv_1", "customer_external_id": "cus_1", "date": "2024-01-17", "amount": "5.00", "currency": "JPY", "reason": "goodwill"},
		canonical.RevenueEntries: {"external_id": "rev_1", "date": "2024-01-18", "amount": "42.42", "currency": "USD", "type": "advertising", "customer_external_id": "cus_1", "source_label": "ads", "note": "Q1"},
		canonical.Costs:          {"external_id": "cost_1", "name": "AWS", "amount": "1000.25", "currency": "USD", "category": "INFRASTRUCTURE", "recurring": "yes", "date": "2024-01-31", "note": "eu-west-1"},
		canonical.FXRates:        {"date": "2024-01-31", "currency": "EUR", "rate": "1.0823456789"},
	}
	minimal := map[canonical.Entity]map[string]string{
		canonical.Customers:      {"external_id": "cus_2"},
		canonical.Products:       {"external_id": "prod_2", "name": "Basic"},
		canonical.Plans:          {"external_id": "basic", "name": "Basic", "interval_unit": "month"},
		canonical.Subscriptions:  {"external_id": "sub_2", "customer_external_id": "cus_2"},
		canonical.Invoices:       {"external_id": "inv_2", "customer_external_id": "cus_2", "date": "1999-12-31", "currency": "USD"},
		canonical.InvoiceLines:   {"external_id": "li_2", "invoice_external_id": "inv_2", "type": "one_time", "amount": "0"},
		canonical.Transactions:   {"external_id": "tx_2", "invoice_external_id": "inv_2", "type": "payment", "date": "2024-02-29"},
		canonical.CreditNotes:    {"external_id": "cn_2", "date": "2024-01-17", "amount": "1", "currency": "USD"},
		canonical.RevenueEntries: {"external_id": "rev_2", "date": "2024-01-18", "amount": "0.01", "currency": "USD", "type": "other"},
		canonical.Costs:          {"external_id": "cost_2", "name": "Slack", "amount": "8", "currency": "USD", "category": "TOOLS", "date": "2024-01-31"},
		canonical.FXRates:        {"date": "2024-01-31", "currency": "JPY", "rate": "0.0066666667"},
	}
	var out []canonical.Record
	for _, e := range canonical.Entities {
		out = append(out, Parse(t, e, Source, full[e], attrs), Parse(t, e, Source, minimal[e], nil))
	}
	return out
}

// Invoice returns an invoice of customer cus_1 with the given id.
func Invoice(t testing.TB, source, id, customer string) canonical.Record {
	return Parse(t, canonical.Invoices, source, map[string]string{"external_id": id, "customer_external_id": customer, "date": "2024-01-15", "currency": "USD"}, nil)
}

// Customer returns a customer with the given id and name.
func Customer(t testing.TB, source, id, name string) canonical.Record {
	return Parse(t, canonical.Customers, source, map[string]string{"external_id": id, "name": name}, nil)
}

// Line returns a subscription invoice line.
func Line(t testing.TB, source, id, invoice, plan, amount string) canonical.Record {
	return Parse(t, canonical.InvoiceLines, source, map[string]string{"external_id": id, "invoice_external_id": invoice, "type": "subscription",
		"subscription_external_id": "sub_" + id, "plan_external_id": plan, "service_period_start": "2024-01-01", "service_period_end": "2024-02-01", "amount": amount}, nil)
}

// RequireSameRecords asserts that two records hold the same key, fields and attributes:
// decimals compare by value (NUMERIC(18,4) may add zeros), timestamps by instant, and
// attributes through their JSON encoding (numbers may come back as another Go type).
func RequireSameRecords(t testing.TB, want, got canonical.Record) {
	t.Helper()
	require.Equal(t, want.Entity(), got.Entity())
	require.Equal(t, want.Key(), got.Key())
	wv, gv := canonical.Values(want), canonical.Values(got)
	fields := canonical.SchemaOf(want.Entity()).Fields
	for i, f := range fields {
		where := fmt.Sprintf("%s %s.%s", want.Entity(), want.Key().ExternalID, f.Name)
		switch w := wv[i].(type) {
		case decimal.Decimal:
			g, ok := gv[i].(decimal.Decimal)
			require.True(t, ok, "%s: got %T %v", where, gv[i], gv[i])
			require.True(t, w.Equal(g), "%s: want %s, got %s", where, w, g)
		case time.Time:
			g, ok := gv[i].(time.Time)
			require.True(t, ok, "%s: got %T %v", where, gv[i], gv[i])
			require.True(t, w.Equal(g), "%s: want %s, got %s", where, w, g)
		default:
			require.Equal(t, wv[i], gv[i], where)
		}
	}
	wa, ga := want.Header().Attributes, got.Header().Attributes
	if len(wa) == 0 {
		require.Empty(t, ga, "%s %s attributes", want.Entity(), want.Key().ExternalID)
		return
	}
	wj, err := json.Marshal(wa)
	require.NoError(t, err)
	gj, err := json.Marshal(ga)
	require.NoError(t, err)
	require.JSONEq(t, string(wj), string(gj), "%s %s attributes", want.Entity(), want.Key().ExternalID)
}
