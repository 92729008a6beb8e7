package metrics

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/revsync/revsync/canonical"
	"github.com/shopspring/decimal"
)

// revision is a run of MRR of one subscription (SPEC §3 "Revisions").
type revision struct {
	start, end canonical.Date // end exclusive; horizon when open
	native     int64          // MRR in minor units of cur
	cur        string
	conv       int64 // MRR in minor units of the reporting currency
	invDate    canonical.Date
	invID      string
	mainMRR    int64
	mainID     string
	plan       string
	segs       []string // one per subscription-level dimension
}

// piece is a span of days on which a subscription is on one revision.
type piece struct {
	from, to canonical.Date
	rev      *revision
}

// subState collects one subscription's revisions.
type subState struct {
	id     string
	record *canonical.Subscription
	revs   []revision
	pieces []piece
}

// subLine is one MRR-carrying invoice line.
type subLine struct {
	sub      string
	inv      *canonical.Invoice
	sps, spe canonical.Date
	mrr      int64
	id       string
	plan     string
}

// The movement types as indices.
const (
	tNew = iota
	tExp
	tCon
	tChurn
	tReact
	tFX
	nTypes
)

var typeNames = [nTypes]string{NewBusiness, Expansion, Contraction, Churn, Reactivation, FXAdjustment}

// mov is one movement of a (customer, segment).
type mov struct {
	date          canonical.Date
	typ           uint8
	before, after int64
}

// point says the (customer, segment) MRR is mrr from date on.
type point struct {
	date canonical.Date
	mrr  int64
}

// series is the MRR history of one (customer, segment) in one view.
type series struct {
	seg    string
	movs   []mov
	points []point
}

// event is a change of one segment's MRR on one day.
type event struct {
	seg   int32 // index into the view's segment names
	date  canonical.Date
	delta int64
	fx    int64
}

// cashKind indexes the cash metrics.
const (
	cashInvoiced = iota
	cashPayments
	cashRefunds
	nCash
)

// cashKey groups native cash amounts until they are converted at output.
type cashKey struct {
	day  canonical.Date
	cur  uint32 // packCurrency
	kind uint8
}

// packCurrency packs an upper-case ISO 4217 code into an integer (cheap map keys).
func packCurrency(c string) uint32 {
	var v uint32
	for i := 0; i < len(c) && i < 4; i++ {
		v = v<<8 | uint32(c[i])
	}
	return v
}

// unpackCurrency reverses packCurrency.
func unpackCurrency(v uint32) string {
	var b [4]byte
	i := len(b)
	for ; v != 0 && i > 0; v >>= 8 {
		i--
		b[i] = byte(v)
	}
	return string(b[i:])
}

// invAcc accumulates one invoice's line totals.
type invAcc struct {
	net, gross int64
	hasLines   bool
}

// worker holds scratch buffers reused across customers.
type worker struct {
	e          *engine
	agg        *aggregator
	lines      []subLine
	events     []event
	subs       []subState
	revs       []revision
	segs       []string
	pieces     []piece
	inv        []invAcc
	movBuf     []mov
	ptBuf      []point
	series     []series
	custAggs   []*segAgg
	names      []string
	lastInv    int
	trials     []piece
	referenced []string
	bounds     []canonical.Date
	stack      []*revision
	memo       planMemo
	fxm        fxMemo
	revIdx     []int32          // scratch of sortRevisions
	revTmp     []revision       // scratch of sortRevisions
	lineTmp    []subLine        // scratch of sortLines
	ends       []canonical.Date // slab for customer_mrr valid_to, never reused
}

