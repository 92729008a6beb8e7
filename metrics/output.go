package metrics

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/revsync/revsync/canonical"
	"github.com/shopspring/decimal"
)

// period holds everything one metric row is computed from.
type period struct {
	mrrStart, mrrEnd   int64
	custStart, custEnd int64
	mov, cnt           [nTypes]int64
	churnFromStart     int64
	startSum, endSum   int64
	minSum             int64
	start12, end12     int64
	min12              int64
	trial              *int64
	cash               *[nCash]decimal.Decimal
	costs              *decimal.Decimal
}

// row renders SPEC §5 for one period.
func (p *period) row(monthly bool) MetricRow {
	r := MetricRow{Monthly: monthly}
	r.MRR, r.ARR, r.Customers = ptr(p.mrrEnd), ptr(12*p.mrrEnd), ptr(p.custEnd)
	r.NewBusinessMRR, r.ExpansionMRR = ptr(p.mov[tNew]), ptr(p.mov[tExp])
	r.ContractionMRR, r.ChurnMRR = ptr(p.mov[tCon]), ptr(p.mov[tChurn])
	r.ReactivationMRR, r.FXAdjustmentMRR = ptr(p.mov[tReact]), ptr(p.mov[tFX])
	var net int64
	for _, v := range p.mov {
		net += v
	}
	r.NetNewMRR = ptr(net)
	r.NewCustomers, r.ChurnedCustomers, r.ReactivatedCustomers = ptr(p.cnt[tNew]), ptr(p.cnt[tChurn]), ptr(p.cnt[tReact])
	r.ARPA = quotient(p.mrrEnd, p.custEnd)
	r.ASP = quotient(p.mov[tNew], p.cnt[tNew])
	r.CustomerChurnRate = ratio(p.churnFromStart, p.custStart)
	lost := p.mov[tChurn] + p.mov[tCon]
	r.GrossMRRChurnRate = ratio(-lost, p.mrrStart)
	r.NetMRRChurnRate = ratio(-(lost + p.mov[tExp] + p.mov[tReact]), p.mrrStart)
	r.NRR = ratio(p.endSum, p.startSum)
	r.GRR = ratio(p.minSum, p.startSum)
	if monthly {
		r.NRR12m = ratio(p.end12, p.start12)
		r.GRR12m = ratio(p.min12, p.start12)
		if p.custEnd > 0 && p.churnFromStart > 0 {
			if d, ok := mul64(p.custEnd, p.churnFromStart); ok {
				if v, err := mulDivRound(p.mrrEnd, p.custStart, d); err == nil {
					r.LTV = &v
				}
			}
		}
	}
	r.QuickRatio = ratio(p.mov[tNew]+p.mov[tExp]+p.mov[tReact], -lost)
	r.TrialingCustomers = p.trial
	if p.cash != nil {
		r.InvoicedRevenue = ptr(roundDecimal(p.cash[cashInvoiced]))
		r.Payments = ptr(roundDecimal(p.cash[cashPayments]))
		r.Refunds = ptr(roundDecimal(p.cash[cashRefunds]))
		if p.costs != nil {
			r.Costs = ptr(roundDecimal(*p.costs))
			r.NetCashFlow = ptr(roundDecimal(p.cash[cashPayments].Sub(p.cash[cashRefunds]).Sub(*p.costs)))
		}
	}
	return r
}

