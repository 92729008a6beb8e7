package metrics

import (
	"github.com/revsync/revsync/canonical"
)

// monthVals are the additive monthly aggregates of one segment.
type monthVals struct {
	mov [nTypes]int64
	cnt [nTypes]int64
	// Evaluated per customer at the month ends (SPEC §5 "at the start of month m" is the
	// end of month m−1).
	startCust, churnFromStart int64
	startSum, endSum, minSum  int64
	start12, end12, min12     int64
}

// dayVals are the additive daily aggregates of the whole business.
type dayVals struct {
	mov               [nTypes]int64
	cnt               [nTypes]int64
	retained, grrLoss int64
}

// segAgg aggregates one (dimension, segment), or the whole business.
type segAgg struct {
	months []monthVals // index: lastMonth − month
	days   []dayVals   // whole business only; index: asOf − day
	trial  []int64     // change of trialing customers on a day; index: asOf − day
	cash   []curCash
}

// curCash holds one currency's native cash amounts by day (index asOf − day) and kind;
// the kinds of a day share a cache line, as an invoice and its payment mostly do.
type curCash struct {
	cur  uint32
	days [][nCash]int64
}

// addCash adds native minor units of cash on a day.
func (s *segAgg) addCash(asOf canonical.Date, k cashKey, minor int64) {
	var c *curCash
	for i := range s.cash {
		if s.cash[i].cur == k.cur {
			c = &s.cash[i]
			break
		}
	}
	if c == nil {
		s.cash = append(s.cash, curCash{cur: k.cur})
		c = &s.cash[len(s.cash)-1]
	}
	i := int(asOf - k.day)
	if i >= len(c.days) {
		c.days = grow(c.days, i+1)
	}
	c.days[i][k.kind] += minor
}

// mergeCash adds b's cash amounts into s.
func (s *segAgg) mergeCash(b *segAgg) {
	for _, c := range b.cash {
		for i := range c.days {
			for kind, v := range c.days[i] {
				if v != 0 {
					s.addCash(0, cashKey{day: canonical.Date(-i), cur: c.cur, kind: uint8(kind)}, v)
				}
			}
		}
	}
}

// cohortAgg aggregates one cohort; index k is the month offset.
type cohortAgg struct {
	customers   int64
	active, mrr []int64
}

// aggregator holds one worker's aggregates; aggregators merge by addition.
type aggregator struct {
	_         [64]byte // padding: workers write their aggregator's fields constantly
	e         *engine
	all       *segAgg
	dims      []map[string]*segAgg
	cohorts   map[int32]*cohortAgg
	firstDay  canonical.Date
	hasFirst  bool
	vals      []int64 // scratch: month-end values of the last series evaluated
	endsFirst int32   // month index of vals[0]
	_         [64]byte
}

func newAggregator(e *engine) *aggregator {
	a := &aggregator{e: e, all: newSegAgg(), cohorts: map[int32]*cohortAgg{}}
	a.dims = make([]map[string]*segAgg, len(e.dims))
	for i := range a.dims {
		a.dims[i] = map[string]*segAgg{}
	}
	return a
}

// paddedSegAgg keeps one worker's segment headers off the cache lines of another's.
type paddedSegAgg struct {
	_ [64]byte
	segAgg
	_ [64]byte
}

func newSegAgg() *segAgg { return &(&paddedSegAgg{}).segAgg }

// segment returns the aggregate of segment seg of dimension di.
func (a *aggregator) segment(di int, seg string) *segAgg {
	s := a.dims[di][seg]
	if s == nil {
		s = newSegAgg()
		a.dims[di][seg] = s
	}
	return s
}

func (s *segAgg) month(last, m int32) *monthVals {
	i := int(last - m)
	if i >= len(s.months) {
		s.months = grow(s.months, i+1)
	}
	return &s.months[i]
}

func (s *segAgg) day(asOf, d canonical.Date) *dayVals {
	i := int(asOf - d)
	if i >= len(s.days) {
		s.days = grow(s.days, i+1)
	}
	return &s.days[i]
}

func (s *segAgg) addTrial(asOf, d canonical.Date, delta int64) {
	i := int(asOf - d)
	if i >= len(s.trial) {
		s.trial = grow(s.trial, i+1)
	}
	s.trial[i] += delta
}

func grow[T any](s []T, n int) []T {
	if n <= cap(s) {
		return s[:n]
	}
	c := 2 * cap(s)
	if c < n {
		c = n
	}
	out := make([]T, n, c)
	copy(out, s)
	return out
}