// process computes one customer: its rows (movements, customer_mrr), appended to b,
// and its additions to the worker's aggregates. On error b is left as it was.
func (w *worker) process(cd *CustomerData, b *batch) error {
	e := w.e
	sortByID(cd)
	if cap(w.inv) < len(cd.Invoices) {
		w.inv = make([]invAcc, len(cd.Invoices))
	}
	w.inv = w.inv[:len(cd.Invoices)]
	clear(w.inv)
	w.lastInv = 0
	w.lines, w.trials, w.referenced = w.lines[:0], w.trials[:0], w.referenced[:0]
	if err := w.readLines(cd); err != nil {
		return err
	}
	subs, err := w.buildSubscriptions(cd, w.referenced, &w.trials)
	if err != nil {
		return err
	}
	custAggs := w.custAggs[:0]
	for _, di := range e.custDims {
		custAggs = append(custAggs, w.agg.segment(di, customerSegment(e.dims[di], cd.Customer)))
	}
	w.custAggs = custAggs
	if err := w.addCustomerCash(cd, custAggs); err != nil {
		return err
	}
	// Trials: merged coverage, clipped to as_of.
	w.agg.addTrials(custAggs, mergeSpans(w.trials, e.horizon))

	// MRR views: the whole customer (movements, customer_mrr, customer-level segments),
	// then each subscription-level dimension.
	all := w.view(subs, -1)
	if len(all) == 1 {
		s := &all[0]
		w.agg.addSeries(w.agg.all, s, true, true)
		for _, sa := range custAggs {
			w.agg.addSeriesEnds(sa, s, false, false, true)
		}
		b.movements, b.mrrRows = w.rows(cd.Key, s, b.movements, b.mrrRows)
	}
	b.bounds = append(b.bounds, rowBounds{len(b.movements), len(b.mrrRows)})
	for si, di := range e.subDims {
		ss := w.view(subs, si)
		for i := range ss {
			w.agg.addSeries(w.agg.segment(di, ss[i].seg), &ss[i], false, false)
		}
	}
	return nil
}

// sortByID orders a customer's invoices and subscriptions by external_id when the
// Input did not (lookups binary-search them).
func sortByID(cd *CustomerData) {
	invByID := func(a, b *canonical.Invoice) int { return strings.Compare(a.ExternalID, b.ExternalID) }
	if !slices.IsSortedFunc(cd.Invoices, invByID) {
		cd.Invoices = slices.Clone(cd.Invoices)
		slices.SortFunc(cd.Invoices, invByID)
	}
	subByID := func(a, b *canonical.Subscription) int { return strings.Compare(a.ExternalID, b.ExternalID) }
	if !slices.IsSortedFunc(cd.Subscriptions, subByID) {
		cd.Subscriptions = slices.Clone(cd.Subscriptions)
		slices.SortFunc(cd.Subscriptions, subByID)
	}
}

// findInv returns the index of an invoice of the customer, or -1. Lines and
// transactions usually come in their invoices' order: it tries the last invoice found
// and the next one before searching.
func (w *worker) findInv(cd *CustomerData, id string) int {
	if w.lastInv < len(cd.Invoices) && cd.Invoices[w.lastInv].ExternalID == id {
		return w.lastInv
	}
	if n := w.lastInv + 1; n < len(cd.Invoices) && cd.Invoices[n].ExternalID == id {
		w.lastInv = n
		return n
	}
	i, ok := slices.BinarySearchFunc(cd.Invoices, id, func(v *canonical.Invoice, id string) int {
		return cmp.Compare(v.ExternalID, id)
	})
	if !ok {
		return -1
	}
	w.lastInv = i
	return i
}

// readLines computes line_mrr of every MRR-carrying line (into w.lines), invoice totals
// (w.inv), trial spans (w.trials) and the subscriptions lines name (w.referenced).
func (w *worker) readLines(cd *CustomerData) error {
	e := w.e
	for _, l := range cd.Lines {
		ii := w.findInv(cd, l.InvoiceExternalID)
		if ii < 0 {
			continue
		}
		in := cd.Invoices[ii]
		if id := l.SubscriptionExternalID; id != "" {
			if n := len(w.referenced); n == 0 || w.referenced[n-1] != id { // runs of one subscription
				w.referenced = append(w.referenced, id)
			}
		}
		exp := w.fxm.exponent(in.Currency)
		amt, err := toRat(l.Amount, exp)
		if err != nil {
			return fmt.Errorf("metrics: invoice_lines '%s': %w", l.ExternalID, err)
		}
		tax, err := toRat(l.TaxAmount, exp)
		if err != nil {
			return fmt.Errorf("metrics: invoice_lines '%s': %w", l.ExternalID, err)
		}
		net, err := amt.sub(tax)
		if err != nil {
			return fmt.Errorf("metrics: invoice_lines '%s': %w", l.ExternalID, err)
		}
		w.inv[ii].gross += amt.round()
		w.inv[ii].hasLines = true
		if !e.included(in) {
			continue
		}
		w.inv[ii].net += net.round()
		switch l.Type {
		case "trial":
			if l.ServicePeriodStart != nil && l.ServicePeriodEnd != nil {
				w.trials = append(w.trials, piece{from: *l.ServicePeriodStart, to: *l.ServicePeriodEnd})
			}
		case "subscription":
			if l.Amount.Sign() < 0 || net.n < 0 || l.ServicePeriodStart == nil || l.ServicePeriodEnd == nil {
				continue
			}
			m, err := e.lineMRR(&w.memo, l, net)
			if err != nil {
				return err
			}
			w.lines = append(w.lines, subLine{sub: l.SubscriptionExternalID, inv: in, sps: *l.ServicePeriodStart,
				spe: *l.ServicePeriodEnd, mrr: m, id: l.ExternalID, plan: l.PlanExternalID})
		}
	}
	if !slices.IsSorted(w.referenced) {
		slices.Sort(w.referenced)
		w.referenced = slices.Compact(w.referenced)
	}
	return nil
}