// output writes metric and cohort rows once every customer is aggregated.
func (e *engine) output(a *aggregator, out Sink, sum *Summary) error {
	if !a.hasFirst || a.firstDay > e.asOf {
		return nil
	}
	sum.FirstDay = a.firstDay
	m0 := monthIndex(a.firstDay)
	emit := func(r MetricRow) error {
		sum.MetricRows++
		if err := out.Metric(r); err != nil {
			return fmt.Errorf("metrics: writing metric row: %w", err)
		}
		return nil
	}
	costs, costsByCat, err := e.costs(monthFirstDay(m0))
	if err != nil {
		return err
	}
	// The daily rows are computed on another core while the monthly ones are written,
	// then written after them: the same rows in the same order. Computing them can
	// only fail before the first row (a missing rate), and that error is reported
	// where it was when days were computed in turn: after the monthly rows.
	type dailyResult struct {
		rows []MetricRow
		sum  Summary
		err  error
	}
	dailyDone := make(chan dailyResult, 1)
	go func() {
		var d dailyResult
		d.err = e.daily(a, costs, func(r MetricRow) error { d.rows = append(d.rows, r); return nil }, &d.sum)
		dailyDone <- d
	}()
	waitDaily := func() dailyResult { return <-dailyDone }
	defer func() {
		if waitDaily != nil {
			waitDaily()
		}
	}()
	// Monthly: the whole business, then each dimension's segments.
	if err := e.monthly(a.all, All, All, e.s.ReportingCurrency, true, costs, m0, emit); err != nil {
		return err
	}
	for di, d := range e.dims {
		segs := make([]string, 0, len(a.dims[di]))
		for s := range a.dims[di] {
			segs = append(segs, s)
		}
		slices.Sort(segs)
		for _, s := range segs {
			cur := e.s.ReportingCurrency
			if d.kind == dimCurrency {
				cur = s
			}
			if err := e.monthly(a.dims[di][s], d.name, s, cur, d.customerLevel(), nil, m0, emit); err != nil {
				return err
			}
		}
	}
	cats := make([]string, 0, len(costsByCat))
	for c := range costsByCat {
		cats = append(cats, c)
	}
	slices.Sort(cats)
	for _, c := range cats {
		for m := m0; m <= e.lastMonth; m++ {
			v := roundDecimal(costsByCat[c][m])
			if err := emit(MetricRow{Monthly: true, Period: monthFirstDay(m), Dimension: CostCategory, Segment: c,
				Currency: e.s.ReportingCurrency, IsPartial: e.partialMonth(m), Costs: &v}); err != nil {
				return err
			}
		}
	}
	d := waitDaily()
	waitDaily = nil
	if d.err != nil {
		return d.err
	}
	for _, r := range d.rows {
		if err := emit(r); err != nil {
			return err
		}
	}
	sum.MRR, sum.Customers = d.sum.MRR, d.sum.Customers
	return e.cohortRows(a, out, sum)
}

func (e *engine) partialMonth(m int32) bool { return m == e.lastMonth && monthLastDay(m) != e.asOf }

