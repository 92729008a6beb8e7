package metrics

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/revsync/revsync/canonical"
	"github.com/revsync/revsync/warehouse"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rec parses one record from "field=value" pairs, as a connector would deliver it.
func rec(t testing.TB, e canonical.Entity, pairs ...string) canonical.Record {
	t.Helper()
	fields := map[string]string{}
	attrs := canonical.Attributes{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		require.True(t, ok, p)
		if a, ok := strings.CutPrefix(k, "attr_"); ok {
			attrs[a] = v
			continue
		}
		fields[k] = v
	}
	r, err := canonical.Parse(e, "s", fields, attrs)
	require.NoError(t, err)
	return r
}

// world is a small hand-made data set.
type world struct {
	t   testing.TB
	ds  *Dataset
	inv int
}

func newWorld(t testing.TB) *world {
	w := &world{t: t, ds: NewDataset()}
	w.add(canonical.Plans, "external_id=m", "name=M", "interval_unit=month")
	w.add(canonical.Plans, "external_id=m2", "name=M2", "interval_unit=month")
	w.add(canonical.Plans, "external_id=y", "name=Y", "interval_unit=year")
	return w
}

func (w *world) add(e canonical.Entity, pairs ...string) { w.ds.Add(rec(w.t, e, pairs...)) }

// line adds an invoice with one subscription line and returns the invoice id.
func (w *world) line(cust, sub, plan, from, to, amount string, extra ...string) string {
	w.inv++
	id := fmt.Sprintf("inv%03d", w.inv)
	invFields := []string{"external_id=" + id, "customer_external_id=" + cust, "date=" + from, "currency=USD"}
	lineFields := []string{"external_id=" + id + "-l", "invoice_external_id=" + id, "type=subscription",
		"subscription_external_id=" + sub, "plan_external_id=" + plan, "service_period_start=" + from,
		"service_period_end=" + to, "amount=" + amount}
	for _, x := range extra {
		if strings.HasPrefix(x, "inv.") {
			invFields = setField(invFields, strings.TrimPrefix(x, "inv."))
		} else {
			lineFields = setField(lineFields, x)
		}
	}
	w.add(canonical.Invoices, invFields...)
	w.add(canonical.InvoiceLines, lineFields...)
	return id
}

func setField(fields []string, kv string) []string {
	k, _, _ := strings.Cut(kv, "=")
	for i, f := range fields {
		if strings.HasPrefix(f, k+"=") {
			fields[i] = kv
			return fields
		}
	}
	return append(fields, kv)
}

func (w *world) compute(s Settings) *collectSink {
	w.t.Helper()
	sink := &collectSink{}
	_, err := Compute(context.Background(), s, w.ds, sink)
	require.NoError(w.t, err)
	return sink
}

func date(t testing.TB, s string) canonical.Date {
	d, err := canonical.ParseDate(s)
	require.NoError(t, err)
	return d
}

func settings(t testing.TB, asOf string, dims ...string) Settings {
	return Settings{AsOf: date(t, asOf), Dimensions: dims}
}

// movs renders movements as "date customer type amount" lines.
func movs(s *collectSink) []string {
	var out []string
	for _, m := range s.movements {
		out = append(out, fmt.Sprintf("%s %s %s %s", m.Date, m.CustomerExternalID, m.Type, canonical.FormatMinor(m.Amount, m.Currency)))
	}
	return out
}

func monthRow(t testing.TB, s *collectSink, dim, seg, period string) MetricRow {
	t.Helper()
	for _, r := range s.metrics {
		if r.Monthly && r.Dimension == dim && r.Segment == seg && r.Period.String() == period {
			return r
		}
	}
	t.Fatalf("no monthly row %s/%s/%s", dim, seg, period)
	return MetricRow{}
}

func dayRow(t testing.TB, s *collectSink, day string) MetricRow {
	t.Helper()
	for _, r := range s.metrics {
		if !r.Monthly && r.Period.String() == day {
			return r
		}
	}
	t.Fatalf("no daily row %s", day)
	return MetricRow{}
}