// addCustomerCash adds the customer's invoiced revenue, payments and refunds, in native
// currency by day, to the whole business and to its customer-level segments.
func (w *worker) addCustomerCash(cd *CustomerData, custAggs []*segAgg) error {
	e := w.e
	add := func(day canonical.Date, cur string, kind uint8, minor int64) {
		if minor == 0 || day > e.asOf {
			return
		}
		w.agg.addCash(custAggs, cashKey{day, packCurrency(cur), kind}, minor)
	}
	for i, in := range cd.Invoices {
		if w.inv[i].hasLines && e.included(in) {
			add(in.Date, in.Currency, cashInvoiced, w.inv[i].net)
		}
	}
	for _, t := range cd.Transactions {
		if t.Result != "successful" {
			continue
		}
		ii := w.findInv(cd, t.InvoiceExternalID)
		if ii < 0 {
			continue
		}
		in := cd.Invoices[ii]
		amt := w.inv[ii].gross
		if t.Amount != nil {
			r, err := toRat(*t.Amount, w.fxm.exponent(in.Currency))
			if err != nil {
				return fmt.Errorf("metrics: transactions '%s': %w", t.ExternalID, err)
			}
			amt = r.round()
		}
		kind := uint8(cashPayments)
		if t.Type == "refund" {
			kind = cashRefunds
		}
		add(t.Date, in.Currency, kind, amt)
	}
	for _, c := range cd.CreditNotes {
		r, err := toRat(c.Amount, canonical.Exponent(c.Currency))
		if err != nil {
			return fmt.Errorf("metrics: credit_notes '%s': %w", c.ExternalID, err)
		}
		add(c.Date, c.Currency, cashRefunds, r.round())
	}
	for _, re := range cd.RevenueEntries {
		r, err := toRat(re.Amount, canonical.Exponent(re.Currency))
		if err != nil {
			return fmt.Errorf("metrics: revenue_entries '%s': %w", re.ExternalID, err)
		}
		kind := uint8(cashInvoiced)
		if re.Type == "refund" {
			kind = cashRefunds
		}
		add(re.Date, re.Currency, kind, r.round())
	}
	return nil
}

// included reports whether an invoice counts (SPEC §3 "Invoice status").
func (e *engine) included(inv *canonical.Invoice) bool {
	switch inv.Status {
	case "void":
		return false
	case "open", "uncollectible":
		return !e.s.ExcludeUnpaid
	}
	return true
}

// planMemo remembers the last plan looked up: a customer's lines mostly name one plan.
type planMemo struct {
	source, id string
	plan       *canonical.Plan
}

// plan returns the plan (source, id), or nil.
func (e *engine) plan(m *planMemo, source, id string) *canonical.Plan {
	if m.plan != nil && m.id == id && m.source == source {
		return m.plan
	}
	p := e.ref.Plans[canonical.Key{Source: source, ExternalID: id}]
	if p != nil {
		m.source, m.id, m.plan = source, id, p
	}
	return p
}

// planMonths returns a, b with plan_months = interval_count × a ÷ b.
func planMonths(p *canonical.Plan) (a, b int64) {
	count := int64(1)
	unit := canonical.Month
	if p != nil {
		unit = p.IntervalUnit
		if p.IntervalCount > 0 {
			count = p.IntervalCount
		}
	}
	switch unit {
	case canonical.Year:
		return 12 * count, 1
	case canonical.Week:
		return 12 * count, 52
	case canonical.Day:
		return 12 * count, 365
	}
	return count, 1
}