// monthly emits one segment's monthly rows from month m0 to the as_of month.
func (e *engine) monthly(sa *segAgg, dim, seg, cur string, withCash bool, costs map[canonical.Date]decimal.Decimal,
	m0 int32, emit func(MetricRow) error) error {
	var cashByMonth map[int32]*[nCash]decimal.Decimal
	if withCash {
		var err error
		if cashByMonth, err = cashByGeneric(e, sa, monthFirstDay(m0), monthIndex); err != nil {
			return err
		}
	}
	costByMonth := map[int32]decimal.Decimal{}
	for d, v := range costs {
		m := monthIndex(d)
		costByMonth[m] = costByMonth[m].Add(v)
	}
	var mrr, cust, trial int64
	ti := len(sa.trial) - 1
	from := m0
	if oldest := e.lastMonth - int32(len(sa.months)) + 1; oldest < from {
		from = oldest
	}
	for m := from; m <= e.lastMonth; m++ {
		var mv monthVals
		if i := int(e.lastMonth - m); i < len(sa.months) {
			mv = sa.months[i]
		}
		p := period{mrrStart: mrr, custStart: cust}
		var net int64
		for t := range mv.mov {
			net += mv.mov[t]
		}
		mrr += net
		cust += mv.cnt[tNew] + mv.cnt[tReact] - mv.cnt[tChurn]
		if m < m0 {
			continue
		}
		p.mrrEnd, p.custEnd, p.mov, p.cnt = mrr, cust, mv.mov, mv.cnt
		p.churnFromStart, p.custStart = mv.churnFromStart, mv.startCust
		p.startSum, p.endSum, p.minSum = mv.startSum, mv.endSum, mv.minSum
		p.start12, p.end12, p.min12 = mv.start12, mv.end12, mv.min12
		if withCash {
			end := monthLastDay(m)
			if end > e.asOf {
				end = e.asOf
			}
			for ; ti >= 0 && e.asOf-canonical.Date(ti) <= end; ti-- {
				trial += sa.trial[ti]
			}
			p.trial = ptr(trial)
			c := cashByMonth[m]
			if c == nil {
				c = &[nCash]decimal.Decimal{}
			}
			p.cash = c
			if costs != nil {
				v := costByMonth[m]
				p.costs = &v
			}
		}
		r := p.row(true)
		r.Period, r.Dimension, r.Segment, r.Currency, r.IsPartial = monthFirstDay(m), dim, seg, cur, e.partialMonth(m)
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// daily emits the whole business's daily rows from the first MRR day to as_of.
func (e *engine) daily(a *aggregator, costs map[canonical.Date]decimal.Decimal, emit func(MetricRow) error, sum *Summary) error {
	sa := a.all
	cash, err := cashByGeneric(e, sa, a.firstDay, func(d canonical.Date) canonical.Date { return d })
	if err != nil {
		return err
	}
	var mrr, cust, trial int64
	ti := len(sa.trial) - 1
	for d := a.firstDay; d <= e.asOf; d++ {
		for ; ti >= 0 && e.asOf-canonical.Date(ti) <= d; ti-- {
			trial += sa.trial[ti]
		}
		var dv dayVals
		if i := int(e.asOf - d); i < len(sa.days) {
			dv = sa.days[i]
		}
		p := period{mrrStart: mrr, custStart: cust, mov: dv.mov, cnt: dv.cnt}
		for _, v := range dv.mov {
			mrr += v
		}
		cust += dv.cnt[tNew] + dv.cnt[tReact] - dv.cnt[tChurn]
		p.mrrEnd, p.custEnd = mrr, cust
		p.churnFromStart = dv.cnt[tChurn]
		p.startSum, p.endSum, p.minSum = p.mrrStart, p.mrrStart+dv.retained, p.mrrStart+dv.grrLoss
		p.trial = ptr(trial)
		c := cash[d]
		if c == nil {
			c = &[nCash]decimal.Decimal{}
		}
		p.cash = c
		v := costs[d]
		p.costs = &v
		r := p.row(false)
		r.Period, r.Dimension, r.Segment, r.Currency = d, All, All, e.s.ReportingCurrency
		if err := emit(r); err != nil {
			return err
		}
	}
	sum.MRR, sum.Customers = mrr, int(cust)
	return nil
}

// cashByGeneric converts a segment's native cash amounts dated from `from` to as_of
// exactly, at the rate of each record's date, and sums them by the key bucket returns.
// Amounts sharing a bucket, currency, kind and rate row are summed natively first, so
// each group is converted once; the sums stay exact.
func cashByGeneric[K cmp.Ordered](e *engine, sa *segAgg, from canonical.Date, bucket func(canonical.Date) K) (map[K]*[nCash]decimal.Decimal, error) {
	type group struct {
		b    K
		cur  uint32
		kind uint8
		rate canonical.Date // date of the rate row used; 0 when no conversion
	}
	// Within one (currency, kind) the days are visited in order, so the bucket and the
	// rate row change monotonically: equal groups are adjacent and sum in place.
	type groupSum struct {
		g group
		v int64
	}
	var groups []groupSum
	for _, c := range sa.cash {
		cur := unpackCurrency(c.cur)
		for kind := range nCash {
			start := len(groups)
			for i := range c.days {
				v := c.days[i][kind]
				day := e.asOf - canonical.Date(i)
				if day < from || v == 0 {
					continue
				}
				g := group{b: bucket(day), cur: c.cur, kind: uint8(kind)}
				if cur != e.s.ReportingCurrency {
					r, err := e.fx.lookup(cur, day)
					if err != nil {
						return nil, err
					}
					g.rate = r.date
				}
				if n := len(groups); n > start && groups[n-1].g == g {
					groups[n-1].v += v
				} else {
					groups = append(groups, groupSum{g, v})
				}
			}
		}
	}
	slices.SortFunc(groups, func(xs, ys groupSum) int {
		x, y := &xs.g, &ys.g
		if c := cmp.Compare(x.b, y.b); c != 0 {
			return c
		}
		if c := cmp.Compare(x.cur, y.cur); c != 0 {
			return c
		}
		if c := cmp.Compare(x.kind, y.kind); c != 0 {
			return c
		}
		return cmp.Compare(x.rate, y.rate)
	})
	out := map[K]*[nCash]decimal.Decimal{}
	for _, gs := range groups {
		g := gs.g
		cur := unpackCurrency(g.cur)
		v := decimal.New(gs.v, 0)
		if cur != e.s.ReportingCurrency {
			r, err := e.fx.lookup(cur, g.rate)
			if err != nil {
				return nil, err
			}
			v = r.exact(gs.v, canonical.Exponent(cur), e.fx.repExp)
		}
		acc := out[g.b]
		if acc == nil {
			acc = &[nCash]decimal.Decimal{}
			out[g.b] = acc
		}
		acc[g.kind] = acc[g.kind].Add(v)
	}
	return out, nil
}

// exact converts minor units of currency on day d to unrounded reporting minor units.
func (e *engine) exact(minor int64, currency string, d canonical.Date) (decimal.Decimal, error) {
	if currency == e.s.ReportingCurrency {
		return decimal.New(minor, 0), nil
	}
	r, err := e.fx.lookup(currency, d)
	if err != nil {
		return decimal.Decimal{}, err
	}
	return r.exact(minor, canonical.Exponent(currency), e.fx.repExp), nil
}

// costs converts the costs dated from `from` to as_of, by day and by category and month.
func (e *engine) costs(from canonical.Date) (map[canonical.Date]decimal.Decimal, map[string]map[int32]decimal.Decimal, error) {
	byDay := map[canonical.Date]decimal.Decimal{}
	byCat := map[string]map[int32]decimal.Decimal{}
	for _, c := range e.ref.Costs {
		if c.Date < from || c.Date > e.asOf {
			continue
		}
		minor, err := canonical.ToMinor(c.Amount, c.Currency)
		if err != nil {
			return nil, nil, fmt.Errorf("metrics: costs '%s': %w", c.ExternalID, err)
		}
		v, err := e.exact(minor, c.Currency, c.Date)
		if err != nil {
			return nil, nil, err
		}
		byDay[c.Date] = byDay[c.Date].Add(v)
		if byCat[c.Category] == nil {
			byCat[c.Category] = map[int32]decimal.Decimal{}
		}
		m := monthIndex(c.Date)
		byCat[c.Category][m] = byCat[c.Category][m].Add(v)
	}
	return byDay, byCat, nil
}

// cohortRows writes the cohorts table (SPEC §5).
func (e *engine) cohortRows(a *aggregator, out Sink, sum *Summary) error {
	months := make([]int32, 0, len(a.cohorts))
	for m := range a.cohorts {
		if m <= e.lastMonth {
			months = append(months, m)
		}
	}
	slices.Sort(months)
	for _, m := range months {
		c := a.cohorts[m]
		var start int64
		if len(c.mrr) > 0 {
			start = c.mrr[0]
		}
		for k := int32(0); m+k <= e.lastMonth; k++ {
			var active, mrr int64
			if int(k) < len(c.active) {
				active, mrr = c.active[k], c.mrr[k]
			}
			r := CohortRow{CohortMonth: monthFirstDay(m), MonthOffset: int64(k), CohortCustomers: c.customers,
				ActiveCustomers: active, StartingMRR: start, MRR: mrr,
				CustomerRetention: ratio(active, c.customers), MRRRetention: ratio(mrr, start),
				Currency: e.s.ReportingCurrency}
			sum.CohortRows++
			if err := out.Cohort(r); err != nil {
				return fmt.Errorf("metrics: writing cohort row: %w", err)
			}
		}
	}
	return nil
}