func dec(p *decimal.Decimal) string {
	if p == nil {
		return "NULL"
	}
	return p.StringFixed(8)
}

func TestLineMRR_HandComputed(t *testing.T) {
	tests := []struct {
		name        string
		unit        canonical.IntervalUnit
		count       int64
		currency    string
		amount, tax string
		from, to    string
		prorated    bool
		want        int64
	}{
		{"monthly", canonical.Month, 1, "USD", "50", "0", "2024-01-01", "2024-02-01", false, 5000},
		{"annual ÷ 12 rounds half away from zero", canonical.Year, 1, "USD", "2400", "400", "2024-01-10", "2025-01-10", false, 16667},
		{"quarterly", canonical.Month, 3, "USD", "300", "0", "2024-02-01", "2024-05-01", false, 10000},
		{"weekly × 52 ÷ 12", canonical.Week, 1, "USD", "10", "0", "2024-01-08", "2024-01-15", false, 4333},
		{"biennial", canonical.Year, 2, "USD", "4800", "0", "2024-03-05", "2026-03-05", false, 20000},
		{"daily × 365 ÷ 12", canonical.Day, 1, "USD", "1", "0", "2024-01-01", "2024-01-02", false, 3042},
		{"prorated upgrade: 31 days ÷ 16 days", canonical.Month, 1, "USD", "30.97", "0", "2024-01-16", "2024-02-01", true, 6000},
		{"prorated from Jan 31: interval clamps to Feb 29", canonical.Month, 1, "USD", "15", "0", "2024-01-31", "2024-02-15", true, 2900},
		{"exact half cent rounds up", canonical.Year, 1, "USD", "0.06", "0", "2024-01-01", "2025-01-01", false, 1},
		{"JPY has no minor unit", canonical.Year, 1, "JPY", "10000", "0", "2024-01-01", "2025-01-01", false, 833},
		{"sub-cent amount is exact before rounding", canonical.Month, 1, "USD", "30.975", "0", "2024-01-01", "2024-02-01", false, 3098},
		{"tax excluded", canonical.Month, 1, "USD", "120", "20", "2024-01-01", "2024-02-01", false, 10000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan := &canonical.Plan{Meta: canonical.Meta{Source: "s", ExternalID: "p"}, IntervalUnit: tc.unit, IntervalCount: tc.count}
			e, err := newEngine(Settings{AsOf: date(t, "2030-01-01")}, &Reference{Plans: map[canonical.Key]*canonical.Plan{plan.Key(): plan}})
			require.NoError(t, err)
			l := &canonical.InvoiceLine{Meta: canonical.Meta{Source: "s", ExternalID: "l"}, PlanExternalID: "p",
				ServicePeriodStart: ptr(date(t, tc.from)), ServicePeriodEnd: ptr(date(t, tc.to)),
				Amount: decimal.RequireFromString(tc.amount), TaxAmount: decimal.RequireFromString(tc.tax), Prorated: tc.prorated}
			amt, err := toRat(l.Amount, canonical.Exponent(tc.currency))
			require.NoError(t, err)
			tax, err := toRat(l.TaxAmount, canonical.Exponent(tc.currency))
			require.NoError(t, err)
			net, err := amt.sub(tax)
			require.NoError(t, err)
			got, err := e.lineMRR(&planMemo{}, l, net)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestMulDivRound_HalfAwayFromZero(t *testing.T) {
	tests := []struct{ a, b, c, want int64 }{
		{6, 1, 12, 1}, {-6, 1, 12, -1}, {5, 1, 12, 0}, {-5, 1, 12, 0}, {7, 1, 2, 4}, {-7, 1, 2, -4},
		{1 << 62, 4, 8, 1 << 61}, // 128-bit intermediate
		{-(1 << 62), 6, 4, -(1 << 62) - (1 << 61)},
	}
	for _, tc := range tests {
		got, err := mulDivRound(tc.a, tc.b, tc.c)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%d×%d÷%d", tc.a, tc.b, tc.c)
	}
	_, err := mulDivRound(1<<62, 1<<62, 1)
	assert.ErrorIs(t, err, errOverflow)
}

func TestFX_ConversionAtRevisionStart(t *testing.T) {
	rates := []*canonical.FXRate{
		{Date: date(t, "2024-01-01"), Currency: "EUR", Rate: decimal.RequireFromString("1.10")},
		{Date: date(t, "2024-02-01"), Currency: "EUR", Rate: decimal.RequireFromString("1.05")},
		{Date: date(t, "2024-01-01"), Currency: "JPY", Rate: decimal.RequireFromString("0.0067")},
		{Date: date(t, "2024-01-01"), Currency: "BHD", Rate: decimal.RequireFromString("2.65")},
	}
	fx := newFXTable("USD", rates)
	tests := []struct {
		name     string
		minor    int64
		currency string
		day      string
		want     int64
	}{
		{"rate of the day", 10000, "EUR", "2024-01-01", 11000},
		{"latest rate on or before", 10000, "EUR", "2024-01-31", 11000},
		{"next rate from its date", 10000, "EUR", "2024-02-01", 10500},
		{"JPY to USD", 10000, "JPY", "2024-02-15", 6700},
		{"BHD (3 decimals) rounds half away", 1, "BHD", "2024-01-01", 0}, // 0.001×2.65 = 0.265 cents
		{"reporting currency needs no rate", 123, "USD", "2000-01-01", 123},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fx.convert(tc.minor, tc.currency, date(t, tc.day))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	_, err := fx.convert(100, "EUR", date(t, "2023-12-31"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "EUR")
	assert.Contains(t, err.Error(), "2023-12-31")
}

func TestCompute_MissingRateFailsNamingCurrencyAndDate(t *testing.T) {
	w := newWorld(t)
	w.add(canonical.Customers, "external_id=A")
	w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "100", "inv.currency=GBP")
	_, err := Compute(context.Background(), settings(t, "2024-03-31"), w.ds, &collectSink{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GBP")
	assert.Contains(t, err.Error(), "2024-01-01")
}

func TestRevisions_LatestStartWinsWithTies(t *testing.T) {
	w := newWorld(t)
	w.add(canonical.Customers, "external_id=A")
	// Two invoices for the same period start: the later invoice date wins.
	w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "100", "inv.date=2024-01-01")
	w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "80", "inv.date=2024-01-02")
	// Same start and same invoice date: the greater invoice external_id wins (inv004).
	w.line("A", "a1", "m", "2024-02-01", "2024-03-01", "70", "inv.date=2024-02-01")
	w.line("A", "a1", "m", "2024-02-01", "2024-03-01", "60", "inv.date=2024-02-01")
	// A mid-period revision replaces the rate from its start; the covering renewal resumes.
	w.line("A", "a1", "m", "2024-02-10", "2024-02-20", "10", "inv.date=2024-02-10")
	got := movs(w.compute(settings(t, "2024-03-31")))
	assert.Equal(t, []string{
		"2024-01-01 A new_business 80.00",
		"2024-02-01 A contraction -20.00",
		"2024-02-10 A contraction -50.00",
		"2024-02-20 A expansion 50.00",
		"2024-03-01 A churn -60.00",
	}, got)
}

func TestSubscriptionEnd_Modes(t *testing.T) {
	build := func() *world {
		w := newWorld(t)
		w.add(canonical.Customers, "external_id=A")
		w.add(canonical.Subscriptions, "external_id=a1", "customer_external_id=A", "cancelled_at=2024-06-10T15:00:00Z")
		w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "100")
		w.line("A", "a1", "m", "2024-04-01", "2024-05-01", "100")
		w.add(canonical.Customers, "external_id=B")
		w.add(canonical.Subscriptions, "external_id=b1", "customer_external_id=B", "cancelled_at=2024-01-20")
		w.line("B", "b1", "m", "2024-01-01", "2024-02-01", "50")
		return w
	}
	tests := []struct {
		mode string
		want []string
	}{
		{EndServicePeriod, []string{
			"2024-01-01 A new_business 100.00", "2024-02-01 A churn -100.00",
			"2024-04-01 A reactivation 100.00", "2024-05-01 A churn -100.00",
			"2024-01-01 B new_business 50.00", "2024-01-20 B churn -50.00",
		}},
		{EndCancellation, []string{
			"2024-01-01 A new_business 100.00", "2024-06-10 A churn -100.00",
			"2024-01-01 B new_business 50.00", "2024-01-20 B churn -50.00",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			s := settings(t, "2024-07-31")
			s.SubscriptionEnd = tc.mode
			assert.Equal(t, tc.want, movs(build().compute(s)))
		})
	}
}

func TestInvoiceStatus_VoidIgnoredAndExcludeUnpaid(t *testing.T) {
	build := func() *world {
		w := newWorld(t)
		w.add(canonical.Customers, "external_id=A")
		w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "100", "inv.status=void")
		w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "40", "inv.status=open")
		w.line("A", "a1", "m", "2024-02-01", "2024-03-01", "40", "inv.status=uncollectible")
		w.line("A", "a1", "m", "2024-03-01", "2024-04-01", "40")
		return w
	}
	assert.Equal(t, []string{"2024-01-01 A new_business 40.00", "2024-04-01 A churn -40.00"},
		movs(build().compute(settings(t, "2024-04-30"))))
	s := settings(t, "2024-04-30")
	s.ExcludeUnpaid = true
	assert.Equal(t, []string{"2024-03-01 A new_business 40.00", "2024-04-01 A churn -40.00"},
		movs(build().compute(s)))
}

func TestFXAdjustment_SplitFromBusinessMovement(t *testing.T) {
	w := newWorld(t)
	w.add(canonical.FXRates, "date=2024-01-01", "currency=EUR", "rate=1.10")
	w.add(canonical.FXRates, "date=2024-02-01", "currency=EUR", "rate=1.20")
	w.add(canonical.Customers, "external_id=A")
	// Subscription 1 renews at the same EUR price on the new rate (fx), subscription 2
	// grows on the same day (expansion): two movements, the business one first.
	w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "100", "inv.currency=EUR")
	w.line("A", "a1", "m", "2024-02-01", "2024-03-01", "100", "inv.currency=EUR")
	w.line("A", "a2", "m2", "2024-01-01", "2024-02-01", "10", "inv.currency=EUR")
	w.line("A", "a2", "m2", "2024-02-01", "2024-03-01", "20", "inv.currency=EUR")
	s := w.compute(settings(t, "2024-02-29", "plan", "currency"))
	assert.Equal(t, []string{
		"2024-01-01 A new_business 121.00",
		"2024-02-01 A expansion 13.00", // 11.00 → 24.00 at the new rate
		"2024-02-01 A fx_adjustment 10.00",
		"2024-03-01 A churn -144.00",
	}[:3], movs(s))
	m := s.movements
	assert.Equal(t, []int64{0, 12100, 13400}, []int64{m[0].MRRBefore, m[1].MRRBefore, m[2].MRRBefore})
	assert.Equal(t, int64(14400), m[2].MRRAfter)

	feb := monthRow(t, s, All, All, "2024-02-01")
	assert.Equal(t, int64(1000), *feb.FXAdjustmentMRR)
	assert.Equal(t, int64(1300), *feb.ExpansionMRR)
	assert.Equal(t, "-0.10743802", dec(feb.NetMRRChurnRate), "fx is not part of net churn: −13 ÷ 121")
	// In the currency dimension amounts are native and an exchange rate moves nothing.
	eur := monthRow(t, s, "currency", "EUR", "2024-02-01")
	assert.Equal(t, "EUR", eur.Currency)
	assert.Equal(t, int64(12000), *eur.MRR)
	assert.Equal(t, int64(1000), *eur.ExpansionMRR)
	assert.Equal(t, int64(0), *eur.FXAdjustmentMRR)
	assert.Nil(t, eur.InvoicedRevenue, "cash is not broken down by subscription-level dimensions")
	assert.Equal(t, int64(1000), *monthRow(t, s, "plan", "m", "2024-02-01").FXAdjustmentMRR)
}