// lineMRR computes SPEC §3 line_mrr in minor units of the invoice currency.
func (e *engine) lineMRR(memo *planMemo, l *canonical.InvoiceLine, net rat) (int64, error) {
	p := e.plan(memo, l.Source, l.PlanExternalID)
	if p == nil {
		return 0, fmt.Errorf("metrics: invoice_lines '%s': plan_external_id '%s' not found in source '%s'",
			l.ExternalID, l.PlanExternalID, l.Source)
	}
	a, b := planMonths(p)
	num, den := b, a
	if l.Prorated {
		sps, spe := *l.ServicePeriodStart, *l.ServicePeriodEnd
		full := int64(sps.AddInterval(p.IntervalUnit, int(p.IntervalCount)) - sps)
		num *= full
		den *= int64(spe - sps)
	}
	d, ok := mul64(den, net.d)
	if !ok {
		return 0, fmt.Errorf("metrics: invoice_lines '%s': %w", l.ExternalID, errOverflow)
	}
	m, err := mulDivRound(net.n, num, d)
	if err != nil {
		return 0, fmt.Errorf("metrics: invoice_lines '%s': %w", l.ExternalID, err)
	}
	return m, nil
}

// buildSubscriptions turns lines, self-priced subscriptions and subscription-type
// revenue entries into subscriptions with revisions and day pieces. Revisions, segments
// and pieces live in worker slabs sized up front, so a customer costs few allocations.
func (w *worker) buildSubscriptions(cd *CustomerData, referenced []string, trials *[]piece) ([]subState, error) {
	e := w.e
	maxRevs := len(w.lines) + len(cd.Subscriptions) + len(cd.RevenueEntries)
	if cap(w.revs) < maxRevs {
		w.revs = make([]revision, 0, 2*maxRevs)
	}
	revs := w.revs[:0]
	if n := maxRevs * len(e.subDims); cap(w.segs) < n {
		w.segs = make([]string, 0, 2*n)
	}
	segs := w.segs[:0]
	subs := w.subs[:0]
	w.sortLines(w.lines)
	subs, revs = groupRevisions(cd, w.lines, subs, revs)
	// Self-priced subscriptions.
	for _, s := range cd.Subscriptions {
		if s.Amount == nil {
			continue
		}
		if _, ok := slices.BinarySearch(referenced, s.ExternalID); ok {
			continue
		}
		r, err := e.selfPriced(s, trials)
		if err != nil {
			return nil, err
		}
		if r != nil {
			revs = append(revs, *r)
			subs = append(subs, subState{id: s.ExternalID, record: s, revs: revs[len(revs)-1 : len(revs) : len(revs)]})
		}
	}
	// Subscription-type revenue entries: one month of MRR each, a subscription of its own.
	for _, re := range cd.RevenueEntries {
		if re.Type != "subscription" {
			continue
		}
		minor, err := canonical.ToMinor(re.Amount, re.Currency)
		if err != nil {
			return nil, fmt.Errorf("metrics: revenue_entries '%s': %w", re.ExternalID, err)
		}
		revs = append(revs, revision{start: re.Date, end: re.Date.AddInterval(canonical.Month, 1), native: minor,
			cur: re.Currency, invDate: re.Date, invID: re.ExternalID, mainMRR: minor, mainID: re.ExternalID})
		subs = append(subs, subState{id: "\x00revenue:" + re.ExternalID, revs: revs[len(revs)-1 : len(revs) : len(revs)]})
	}
	// Conversion, segments and pieces.
	pcs := w.pieces[:0]
	for si := range subs {
		s := &subs[si]
		for ri := range s.revs {
			r := &s.revs[ri]
			conv, err := e.fx.convertMemo(&w.fxm, r.native, r.cur, r.start)
			if err != nil {
				return nil, err
			}
			r.conv = conv
			start := len(segs)
			segs = e.revisionSegments(&w.memo, segs, cd.Key.Source, s, r)
			r.segs = segs[start:len(segs):len(segs)]
		}
		start := len(pcs)
		pcs = w.layOut(s, pcs, start)
		s.pieces = pcs[start:len(pcs):len(pcs)]
	}
	w.revs, w.segs, w.subs, w.pieces = revs, segs, subs, pcs
	return subs, nil
}

// cmpSubLine orders MRR lines by subscription, invoice, period start and line id.
func cmpSubLine(x, y *subLine) int {
	if c := strings.Compare(x.sub, y.sub); c != 0 {
		return c
	}
	if c := strings.Compare(x.inv.ExternalID, y.inv.ExternalID); c != 0 {
		return c
	}
	if c := cmp.Compare(x.sps, y.sps); c != 0 {
		return c
	}
	return strings.Compare(x.id, y.id)
}

