package metrics

import (
	"context"
	"fmt"
	"testing"

	"github.com/revsync/revsync/canonical"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oracleRev is a revision as the brute-force oracle sees it.
type oracleRev struct {
	start, end   canonical.Date
	native, conv int64
	cur          string
	invDate      canonical.Date
	invID        string
}

func (a oracleRev) after(b oracleRev) bool {
	if a.start != b.start {
		return a.start > b.start
	}
	if a.invDate != b.invDate {
		return a.invDate > b.invDate
	}
	return a.invID > b.invID
}

// oracleMovements recomputes one customer's movements day by day, straight from the
// wording of SPEC §3–§4, reusing only the unit-tested line_mrr and fx helpers.
func oracleMovements(t *testing.T, e *engine, cd *CustomerData) []string {
	t.Helper()
	inv := map[string]*canonical.Invoice{}
	for _, in := range cd.Invoices {
		inv[in.ExternalID] = in
	}
	subs := map[string]map[string]*oracleRev{} // sub → (invoice|start) → revision
	referenced := map[string]bool{}
	for _, l := range cd.Lines {
		in := inv[l.InvoiceExternalID]
		if l.SubscriptionExternalID != "" {
			referenced[l.SubscriptionExternalID] = true
		}
		if in == nil || !e.included(in) || l.Type != "subscription" || l.Amount.IsNegative() ||
			l.Amount.Sub(l.TaxAmount).IsNegative() {
			continue
		}
		exp := canonical.Exponent(in.Currency)
		amt, _ := toRat(l.Amount, exp)
		tax, _ := toRat(l.TaxAmount, exp)
		net, _ := amt.sub(tax)
		m, err := e.lineMRR(&planMemo{}, l, net)
		require.NoError(t, err)
		key := in.ExternalID + "|" + l.ServicePeriodStart.String()
		if subs[l.SubscriptionExternalID] == nil {
			subs[l.SubscriptionExternalID] = map[string]*oracleRev{}
		}
		r := subs[l.SubscriptionExternalID][key]
		if r == nil {
			r = &oracleRev{start: *l.ServicePeriodStart, end: *l.ServicePeriodEnd, cur: in.Currency, invDate: in.Date, invID: in.ExternalID}
			subs[l.SubscriptionExternalID][key] = r
		}
		r.native += m
		r.end = max(r.end, *l.ServicePeriodEnd)
	}
	cancel := map[string]canonical.Date{}
	for _, s := range cd.Subscriptions {
		if s.CancelledAt != nil {
			cancel[s.ExternalID] = canonical.DateOf(*s.CancelledAt)
		}
		if s.Amount != nil && !referenced[s.ExternalID] {
			var trials []piece
			r, err := e.selfPriced(s, &trials)
			require.NoError(t, err)
			if r != nil {
				subs[s.ExternalID] = map[string]*oracleRev{"": {start: r.start, end: e.horizon, native: r.native, cur: r.cur, invDate: r.start}}
			}
		}
	}
	for _, re := range cd.RevenueEntries {
		if re.Type == "subscription" {
			minor, err := canonical.ToMinor(re.Amount, re.Currency)
			require.NoError(t, err)
			subs["rev:"+re.ExternalID] = map[string]*oracleRev{"": {start: re.Date, end: re.Date.AddInterval(canonical.Month, 1),
				native: minor, cur: re.Currency, invDate: re.Date, invID: re.ExternalID}}
		}
	}
	for _, revs := range subs {
		for _, r := range revs {
			c, err := e.fx.convert(r.native, r.cur, r.start)
			require.NoError(t, err)
			r.conv = c
		}
	}
	onDay := func(sub string, d canonical.Date) *oracleRev {
		if c, ok := cancel[sub]; ok && d >= c {
			return nil
		}
		var best *oracleRev
		for _, r := range subs[sub] {
			covers := r.start <= d && d < r.end
			if e.s.SubscriptionEnd == EndCancellation {
				covers = r.start <= d
			}
			if covers && (best == nil || r.after(*best)) {
				best = r
			}
		}
		return best
	}
	var out []string
	var prev int64
	had := false
	for d := canonical.NewDate(2020, 1, 1); d <= e.asOf; d++ {
		var total, fx int64
		for sub := range subs {
			b := onDay(sub, d)
			if b == nil {
				continue
			}
			total += b.conv
			if a := onDay(sub, d-1); a != nil && a != b && a.cur == b.cur && a.native == b.native && b.native > 0 {
				fx += b.conv - a.conv
			}
		}
		if total != prev {
			business := total - prev - fx
			if business != 0 {
				mid := prev + business
				typ := Contraction
				switch {
				case prev == 0 && had:
					typ = Reactivation
				case prev == 0:
					typ = NewBusiness
				case mid == 0:
					typ = Churn
				case mid > prev:
					typ = Expansion
				}
				out = append(out, fmt.Sprintf("%s %s %d", d, typ, business))
			}
			if fx != 0 {
				out = append(out, fmt.Sprintf("%s %s %d", d, FXAdjustment, fx))
			}
			if total > 0 {
				had = true
			}
			prev = total
		}
	}
	return out
}

func TestOracle_MovementsMatchADayByDayRecomputation(t *testing.T) {
	const n = 250
	ref := genReference()
	cust := make([]*CustomerData, n)
	for i := range cust {
		cust[i] = genCustomer(i)
	}
	for _, mode := range []Settings{
		{AsOf: genAsOf},
		{AsOf: genAsOf, SubscriptionEnd: EndCancellation},
		{AsOf: genAsOf, ExcludeUnpaid: true, ReportingCurrency: "EUR"},
	} {
		name := fmt.Sprintf("end=%s/exclude_unpaid=%v/%s", mode.SubscriptionEnd, mode.ExcludeUnpaid, mode.ReportingCurrency)
		t.Run(name, func(t *testing.T) {
			r := ref
			if mode.ReportingCurrency == "EUR" {
				r = eurReference(ref)
			}
			sink := &collectSink{}
			_, err := Compute(context.Background(), mode, sliceInput{r, cust}, sink)
			require.NoError(t, err)
			got := map[string][]string{}
			for _, m := range sink.movements {
				got[m.CustomerExternalID] = append(got[m.CustomerExternalID], fmt.Sprintf("%s %s %d", m.Date, m.Type, m.Amount))
			}
			e, err := newEngine(mode, r)
			require.NoError(t, err)
			checked := 0
			for _, cd := range cust {
				want := oracleMovements(t, e, cd)
				if !assert.Equal(t, want, got[cd.Key.ExternalID], cd.Key.ExternalID) {
					return
				}
				checked += len(want)
			}
			require.Greater(t, checked, 1000)
		})
	}
}

// eurReference re-expresses the generated rates with EUR as the reporting currency.
func eurReference(ref *Reference) *Reference {
	out := *ref
	out.FXRates = nil
	eur := map[canonical.Date]*canonical.FXRate{}
	for _, f := range ref.FXRates {
		if f.Currency == "EUR" {
			eur[f.Date] = f
		}
	}
	for _, f := range ref.FXRates {
		base := eur[f.Date]
		if f.Currency == "EUR" {
			usd := *f
			usd.Currency = "USD"
			usd.Rate = canonicalOne.DivRound(f.Rate, 12)
			out.FXRates = append(out.FXRates, &usd)
			continue
		}
		x := *f
		x.Rate = f.Rate.DivRound(base.Rate, 12)
		out.FXRates = append(out.FXRates, &x)
	}
	return &out
}

var canonicalOne = decimal.New(1, 0)

func TestOracle_MonthlyRatesAndCohortsFromCustomerMRR(t *testing.T) {
	ref, cust := genSet(400)
	s := Settings{AsOf: genAsOf}
	sink, sum := run(t, s, sliceInput{ref, cust})
	type iv struct {
		from, to canonical.Date // to exclusive; asOf+1 when open
		mrr      int64
	}
	byCust := map[string][]iv{}
	for _, c := range sink.mrr {
		to := genAsOf + 1
		if c.ValidTo != nil {
			to = *c.ValidTo
		}
		byCust[c.CustomerExternalID] = append(byCust[c.CustomerExternalID], iv{c.ValidFrom, to, c.MRR})
	}
	at := func(ivs []iv, d canonical.Date) int64 {
		for _, x := range ivs {
			if x.from <= d && d < x.to {
				return x.mrr
			}
		}
		return 0
	}
	monthEnd := func(m int32) canonical.Date { return min(monthLastDay(m), genAsOf) }
	first := monthIndex(sum.FirstDay)
	last := monthIndex(genAsOf)
	checked := 0
	for m := first; m <= last; m++ {
		var startCust, churned, startSum, endSum, minSum, s12, e12, m12 int64
		for _, ivs := range byCust {
			st, en, st12 := at(ivs, monthFirstDay(m)-1), at(ivs, monthEnd(m)), at(ivs, monthLastDay(m-12))
			if st > 0 {
				startCust++
				startSum += st
				endSum += en
				minSum += min(st, en)
				if en == 0 {
					churned++
				}
			}
			if st12 > 0 {
				s12 += st12
				e12 += en
				m12 += min(st12, en)
			}
		}
		r := monthRow(t, sink, All, All, monthFirstDay(m).String())
		assert.Equal(t, dec(ratio(churned, startCust)), dec(r.CustomerChurnRate), "customer churn %s", r.Period)
		assert.Equal(t, dec(ratio(endSum, startSum)), dec(r.NRR), "nrr %s", r.Period)
		assert.Equal(t, dec(ratio(minSum, startSum)), dec(r.GRR), "grr %s", r.Period)
		assert.Equal(t, dec(ratio(e12, s12)), dec(r.NRR12m), "nrr_12m %s", r.Period)
		assert.Equal(t, dec(ratio(m12, s12)), dec(r.GRR12m), "grr_12m %s", r.Period)
		checked++
	}
	require.Greater(t, checked, 30)

	// Cohorts: each customer's cohort is the month of its first MRR.
	type ck struct {
		cohort int32
		k      int64
	}
	want := map[ck][3]int64{} // customers, active, mrr
	for _, ivs := range byCust {
		c := monthIndex(ivs[0].from)
		for k := int64(0); c+int32(k) <= last; k++ {
			v := at(ivs, monthEnd(c+int32(k)))
			w := want[ck{c, k}]
			w[0]++
			if v > 0 {
				w[1]++
				w[2] += v
			}
			want[ck{c, k}] = w
		}
	}
	require.Len(t, sink.cohorts, len(want))
	for _, r := range sink.cohorts {
		w := want[ck{monthIndex(r.CohortMonth), r.MonthOffset}]
		assert.Equal(t, w, [3]int64{r.CohortCustomers, r.ActiveCustomers, r.MRR}, "%s+%d", r.CohortMonth, r.MonthOffset)
		assert.Equal(t, want[ck{monthIndex(r.CohortMonth), 0}][2], r.StartingMRR)
	}
}