func TestDimensions_PlanMoveIsChurnAndNewOrReactivation(t *testing.T) {
	w := newWorld(t)
	w.add(canonical.Customers, "external_id=A", "country=US", "attr_segment=smb")
	w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "50")
	w.line("A", "a1", "m2", "2024-02-01", "2024-03-01", "50")
	w.line("A", "a1", "m", "2024-03-01", "2024-04-01", "70")
	s := w.compute(settings(t, "2024-03-31", "plan", "country", "segment"))
	// Whole business: no change in February, expansion in March.
	assert.Equal(t, []string{"2024-01-01 A new_business 50.00", "2024-03-01 A expansion 20.00"}, movs(s))
	feb, mar := monthRow(t, s, "plan", "m", "2024-02-01"), monthRow(t, s, "plan", "m", "2024-03-01")
	assert.Equal(t, int64(-5000), *feb.ChurnMRR)
	assert.Equal(t, int64(7000), *mar.ReactivationMRR, "back in plan m: reactivation there")
	assert.Equal(t, int64(5000), *monthRow(t, s, "plan", "m2", "2024-02-01").NewBusinessMRR)
	assert.Equal(t, int64(-5000), *monthRow(t, s, "plan", "m2", "2024-03-01").ChurnMRR)
	us := monthRow(t, s, "country", "US", "2024-03-01")
	assert.Equal(t, int64(2000), *us.ExpansionMRR)
	assert.Equal(t, int64(7000), *monthRow(t, s, "segment", "smb", "2024-03-01").MRR)
}