// sortLines sorts lines by cmpSubLine when they are out of order, through a
// permutation of indices (each line moves twice).
func (w *worker) sortLines(lines []subLine) {
	sorted := true
	for i := 1; i < len(lines); i++ {
		if cmpSubLine(&lines[i-1], &lines[i]) > 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	idx := w.revIdx[:0]
	for i := range lines {
		idx = append(idx, int32(i))
	}
	slices.SortFunc(idx, func(a, b int32) int { return cmpSubLine(&lines[a], &lines[b]) })
	tmp := append(w.lineTmp[:0], lines...)
	for i, j := range idx {
		lines[i] = tmp[j]
	}
	clear(tmp)
	w.revIdx, w.lineTmp = idx[:0], tmp[:0]
}

// groupRevisions takes the MRR lines sorted by cmpSubLine and appends one subState per
// invoiced subscription and one revision per group of lines (SPEC §3 "Revisions"). revs must have room for every line: revisions are addressed by
// pointer while being filled.
func groupRevisions(cd *CustomerData, lines []subLine, subs []subState, revs []revision) ([]subState, []revision) {
	findSub := func(id string) *canonical.Subscription {
		i, ok := slices.BinarySearchFunc(cd.Subscriptions, id, func(v *canonical.Subscription, id string) int {
			return cmp.Compare(v.ExternalID, id)
		})
		if !ok {
			return nil
		}
		return cd.Subscriptions[i]
	}
	first := 0 // index in revs of the current subscription's first revision
	for i := range lines {
		l := &lines[i]
		if i == 0 || lines[i-1].sub != l.sub {
			if i > 0 {
				subs[len(subs)-1].revs = revs[first:len(revs):len(revs)]
			}
			subs = append(subs, subState{id: l.sub, record: findSub(l.sub)})
			first = len(revs)
		}
		var rev *revision
		if len(revs) > first {
			rev = &revs[len(revs)-1]
		}
		if rev == nil || rev.invID != l.inv.ExternalID || rev.start != l.sps {
			revs = append(revs, revision{start: l.sps, end: l.spe, cur: l.inv.Currency, invDate: l.inv.Date,
				invID: l.inv.ExternalID, mainMRR: l.mrr, mainID: l.id, plan: l.plan})
			rev = &revs[len(revs)-1]
		} else if l.mrr > rev.mainMRR { // lines are in id order: ties keep the smallest id
			rev.mainMRR, rev.mainID, rev.plan = l.mrr, l.id, l.plan
		}
		rev.native += l.mrr
		if l.spe > rev.end {
			rev.end = l.spe
		}
	}
	if len(lines) > 0 {
		subs[len(subs)-1].revs = revs[first:len(revs):len(revs)]
	}
	return subs, revs
}

// selfPriced returns the revision of a self-priced subscription, or nil when it
// contributes nothing (paused, never started, cancelled before it started).
func (e *engine) selfPriced(s *canonical.Subscription, trials *[]piece) (*revision, error) {
	var start, trialEnd *canonical.Date
	if s.StartedAt != nil {
		start = ptr(canonical.DateOf(*s.StartedAt))
	}
	if s.TrialEndsAt != nil {
		trialEnd = ptr(canonical.DateOf(*s.TrialEndsAt))
	}
	if start != nil && trialEnd != nil && *trialEnd > *start {
		*trials = append(*trials, piece{from: *start, to: *trialEnd})
	}
	if s.Status == "paused" {
		return nil, nil
	}
	from := start
	if trialEnd != nil && (from == nil || *trialEnd > *from) {
		from = trialEnd
	}
	if from == nil {
		return nil, nil
	}
	var p *canonical.Plan
	if s.PlanExternalID != "" {
		p = e.ref.Plans[canonical.Key{Source: s.Source, ExternalID: s.PlanExternalID}]
		if p == nil {
			return nil, fmt.Errorf("metrics: subscriptions '%s': plan_external_id '%s' not found in source '%s'",
				s.ExternalID, s.PlanExternalID, s.Source)
		}
	}
	amt, err := toRat(*s.Amount, canonical.Exponent(s.Currency))
	if err != nil {
		return nil, fmt.Errorf("metrics: subscriptions '%s': %w", s.ExternalID, err)
	}
	a, b := planMonths(p)
	d, ok := mul64(a, amt.d)
	if !ok {
		return nil, fmt.Errorf("metrics: subscriptions '%s': %w", s.ExternalID, errOverflow)
	}
	m, err := mulDivRound(amt.n, b, d)
	if err != nil {
		return nil, fmt.Errorf("metrics: subscriptions '%s': %w", s.ExternalID, err)
	}
	return &revision{start: *from, end: e.horizon, native: m, cur: s.Currency, invDate: *from,
		mainMRR: m, mainID: s.ExternalID, plan: s.PlanExternalID}, nil
}

// revisionSegments appends the revision's segment in every subscription-level dimension.
func (e *engine) revisionSegments(memo *planMemo, segs []string, source string, s *subState, r *revision) []string {
	if len(e.subDims) == 0 {
		return segs
	}
	var p *canonical.Plan
	if r.plan != "" {
		p = e.plan(memo, source, r.plan)
	}
	for _, di := range e.subDims {
		d := e.dims[di]
		v := NoneSegment
		switch d.kind {
		case dimPlan:
			if r.plan != "" {
				v = r.plan
			}
		case dimProduct:
			if p != nil && p.ProductExternalID != "" {
				v = p.ProductExternalID
			}
		case dimInterval:
			v = intervalName(p)
		case dimCurrency:
			v = r.cur
		case dimSubAttr:
			if s.record != nil {
				v = attrSegment(s.record.Attributes, d.attr)
			}
		case dimPlanAttr:
			if p != nil {
				v = attrSegment(p.Attributes, d.attr)
			}
		}
		segs = append(segs, v)
	}
	return segs
}

// layOut lays a subscription's revisions on the calendar (SPEC §3 revisions and end of
// a subscription), clipped to the cancellation date and to as_of.
func (w *worker) layOut(s *subState, out []piece, start int) []piece {
	e := w.e
	revs := s.revs
	// Revisions are large: most subscriptions' come in order already (lines are
	// grouped by invoice), so check before moving them. Keys are unique within a
	// subscription (groupRevisions merges one invoice's lines of one start).
	for i := 1; i < len(revs); i++ {
		if cmpRevisionPtr(&revs[i-1], &revs[i]) > 0 {
			w.sortRevisions(revs)
			break
		}
	}
	limit := e.horizon
	if s.record != nil && s.record.CancelledAt != nil {
		if c := canonical.DateOf(*s.record.CancelledAt); c < limit {
			limit = c
		}
	}
	add := func(from, to canonical.Date, r *revision) {
		if to > limit {
			to = limit
		}
		if from >= to {
			return
		}
		if n := len(out); n > start && out[n-1].rev == r && out[n-1].to == from {
			out[n-1].to = to
			return
		}
		out = append(out, piece{from, to, r})
	}
	if e.s.SubscriptionEnd == EndCancellation {
		for i := range revs {
			to := limit
			if i+1 < len(revs) {
				to = revs[i+1].start
			}
			add(revs[i].start, to, &revs[i])
		}
		return out
	}
	if len(revs) == 1 {
		add(revs[0].start, revs[0].end, &revs[0])
		return out
	}
	bounds := w.bounds[:0]
	for i := range revs {
		bounds = append(bounds, revs[i].start, revs[i].end)
	}
	slices.Sort(bounds)
	bounds = slices.Compact(bounds)
	stack := w.stack[:0]
	defer func() { w.bounds, w.stack = bounds[:0], stack[:0] }()
	next := 0
	for bi, t := range bounds {
		for next < len(revs) && revs[next].start == t {
			stack = append(stack, &revs[next])
			next++
		}
		for len(stack) > 0 && stack[len(stack)-1].end <= t {
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 && bi+1 < len(bounds) {
			add(t, bounds[bi+1], stack[len(stack)-1])
		}
	}
	return out
}

// cmpRevision orders a subscription's revisions by start, invoice date, invoice id.
// sortRevisions sorts revs by cmpRevisionPtr through a permutation of indices, so each
// large revision moves twice instead of once per comparison.
func (w *worker) sortRevisions(revs []revision) {
	idx := w.revIdx[:0]
	for i := range revs {
		idx = append(idx, int32(i))
	}
	slices.SortFunc(idx, func(a, b int32) int { return cmpRevisionPtr(&revs[a], &revs[b]) })
	tmp := append(w.revTmp[:0], revs...)
	for i, j := range idx {
		revs[i] = tmp[j]
	}
	clear(tmp)
	w.revIdx, w.revTmp = idx[:0], tmp[:0]
}

func cmpRevisionPtr(x, y *revision) int {
	if c := cmp.Compare(x.start, y.start); c != 0 {
		return c
	}
	if c := cmp.Compare(x.invDate, y.invDate); c != 0 {
		return c
	}
	return strings.Compare(x.invID, y.invID)
}

// view computes the series of every segment of one view: the whole customer (si < 0,
// one series at most) or subscription-level dimension e.subDims[si]. Segment names are
// numbered per customer so that sorting compares integers.
func (w *worker) view(subs []subState, si int) []series {
	e := w.e
	native := si >= 0 && e.dims[e.subDims[si]].kind == dimCurrency
	names := w.names[:0]
	seg := func(r *revision) int32 {
		if si < 0 {
			return 0
		}
		name := r.segs[si]
		for i, n := range names {
			if n == name {
				return int32(i)
			}
		}
		names = append(names, name)
		return int32(len(names) - 1)
	}
	val := func(r *revision) int64 {
		if native {
			return r.native
		}
		return r.conv
	}
	ev := w.events[:0]
	for si2 := range subs {
		s := &subs[si2]
		prevSeg := int32(-1)
		for j, p := range s.pieces {
			v := val(p.rev)
			sg := seg(p.rev)
			if v != 0 {
				ev = append(ev, event{seg: sg, date: p.from, delta: v})
				if p.to < e.horizon {
					ev = append(ev, event{seg: sg, date: p.to, delta: -v})
				}
			}
			if j > 0 && !native {
				q := s.pieces[j-1]
				if q.to == p.from && q.rev.cur == p.rev.cur && q.rev.native == p.rev.native && p.rev.native > 0 &&
					prevSeg == sg && val(q.rev) != v {
					ev = append(ev, event{seg: sg, date: p.from, fx: v - val(q.rev)})
				}
			}
			prevSeg = sg
		}
	}
	w.events, w.names = ev, names
	if len(ev) == 0 {
		return nil
	}
	// Events of one (segment, day) are summed by sweep, so their order among
	// themselves does not matter: an unstable sort on one integer key suffices, and
	// a customer with one subscription usually needs none.
	sortEvents(ev)
	out := w.series[:0]
	w.movBuf, w.ptBuf = w.movBuf[:0], w.ptBuf[:0]
	for i := 0; i < len(ev); {
		j := i
		for j < len(ev) && ev[j].seg == ev[i].seg {
			j++
		}
		if s := w.sweep(ev[i:j]); len(s.points) > 0 {
			if si >= 0 {
				s.seg = names[ev[i].seg]
			}
			out = append(out, s)
		}
		i = j
	}
	w.series = out
	return out
}

// eventKey orders events by segment, then day.
func eventKey(x *event) int64 { return int64(x.seg)<<33 + int64(x.date) }

func cmpEvent(x, y event) int { return cmp.Compare(eventKey(&x), eventKey(&y)) }

// sortEvents orders events by eventKey: by insertion when there are few (they come
// nearly in order, subscription by subscription), else by pdqsort.
func sortEvents(ev []event) {
	if len(ev) > 96 {
		if !slices.IsSortedFunc(ev, cmpEvent) {
			slices.SortFunc(ev, cmpEvent)
		}
		return
	}
	for i := 1; i < len(ev); i++ {
		k := eventKey(&ev[i])
		if eventKey(&ev[i-1]) <= k {
			continue
		}
		x := ev[i]
		j := i - 1
		for j >= 0 && eventKey(&ev[j]) > k {
			ev[j+1] = ev[j]
			j--
		}
		ev[j+1] = x
	}
}

// sweep turns one segment's events (sorted by date) into movements (SPEC §4).
func (w *worker) sweep(ev []event) series {
	var s series
	m0, p0 := len(w.movBuf), len(w.ptBuf)
	var mrr int64
	had := false
	for i := 0; i < len(ev); {
		d := ev[i].date
		var delta, fx int64
		for ; i < len(ev) && ev[i].date == d; i++ {
			delta += ev[i].delta
			fx += ev[i].fx
		}
		before, after := mrr, mrr+delta
		if after == before {
			continue
		}
		business := delta - fx
		if business != 0 {
			mid := before + business
			var t uint8
			switch {
			case before == 0 && had:
				t = tReact
			case before == 0:
				t = tNew
			case mid == 0:
				t = tChurn
			case mid > before:
				t = tExp
			default:
				t = tCon
			}
			w.movBuf = append(w.movBuf, mov{date: d, typ: t, before: before, after: mid})
		}
		if fx != 0 {
			w.movBuf = append(w.movBuf, mov{date: d, typ: tFX, before: before + business, after: after})
		}
		w.ptBuf = append(w.ptBuf, point{date: d, mrr: after})
		mrr = after
		if after > 0 {
			had = true
		}
	}
	s.movs = w.movBuf[m0:len(w.movBuf):len(w.movBuf)]
	s.points = w.ptBuf[p0:len(w.ptBuf):len(w.ptBuf)]
	return s
}

// rows appends the customer's movements and customer_mrr intervals.
func (w *worker) rows(k canonical.Key, s *series, movs []Movement, rows []CustomerMRR) ([]Movement, []CustomerMRR) {
	cur := w.e.s.ReportingCurrency
	for _, m := range s.movs {
		movs = append(movs, Movement{Date: m.date, Source: k.Source, CustomerExternalID: k.ExternalID, Type: typeNames[m.typ],
			MRRBefore: m.before, MRRAfter: m.after, Amount: m.after - m.before, Currency: cur})
	}
	if n := len(s.points); cap(w.ends)-len(w.ends) < n {
		w.ends = make([]canonical.Date, 0, max(n, 1024))
	}
	for i, p := range s.points {
		if p.mrr == 0 {
			continue
		}
		r := CustomerMRR{Source: k.Source, CustomerExternalID: k.ExternalID, ValidFrom: p.date, MRR: p.mrr, Currency: cur}
		if i+1 < len(s.points) {
			w.ends = append(w.ends, s.points[i+1].date)
			r.ValidTo = &w.ends[len(w.ends)-1]
		}
		rows = append(rows, r)
	}
	return movs, rows
}

// mergeSpans merges overlapping day spans and clips them to before horizon.
func mergeSpans(sp []piece, horizon canonical.Date) []piece {
	if len(sp) == 0 {
		return nil
	}
	slices.SortFunc(sp, func(x, y piece) int { return cmp.Compare(x.from, y.from) })
	out := sp[:0]
	for _, p := range sp {
		if p.to > horizon {
			p.to = horizon
		}
		if p.from >= p.to {
			continue
		}
		if n := len(out); n > 0 && p.from <= out[n-1].to {
			if p.to > out[n-1].to {
				out[n-1].to = p.to
			}
			continue
		}
		out = append(out, p)
	}
	return out
}

// rat is an exact amount in minor units: n ÷ d, d a power of ten.
type rat struct{ n, d int64 }

// toRat converts a decimal amount in major units to minor units of a currency.
func toRat(v decimal.Decimal, exp int32) (rat, error) {
	if v.NumDigits() > 18 {
		return rat{}, fmt.Errorf("amount %s: %w", v.String(), errOverflow)
	}
	c, x := v.CoefficientInt64(), v.Exponent()+exp
	if x >= 0 {
		if x >= int32(len(pow10)) {
			return rat{}, fmt.Errorf("amount %s: %w", v.String(), errOverflow)
		}
		n, ok := mul64(c, pow10[x])
		if !ok {
			return rat{}, fmt.Errorf("amount %s: %w", v.String(), errOverflow)
		}
		return rat{n, 1}, nil
	}
	if -x >= int32(len(pow10)) {
		return rat{}, fmt.Errorf("amount %s has too many decimals", v.String())
	}
	return rat{c, pow10[-x]}, nil
}

func (a rat) sub(b rat) (rat, error) {
	if a.d == b.d {
		return rat{a.n - b.n, a.d}, nil
	}
	if a.d < b.d {
		n, ok := mul64(a.n, b.d/a.d)
		if !ok {
			return rat{}, errOverflow
		}
		return rat{n - b.n, b.d}, nil
	}
	n, ok := mul64(b.n, a.d/b.d)
	if !ok {
		return rat{}, errOverflow
	}
	return rat{a.n - n, a.d}, nil
}

// round returns the amount rounded half away from zero to whole minor units.
func (a rat) round() int64 {
	if a.d == 1 {
		return a.n
	}
	q, _ := mulDivRound(a.n, 1, a.d)
	return q
}