// addCash adds cash to the customer's segments and, when there are none, to the whole
// business; otherwise the whole business's cash is the sum of the segments of the
// first customer-level dimension (every customer is in exactly one), added up once by
// cashFromSegments.
func (a *aggregator) addCash(custAggs []*segAgg, k cashKey, minor int64) {
	if len(custAggs) == 0 {
		a.all.addCash(a.e.asOf, k, minor)
	}
	for _, sa := range custAggs {
		sa.addCash(a.e.asOf, k, minor)
	}
}

func (a *aggregator) addTrials(custAggs []*segAgg, spans []piece) {
	e := a.e
	for _, p := range spans {
		for t := -1; t < len(custAggs); t++ {
			sa := a.all
			if t >= 0 {
				sa = custAggs[t]
			}
			sa.addTrial(e.asOf, p.from, 1)
			if p.to <= e.asOf {
				sa.addTrial(e.asOf, p.to, -1)
			}
		}
	}
}

// addSeries adds one (customer, segment) history: its movements by month (and by day
// for the whole business), the month-end evaluations behind churn rates and NRR/GRR,
// and, for the whole business, the customer's cohort.
func (a *aggregator) addSeries(sa *segAgg, s *series, daily, cohort bool) {
	a.addSeriesEnds(sa, s, daily, cohort, false)
}

// addSeriesEnds is addSeries; with reuse it takes the month-end values computed by the
// previous call for the same series.
func (a *aggregator) addSeriesEnds(sa *segAgg, s *series, daily, cohort, reuse bool) {
	e := a.e
	last := e.lastMonth
	for _, m := range s.movs {
		mv := sa.month(last, monthIndex(m.date))
		mv.mov[m.typ] += m.after - m.before
		mv.cnt[m.typ]++
		if daily {
			dv := sa.day(e.asOf, m.date)
			dv.mov[m.typ] += m.after - m.before
			dv.cnt[m.typ]++
		}
	}
	pts := s.points
	if daily {
		if !a.hasFirst || pts[0].date < a.firstDay {
			a.firstDay, a.hasFirst = pts[0].date, true
		}
		var before int64
		for _, p := range pts {
			if before > 0 {
				dv := sa.day(e.asOf, p.date)
				dv.retained += p.mrr - before
				dv.grrLoss += min(p.mrr, before) - before
			}
			before = p.mrr
		}
	}
	first, vals := a.endsFirst, a.vals
	if !reuse {
		first, vals = a.monthEnds(s)
	}
	n := len(vals)
	for k := 0; k < n; k++ {
		m := first + int32(k)
		var st, s12 int64
		if k >= 1 {
			st = vals[k-1]
		}
		if k >= 12 {
			s12 = vals[k-12]
		}
		en := vals[k]
		if st == 0 && s12 == 0 {
			continue
		}
		mv := sa.month(last, m)
		if st > 0 {
			mv.startCust++
			mv.startSum += st
			mv.endSum += en
			mv.minSum += min(st, en)
			if en == 0 {
				mv.churnFromStart++
			}
		}
		if s12 > 0 {
			mv.start12 += s12
			mv.end12 += en
			mv.min12 += min(s12, en)
		}
	}
	if cohort {
		c := a.cohorts[first]
		if c == nil {
			c = &cohortAgg{}
			a.cohorts[first] = c
		}
		c.customers++
		if len(c.active) < n {
			c.active = grow(c.active, n)
			c.mrr = grow(c.mrr, n)
		}
		for k := 0; k < n; k++ {
			if vals[k] > 0 {
				c.active[k]++
				c.mrr[k] += vals[k]
			}
		}
	}
}

// monthEnds returns the series' MRR at the end of each month from its first month, as
// far as later months can still matter (12 months after it drops to 0 for good).
func (a *aggregator) monthEnds(s *series) (int32, []int64) {
	e := a.e
	last := e.lastMonth
	pts := s.points
	first := monthIndex(pts[0].date)
	limit := last
	if lp := pts[len(pts)-1]; lp.mrr == 0 {
		if l := monthIndex(lp.date) + 12; l < limit {
			limit = l
		}
	}
	vals := a.vals[:0]
	j, cur := 0, int64(0)
	for m := first; m <= limit; m++ {
		end := monthLastDay(m)
		if end > e.asOf {
			end = e.asOf
		}
		for j < len(pts) && pts[j].date <= end {
			cur = pts[j].mrr
			j++
		}
		vals = append(vals, cur)
	}
	a.vals = vals
	a.endsFirst = first
	return first, vals
}