func TestMetrics_RatesCashAndPartialMonth(t *testing.T) {
	w := newWorld(t)
	w.add(canonical.FXRates, "date=2024-01-01", "currency=EUR", "rate=1.5")
	for _, c := range []string{"A", "B", "C"} {
		w.add(canonical.Customers, "external_id="+c)
	}
	w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "100")
	w.line("A", "a1", "m", "2024-02-01", "2024-03-01", "100")
	w.line("B", "b1", "m", "2024-01-01", "2024-02-01", "100")
	w.line("B", "b1", "m", "2024-02-01", "2024-03-01", "40")
	id := w.line("C", "c1", "m", "2024-01-01", "2024-02-01", "110", "tax_amount=10")
	// Cash: C pays its invoice (default: the invoice total, tax included) and is refunded
	// 5 (transaction) + 2.50 (credit note, EUR at 1.5) + 1 (refund revenue entry).
	w.add(canonical.Transactions, "external_id=t1", "invoice_external_id="+id, "type=payment", "date=2024-01-03")
	w.add(canonical.Transactions, "external_id=t2", "invoice_external_id="+id, "type=refund", "date=2024-01-04", "amount=5")
	w.add(canonical.Transactions, "external_id=t3", "invoice_external_id="+id, "type=payment", "date=2024-01-05", "result=failed")
	w.add(canonical.CreditNotes, "external_id=cn", "customer_external_id=C", "date=2024-01-06", "amount=2.50", "currency=EUR")
	w.add(canonical.RevenueEntries, "external_id=r1", "date=2024-01-07", "amount=1", "currency=USD", "type=refund")
	w.add(canonical.RevenueEntries, "external_id=r2", "date=2024-01-08", "amount=3", "currency=USD", "type=advertising")
	w.add(canonical.Costs, "external_id=k1", "name=AWS", "amount=20", "currency=USD", "category=INFRASTRUCTURE", "date=2024-01-09")
	w.add(canonical.Costs, "external_id=k2", "name=Ads", "amount=0.01", "currency=EUR", "category=MARKETING", "date=2024-01-09")
	// D only trials.
	w.add(canonical.Customers, "external_id=D")
	w.add(canonical.Invoices, "external_id=dt", "customer_external_id=D", "date=2024-02-20", "currency=USD")
	w.add(canonical.InvoiceLines, "external_id=dtl", "invoice_external_id=dt", "type=trial", "subscription_external_id=d1",
		"service_period_start=2024-02-20", "service_period_end=2024-03-05", "amount=0")

	s := w.compute(settings(t, "2024-02-25"))
	jan := monthRow(t, s, All, All, "2024-01-01")
	assert.False(t, jan.IsPartial)
	assert.Equal(t, int64(30000), *jan.MRR)
	assert.Equal(t, int64(360000), *jan.ARR)
	assert.Equal(t, int64(10000), *jan.ARPA)
	assert.Equal(t, "NULL", dec(jan.CustomerChurnRate), "no customers at the start")
	assert.Equal(t, int64(300+10000+10000+10000), *jan.InvoicedRevenue, "net of tax, plus the advertising entry")
	assert.Equal(t, int64(11000), *jan.Payments, "the invoice total by default; failed ignored")
	assert.Equal(t, int64(500+375+100), *jan.Refunds)
	assert.Equal(t, int64(2002), *jan.Costs, "20 + 0.015 rounded once")
	assert.Equal(t, int64(8024), *jan.NetCashFlow, "110 − 9.75 − 20.015 = 80.235, rounded once")

	feb := monthRow(t, s, All, All, "2024-02-01")
	assert.True(t, feb.IsPartial, "as_of 2024-02-25 is not the month's last day")
	assert.Equal(t, int64(14000), *feb.MRR)
	assert.Equal(t, int64(2), *feb.Customers)
	assert.Equal(t, int64(1), *feb.ChurnedCustomers)
	assert.Equal(t, "0.33333333", dec(feb.CustomerChurnRate))
	assert.Equal(t, "0.53333333", dec(feb.GrossMRRChurnRate), "(100 + 60) ÷ 300")
	assert.Equal(t, "0.46666667", dec(feb.NRR))
	assert.Equal(t, "0.46666667", dec(feb.GRR))
	assert.Equal(t, "0.00000000", dec(feb.QuickRatio))
	assert.Nil(t, feb.ASP)
	assert.Equal(t, int64(21000), *feb.LTV, "(140 ÷ 2) ÷ (1 ÷ 3)")
	assert.Equal(t, int64(1), *feb.TrialingCustomers)
	assert.Equal(t, int64(2000), *monthRow(t, s, CostCategory, "INFRASTRUCTURE", "2024-01-01").Costs)
	assert.Equal(t, int64(2), *monthRow(t, s, CostCategory, "MARKETING", "2024-01-01").Costs)

	d := dayRow(t, s, "2024-02-01")
	assert.Equal(t, int64(-16000), *d.NetNewMRR)
	assert.Equal(t, "0.33333333", dec(d.CustomerChurnRate))
	assert.Equal(t, "0.46666667", dec(d.NRR))
	assert.False(t, d.IsPartial)
	assert.Equal(t, int64(1), *dayRow(t, s, "2024-02-25").TrialingCustomers)
	assert.Equal(t, int64(0), *dayRow(t, s, "2024-02-19").TrialingCustomers)
	first := s.metrics[len(s.metrics)-1]
	for _, r := range s.metrics {
		if !r.Monthly {
			first = r
			break
		}
	}
	assert.Equal(t, "2024-01-01", first.Period.String(), "daily rows start on the first MRR day")
}

