package canonical

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse_RejectionReasonsInPlainWords(t *testing.T) {
	tests := []struct {
		name   string
		entity Entity
		fields map[string]string
		want   string
	}{
		{"missing key", Customers, map[string]string{"name": "Acme"}, `customers '': external_id is missing`},
		{"bad decimal", InvoiceLines, map[string]string{"external_id": "li_1", "invoice_external_id": "i", "type": "one_time", "amount": "12,50"},
			`invoice_lines 'li_1': amount "12,50" is not a decimal amount (use digits and a dot, like 1234.50)`},
		{"unknown enum", Plans, map[string]string{"external_id": "p", "name": "P", "interval_unit": "fortnight"},
			`plans 'p': interval_unit "fortnight" is not one of day, week, month, year`},
		{"bad date", Invoices, map[string]string{"external_id": "i", "customer_external_id": "c", "date": "31/01/2024", "currency": "usd"},
			`invoices 'i': date "31/01/2024" is not a date (use YYYY-MM-DD)`},
		{"unknown currency", Invoices, map[string]string{"external_id": "i", "customer_external_id": "c", "date": "2024-01-31", "currency": "XYZ"},
			`invoices 'i': currency "XYZ" is not an ISO 4217 currency code`},
		{"several problems at once", Plans, map[string]string{"external_id": "p", "interval_count": "0"},
			`plans 'p': name is missing; interval_unit is missing; interval_count "0" must be 1 or more`},
		{"unknown field", Products, map[string]string{"external_id": "p", "name": "P", "colour": "red"},
			`products 'p': "colour" is not a field of products (valid: external_id, name)`},
		{"subscription line needs period", InvoiceLines, map[string]string{"external_id": "l", "invoice_external_id": "i", "type": "subscription", "subscription_external_id": "s", "plan_external_id": "p", "amount": "10"},
			`invoice_lines 'l': service_period_start and service_period_end are required for subscription lines`},
		{"period end after start", InvoiceLines, map[string]string{"external_id": "l", "invoice_external_id": "i", "type": "trial", "subscription_external_id": "s", "service_period_start": "2024-02-01", "service_period_end": "2024-02-01", "amount": "0"},
			`invoice_lines 'l': service_period_end 2024-02-01 must be after service_period_start 2024-02-01`},
		{"negative cost", Costs, map[string]string{"external_id": "c", "name": "AWS", "amount": "-5", "currency": "USD", "category": "INFRASTRUCTURE", "date": "2024-01-01"},
			`costs 'c': amount -5 must not be negative`},
		{"too many decimals for currency", RevenueEntries, map[string]string{"external_id": "r", "date": "2024-01-01", "amount": "10.5", "currency": "JPY", "type": "other"},
			`revenue_entries 'r': amount 10.5 has more decimals than JPY allows (0)`},
		{"more decimals than any currency has", InvoiceLines, map[string]string{"external_id": "l", "invoice_external_id": "i", "type": "one_time", "amount": "1.23456"},
			`invoice_lines 'l': amount "1.23456" has more than 4 decimals`},
		{"fx rate beyond 10 decimals", FXRates, map[string]string{"date": "2024-01-01", "currency": "EUR", "rate": "1.00000000001"},
			`fx_rates '': rate "1.00000000001" has more than 10 decimals`},
		{"bad boolean", InvoiceLines, map[string]string{"external_id": "l", "invoice_external_id": "i", "type": "one_time", "amount": "1", "prorated": "maybe"},
			`invoice_lines 'l': prorated "maybe" is not a boolean (use true/false, 1/0 or yes/no)`},
		{"bad country", Customers, map[string]string{"external_id": "c", "country": "Germany"},
			`customers 'c': country "Germany" is not an ISO 3166-1 alpha-2 country code (like US or DE)`},
		{"fx rate must be positive", FXRates, map[string]string{"date": "2024-01-01", "currency": "EUR", "rate": "0"},
			`fx_rates '': rate "0" must be greater than 0`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.entity, "csv", tc.fields, nil)
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestParse_NormalisesAndAppliesDefaults(t *testing.T) {
	r, err := Parse(InvoiceLines, "csv", map[string]string{
		"external_id": " li_1 ", "invoice_external_id": "inv", "type": "subscription", "subscription_external_id": "s",
		"plan_external_id": "p", "service_period_start": "2024-01-16", "service_period_end": "2024-02-01T00:00:00Z",
		"amount": "-30.97", "tax_amount": "1.250000", "prorated": "YES", "description": "",
	}, Attributes{"segment": "smb"})
	require.NoError(t, err)
	l := r.(*InvoiceLine)
	assert.Equal(t, Key{"csv", "li_1"}, l.Key())
	assert.Equal(t, "2024-01-16", l.ServicePeriodStart.String())
	assert.Equal(t, "2024-02-01", l.ServicePeriodEnd.String())
	assert.True(t, l.Amount.Equal(decimal.RequireFromString("-30.97")), "negative line amounts are credits")
	assert.True(t, l.TaxAmount.Equal(decimal.RequireFromString("1.25")), "trailing zeros are not extra decimals")
	assert.Equal(t, int64(1), l.Quantity)
	assert.True(t, l.Prorated)
	assert.Equal(t, "smb", l.Attributes["segment"])

	inv, err := Parse(Invoices, "csv", map[string]string{"external_id": "i", "customer_external_id": "c", "date": "2024-03-01", "currency": "eur"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "EUR", inv.(*Invoice).Currency)
	assert.Equal(t, "paid", inv.(*Invoice).Status)

	fx, err := Parse(FXRates, "csv", map[string]string{"date": "2024-03-01", "currency": "jpy", "rate": "0.0067"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "2024-03-01/JPY", fx.Key().ExternalID, "fx_rates are keyed by (date, currency)")

	sub, err := Parse(Subscriptions, "api", map[string]string{"external_id": "s", "customer_external_id": "c", "started_at": "2024-01-10T12:30:00+02:00"}, nil)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 1, 10, 10, 30, 0, 0, time.UTC), *sub.(*Subscription).StartedAt)
}

func TestValuesAndReferences_FollowSchemaOrder(t *testing.T) {
	r, err := Parse(Plans, "csv", map[string]string{"external_id": "pro", "name": "Pro", "interval_unit": "year", "product_external_id": "app"}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"external_id", "name", "interval_unit", "interval_count", "product_external_id"}, SchemaOf(Plans).FieldNames())
	assert.Equal(t, []any{"Pro", "year", int64(1), "app"}, Values(r))
	assert.Equal(t, []Ref{{Field: "product_external_id", Entity: Products, ExternalID: "app"}}, References(r))

	c, err := Parse(Customers, "csv", map[string]string{"external_id": "c"}, nil)
	require.NoError(t, err)
	for _, v := range Values(c) {
		assert.Nil(t, v, "absent optional values are nil")
	}
}

func TestEverySchemaFieldRoundTripsThroughParse(t *testing.T) {
	for _, e := range Entities {
		s := SchemaOf(e)
		require.NotNil(t, s, e)
		require.NotEmpty(t, s.Fields, e)
		assert.Equal(t, e, New(e).Entity())
	}
}

func TestMoney_MinorUnitsFollowISO4217(t *testing.T) {
	tests := []struct {
		amount, currency string
		minor            int64
		formatted        string
	}{
		{"99.00", "USD", 9900, "99.00"},
		{"1200", "JPY", 1200, "1200"},
		{"0.5", "BHD", 500, "0.500"},
		{"-3", "EUR", -300, "-3.00"},
	}
	for _, tc := range tests {
		t.Run(tc.amount+tc.currency, func(t *testing.T) {
			d, err := ParseAmount(tc.amount)
			require.NoError(t, err)
			minor, err := ToMinor(d, tc.currency)
			require.NoError(t, err)
			assert.Equal(t, tc.minor, minor)
			assert.Equal(t, tc.formatted, FormatMinor(minor, tc.currency))
		})
	}
	_, err := ToMinor(decimal.RequireFromString("1.234"), "USD")
	assert.EqualError(t, err, "amount 1.234 has more decimals than USD allows (2)")
	for _, bad := range []string{"1e3", "1,000", "", "abc", "1 000"} {
		_, err := ParseAmount(bad)
		assert.Error(t, err, bad)
	}
}

func TestDate_CivilArithmetic(t *testing.T) {
	d := func(s string) Date {
		v, err := ParseDate(s)
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, "2024-02-29", d("2024-01-31").AddInterval(Month, 1).String(), "month ends clamp")
	assert.Equal(t, "2025-02-28", d("2024-02-29").AddInterval(Year, 1).String())
	assert.Equal(t, "2024-02-16", d("2024-01-16").AddInterval(Month, 1).String())
	assert.Equal(t, "2024-01-15", d("2024-01-08").AddInterval(Week, 1).String())
	assert.Equal(t, "2024-04-30", d("2024-01-31").AddInterval(Month, 3).String())
	assert.Equal(t, "2024-03-01", d("2024-03-17").MonthStart().String())
	assert.Equal(t, "2023-11-01", d("2024-01-17").AddMonths(-2).String())
	assert.Equal(t, Date(0), d("1970-01-01"))
	assert.Equal(t, d("2024-05-01"), DateOf(time.Date(2024, 4, 30, 23, 0, 0, 0, time.FixedZone("x", -2*3600))))
}

func TestFromValues_InvertsValues(t *testing.T) {
	for _, tc := range []struct {
		entity Entity
		fields map[string]string
	}{
		{InvoiceLines, map[string]string{"external_id": "l", "invoice_external_id": "i", "type": "subscription", "subscription_external_id": "s",
			"plan_external_id": "p", "service_period_start": "2024-01-16", "service_period_end": "2024-02-01", "amount": "-30.97", "prorated": "yes"}},
		{Customers, map[string]string{"external_id": "c", "country": "de", "created_at": "2024-01-10T12:30:00Z"}},
		{Subscriptions, map[string]string{"external_id": "s", "customer_external_id": "c", "amount": "12.50", "currency": "eur"}},
		{Plans, map[string]string{"external_id": "p", "name": "Pro", "interval_unit": "month", "interval_count": "3"}},
	} {
		want, err := Parse(tc.entity, "csv", tc.fields, Attributes{"k": "v"})
		require.NoError(t, err)
		got, err := FromValues(tc.entity, "csv", want.Key().ExternalID, Values(want), Attributes{"k": "v"})
		require.NoError(t, err)
		assert.Equal(t, want, got, tc.entity)
	}
	_, err := FromValues(Plans, "csv", "p", []any{"Pro", "month", "3", nil}, nil)
	assert.EqualError(t, err, "plans 'p': interval_count cannot hold a string value")
}