// merge adds b into a.
func (a *aggregator) merge(b *aggregator) {
	a.all.merge(b.all)
	for i := range a.dims {
		for k, v := range b.dims[i] {
			if s := a.dims[i][k]; s != nil {
				s.merge(v)
			} else {
				a.dims[i][k] = v
			}
		}
	}
	for k, v := range b.cohorts {
		c := a.cohorts[k]
		if c == nil {
			a.cohorts[k] = v
			continue
		}
		c.customers += v.customers
		if len(c.active) < len(v.active) {
			c.active = grow(c.active, len(v.active))
			c.mrr = grow(c.mrr, len(v.mrr))
		}
		for i := range v.active {
			c.active[i] += v.active[i]
			c.mrr[i] += v.mrr[i]
		}
	}
	if b.hasFirst && (!a.hasFirst || b.firstDay < a.firstDay) {
		a.firstDay, a.hasFirst = b.firstDay, true
	}
}

func (s *segAgg) merge(b *segAgg) {
	if len(s.months) < len(b.months) {
		s.months = grow(s.months, len(b.months))
	}
	for i := range b.months {
		x, y := &s.months[i], &b.months[i]
		for t := range x.mov {
			x.mov[t] += y.mov[t]
			x.cnt[t] += y.cnt[t]
		}
		x.startCust += y.startCust
		x.churnFromStart += y.churnFromStart
		x.startSum += y.startSum
		x.endSum += y.endSum
		x.minSum += y.minSum
		x.start12 += y.start12
		x.end12 += y.end12
		x.min12 += y.min12
	}
	if len(s.days) < len(b.days) {
		s.days = grow(s.days, len(b.days))
	}
	for i := range b.days {
		x, y := &s.days[i], &b.days[i]
		for t := range x.mov {
			x.mov[t] += y.mov[t]
			x.cnt[t] += y.cnt[t]
		}
		x.retained += y.retained
		x.grrLoss += y.grrLoss
	}
	if len(s.trial) < len(b.trial) {
		s.trial = grow(s.trial, len(b.trial))
	}
	for i := range b.trial {
		s.trial[i] += b.trial[i]
	}
	s.mergeCash(b)
}

// cashFromSegments fills the whole business's cash from the segments of the first
// customer-level dimension (see addCash); a no-op without customer-level dimensions.
func (a *aggregator) cashFromSegments() {
	if len(a.e.custDims) == 0 {
		return
	}
	for _, sa := range a.dims[a.e.custDims[0]] {
		a.all.mergeCash(sa)
	}
}

// calendar caches month indices and first days for 1950-01-01 … 2149-12-31, the range
// every realistic billing date falls in; dates outside use the civil computation.
var calendar = func() (c struct {
	first    canonical.Date
	monthOf  []int32
	m0       int32
	firstDay []canonical.Date
}) {
	c.first = canonical.Date(daysFromCivil(1950, 1, 1))
	last := canonical.Date(daysFromCivil(2150, 1, 1))
	c.monthOf = make([]int32, last-c.first)
	c.m0 = 1950 * 12
	for d := c.first; d < last; d++ {
		y, m, _ := civil(int64(d))
		c.monthOf[d-c.first] = int32(y*12 + m - 1)
	}
	for m := c.m0; m <= 2150*12; m++ {
		c.firstDay = append(c.firstDay, canonical.Date(daysFromCivil(int64(m)/12, int64(m)%12+1, 1)))
	}
	return c
}()

// monthIndex returns year×12 + month−1 of a day.
func monthIndex(d canonical.Date) int32 {
	if i := int(d - calendar.first); i >= 0 && i < len(calendar.monthOf) {
		return calendar.monthOf[i]
	}
	y, m, _ := civil(int64(d))
	return int32(y*12 + m - 1)
}

// monthFirstDay returns the first day of month index m.
func monthFirstDay(m int32) canonical.Date {
	if i := int(m - calendar.m0); i >= 0 && i < len(calendar.firstDay) {
		return calendar.firstDay[i]
	}
	y, mo := int64(m)/12, int64(m)%12+1
	return canonical.Date(daysFromCivil(y, mo, 1))
}

// monthLastDay returns the last day of month index m.
func monthLastDay(m int32) canonical.Date { return monthFirstDay(m+1) - 1 }

// civil converts days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant).
func civil(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era = (z - 146096) / 146097
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