func TestSelfPricedAndRevenueEntries(t *testing.T) {
	w := newWorld(t)
	w.add(canonical.Customers, "external_id=A")
	w.add(canonical.Subscriptions, "external_id=s1", "customer_external_id=A", "started_at=2024-01-01",
		"trial_ends_at=2024-01-15", "amount=1200", "currency=USD", "plan_external_id=y", "quantity=3")
	w.add(canonical.Subscriptions, "external_id=s2", "customer_external_id=A", "started_at=2024-01-01",
		"status=paused", "amount=99", "currency=USD")
	// A self-priced subscription referenced by an invoice line is invoiced instead.
	w.add(canonical.Subscriptions, "external_id=s3", "customer_external_id=A", "started_at=2024-01-01",
		"amount=500", "currency=USD")
	w.line("A", "s3", "m", "2024-03-01", "2024-04-01", "10")
	w.add(canonical.RevenueEntries, "external_id=r1", "date=2024-01-31", "amount=5", "currency=USD", "type=subscription")
	w.add(canonical.Customers, "external_id=B")
	w.add(canonical.Subscriptions, "external_id=b1", "customer_external_id=B", "started_at=2024-01-20",
		"trial_ends_at=2024-02-05T10:00:00Z", "amount=20", "currency=USD")
	s := w.compute(settings(t, "2024-04-30"))
	assert.Equal(t, []string{
		"2024-01-31 (revenue) new_business 5.00",
		"2024-02-29 (revenue) churn -5.00",
		"2024-01-15 A new_business 100.00",
		"2024-03-01 A expansion 10.00",
		"2024-04-01 A contraction -10.00",
		"2024-02-05 B new_business 20.00",
	}, movs(s))
	jan := monthRow(t, s, All, All, "2024-01-01")
	assert.Equal(t, int64(1), *jan.TrialingCustomers, "B is in trial until 2024-02-05")
	assert.Equal(t, int64(0), *dayRow(t, s, "2024-02-05").TrialingCustomers)
	assert.Equal(t, int64(500), *jan.InvoicedRevenue, "subscription-type entries are revenue too")
}

func TestCohorts_NullRetentionWithoutStartingMRR(t *testing.T) {
	w := newWorld(t)
	w.add(canonical.Customers, "external_id=Q")
	w.add(canonical.Subscriptions, "external_id=q1", "customer_external_id=Q", "cancelled_at=2024-02-10")
	w.line("Q", "q1", "m", "2024-02-01", "2024-03-01", "60")
	s := w.compute(settings(t, "2024-03-15"))
	require.Len(t, s.cohorts, 2)
	c := s.cohorts[1]
	assert.Equal(t, int64(1), c.MonthOffset)
	assert.Equal(t, int64(1), c.CohortCustomers)
	assert.Equal(t, int64(0), c.StartingMRR)
	assert.Nil(t, c.MRRRetention)
	assert.Equal(t, "0.00000000", dec(c.CustomerRetention))
}

func TestValues_MatchWarehouseColumns(t *testing.T) {
	r := MetricRow{Period: 1, Dimension: All, Segment: All, Currency: "USD", MRR: ptr(int64(12345)), Customers: ptr(int64(2))}
	assert.Len(t, r.Values(true), 35)
	assert.Len(t, r.Values(false), 32)
	assert.Equal(t, decimal.RequireFromString("123.45"), r.Values(true)[5])
	assert.Equal(t, int64(2), r.Values(true)[7])
	assert.Nil(t, r.Values(true)[8])
}

func TestCalendar_MatchesTimePackage(t *testing.T) {
	for _, d := range []canonical.Date{canonical.NewDate(1800, 3, 1), canonical.NewDate(1949, 12, 31),
		canonical.NewDate(1950, 1, 1), canonical.NewDate(2024, 2, 29), canonical.NewDate(2149, 12, 31),
		canonical.NewDate(2150, 1, 1), canonical.NewDate(2400, 2, 29)} {
		tm := d.Time()
		m := monthIndex(d)
		assert.Equal(t, int32(tm.Year()*12+int(tm.Month())-1), m, d.String())
		assert.Equal(t, d.MonthStart(), monthFirstDay(m), d.String())
		assert.Equal(t, d.AddMonths(1)-1, monthLastDay(m), d.String())
	}
	for d := canonical.NewDate(2023, 1, 1); d < canonical.NewDate(2026, 1, 1); d++ {
		require.Equal(t, d.MonthStart(), monthFirstDay(monthIndex(d)))
	}
}

func TestOwnerOf_RoutesRecordsToCustomers(t *testing.T) {
	invoices := func(source, id string) (string, bool) {
		if id == "i1" {
			return "C1", true
		}
		return "", false
	}
	k := func(id string) canonical.Key { return canonical.Key{Source: "s", ExternalID: id} }
	tests := []struct {
		name string
		rec  canonical.Record
		want canonical.Key
		ok   bool
	}{
		{"line via its invoice", rec(t, canonical.InvoiceLines, "external_id=l", "invoice_external_id=i1", "type=one_time", "amount=1"), k("C1"), true},
		{"line of an unknown invoice", rec(t, canonical.InvoiceLines, "external_id=l", "invoice_external_id=i9", "type=one_time", "amount=1"), canonical.Key{}, false},
		{"transaction via its invoice", rec(t, canonical.Transactions, "external_id=t", "invoice_external_id=i1", "type=payment", "date=2024-01-01"), k("C1"), true},
		{"credit note naming a customer", rec(t, canonical.CreditNotes, "external_id=c", "customer_external_id=C2", "invoice_external_id=i1", "date=2024-01-01", "amount=1", "currency=USD"), k("C2"), true},
		{"credit note via its invoice", rec(t, canonical.CreditNotes, "external_id=c", "invoice_external_id=i1", "date=2024-01-01", "amount=1", "currency=USD"), k("C1"), true},
		{"credit note of nobody", rec(t, canonical.CreditNotes, "external_id=c", "date=2024-01-01", "amount=1", "currency=USD"), k(RevenueCustomer), true},
		{"revenue entry of nobody", rec(t, canonical.RevenueEntries, "external_id=r", "date=2024-01-01", "amount=1", "currency=USD", "type=other"), k(RevenueCustomer), true},
		{"plans are reference data", rec(t, canonical.Plans, "external_id=p", "name=P", "interval_unit=month"), canonical.Key{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := OwnerOf(tc.rec, invoices)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestValues_TypesFollowWarehouseColumns(t *testing.T) {
	w := newWorld(t)
	w.add(canonical.Customers, "external_id=A")
	w.line("A", "a1", "m", "2024-01-01", "2024-02-01", "100")
	w.line("A", "a1", "m", "2024-02-01", "2024-03-01", "50")
	w.add(canonical.Costs, "external_id=k1", "name=AWS", "amount=20", "currency=USD", "category=TOOLS", "date=2024-01-09")
	s := w.compute(settings(t, "2024-03-15", "plan"))
	check := func(tbl warehouse.Table, vals []any) {
		t.Helper()
		require.Len(t, vals, len(tbl.Columns), tbl.Name)
		for i, c := range tbl.Columns {
			v := vals[i]
			if v == nil {
				assert.False(t, c.NotNull, "%s.%s is NOT NULL", tbl.Name, c.Name)
				continue
			}
			var ok bool
			switch c.Type {
			case warehouse.Text:
				_, ok = v.(string)
			case warehouse.Date:
				_, ok = v.(canonical.Date)
			case warehouse.Money, warehouse.Rate:
				_, ok = v.(decimal.Decimal)
			case warehouse.Integer:
				_, ok = v.(int64)
			case warehouse.Boolean:
				_, ok = v.(bool)
			}
			assert.True(t, ok, "%s.%s: %T", tbl.Name, c.Name, v)
		}
	}
	require.NotEmpty(t, s.movements)
	require.NotEmpty(t, s.mrr)
	require.NotEmpty(t, s.cohorts)
	for _, m := range s.movements {
		check(warehouse.MRRMovements, m.Values())
	}
	for _, c := range s.mrr {
		check(warehouse.CustomerMRR, c.Values())
	}
	for _, r := range s.metrics {
		if r.Monthly {
			assert.Equal(t, warehouse.MetricsMonthly.Name, r.Table())
			check(warehouse.MetricsMonthly, r.Values(true))
		} else {
			assert.Equal(t, warehouse.MetricsDaily.Name, r.Table())
			check(warehouse.MetricsDaily, r.Values(false))
		}
	}
	for _, c := range s.cohorts {
		check(warehouse.Cohorts, c.Values())
	}
}
