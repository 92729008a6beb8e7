package generate

import (
	"math/rand/v2"

	"github.com/revsync/revsync/canonical"
)

// currency is a billing currency with its USD value and the countries billed in it.
type currency struct {
	code string
	exp  int32
	// weight is the share of customers (per mille) billed in it.
	weight int
	// perUSD converts USD cents to this currency's minor units: minor = cents*num/den.
	num, den int64
	// fxBase is the value of one unit in USD, scaled by 10^fxExp (0 for USD).
	fxBase int64
	fxExp  int32
	// countries are ISO codes with their tax rates in basis points and a few cities.
	countries []country
}

type country struct {
	code   string
	state  string
	taxBP  int64
	weight int
	cities []string
}

var currencies = []currency{
	{code: "USD", exp: 2, weight: 550, num: 1, den: 1, countries: []country{
		{code: "US", state: "CA", taxBP: 0, weight: 5, cities: []string{"San Francisco", "Los Angeles", "San Diego"}},
		{code: "US", state: "NY", taxBP: 888, weight: 3, cities: []string{"New York", "Buffalo"}},
		{code: "US", state: "TX", taxBP: 625, weight: 2, cities: []string{"Austin", "Dallas"}},
		{code: "CA", state: "ON", taxBP: 1300, weight: 2, cities: []string{"Toronto", "Ottawa"}},
	}},
	{code: "EUR", exp: 2, weight: 250, num: 92, den: 100, fxBase: 1_085_000, fxExp: 6, countries: []country{
		{code: "DE", taxBP: 1900, weight: 4, cities: []string{"Berlin", "München", "Hamburg"}},
		{code: "FR", taxBP: 2000, weight: 3, cities: []string{"Paris", "Lyon"}},
		{code: "ES", taxBP: 2100, weight: 2, cities: []string{"Madrid", "Barcelona"}},
		{code: "NL", taxBP: 2100, weight: 1, cities: []string{"Amsterdam"}},
		{code: "IT", taxBP: 2200, weight: 1, cities: []string{"Milano", "Roma"}},
	}},
	{code: "GBP", exp: 2, weight: 120, num: 79, den: 100, fxBase: 1_265_000, fxExp: 6, countries: []country{
		{code: "GB", taxBP: 2000, weight: 1, cities: []string{"London", "Manchester", "Edinburgh"}},
	}},
	{code: "JPY", exp: 0, weight: 80, num: 150, den: 100, fxBase: 665_000, fxExp: 8, countries: []country{
		{code: "JP", taxBP: 1000, weight: 1, cities: []string{"Tokyo", "Osaka"}},
	}},
}

// tier is a product level; plans of a tier differ by billing interval.
type tier struct {
	id, name string
	// usdMonthly is the monthly list price per unit in US cents.
	usdMonthly int64
	segment    string
	// weight is the share (per mille) of new subscriptions starting on it.
	weight   int
	maxSeats int
}

var tiers = []tier{
	{id: "starter", name: "Starter", usdMonthly: 2900, segment: "smb", weight: 450, maxSeats: 1},
	{id: "growth", name: "Growth", usdMonthly: 9900, segment: "smb", weight: 350, maxSeats: 10},
	{id: "scale", name: "Scale", usdMonthly: 29900, segment: "mid-market", weight: 150, maxSeats: 25},
	{id: "enterprise", name: "Enterprise", usdMonthly: 99900, segment: "enterprise", weight: 50, maxSeats: 50},
}

// interval is a billing interval with its price factor relative to monthly.
type interval struct {
	id    string
	unit  canonical.IntervalUnit
	count int
	// price = monthly * num / den (annual and quarterly carry a discount).
	num, den int64
	weight   int
	months   int // approximate length, for per-period probabilities; 0 for weekly
}

var intervals = []interval{
	{id: "weekly", unit: canonical.Week, count: 1, num: 12, den: 52, weight: 80},
	{id: "monthly", unit: canonical.Month, count: 1, num: 1, den: 1, weight: 600, months: 1},
	{id: "quarterly", unit: canonical.Month, count: 3, num: 285, den: 100, weight: 120, months: 3},
	{id: "annual", unit: canonical.Year, count: 1, num: 1020, den: 100, weight: 200, months: 12},
}

// plan is one price point: a tier on an interval.
type plan struct {
	id, name string
	tier     int
	interval int
}

const (
	productAnalytics = "prod_analytics"
	productServices  = "prod_services"
)

func (g *gen) buildCatalog() {
	g.plansByTier = make([][]int, len(tiers))
	for ti, t := range tiers {
		for ii, iv := range intervals {
			g.plansByTier[ti] = append(g.plansByTier[ti], len(g.planList))
			g.planList = append(g.planList, plan{id: t.id + "-" + iv.id, name: t.name + " (" + iv.id + ")", tier: ti, interval: ii})
		}
	}
}

func (g *gen) writeCatalog() {
	g.products.str(productAnalytics).str("Analytics").end()
	g.products.str(productServices).str("Onboarding, training & services").end()
	for _, p := range g.planList {
		iv := intervals[p.interval]
		g.plans.str(p.id).str(p.name).str(string(iv.unit)).int(int64(iv.count)).str(productAnalytics).str(tiers[p.tier].id).end()
	}
}

// price returns the list price per unit of a tier on an interval, in minor units of cur.
func price(ti, ii int, cur *currency) int64 {
	iv := intervals[ii]
	cents := tiers[ti].usdMonthly * iv.num / iv.den
	minor := cents * cur.num / cur.den
	if cur.exp == 0 {
		minor = (minor + 5) / 10 * 10 // yen prices end in 0
	}
	return minor
}

// pick returns an index chosen with the given weights.
func pick(r *rand.Rand, n int, weight func(int) int) int {
	total := 0
	for i := range n {
		total += weight(i)
	}
	x := r.IntN(total)
	for i := range n {
		if x -= weight(i); x < 0 {
			return i
		}
	}
	return n - 1
}

// writeFX writes a daily rate for every non-USD currency for every day of the history,
// so every invoice date and service period start finds a rate: a random walk pulled back
// towards the base rate.
func (g *gen) writeFX(r *rand.Rand) {
	for ci := range currencies {
		cur := &currencies[ci]
		if cur.fxBase == 0 {
			continue
		}
		rate := cur.fxBase
		for d := g.opts.Start; d <= g.opts.End; d++ {
			g.fx.date(d).str(cur.code).money(rate, cur.fxExp).end()
			step := rate * int64(r.IntN(601)-300) / 100_000
			rate += step + (cur.fxBase-rate)/40
		}
	}
}

// costSpec is a monthly cost line; its amount grows with the customer base.
type costSpec struct {
	name, category, cur         string
	baseCents, perCustomerCents int64
	recurring                   bool
	day                         int
}

var costSpecs = []costSpec{
	{name: "AWS", category: "INFRASTRUCTURE", cur: "USD", baseCents: 120_000, perCustomerCents: 6_000, recurring: true, day: 1},
	{name: "Datadog", category: "INFRASTRUCTURE", cur: "USD", baseCents: 30_000, perCustomerCents: 1_000, recurring: true, day: 3},
	{name: "Payment processing fees", category: "THIRD_PARTY", cur: "USD", baseCents: 5_000, perCustomerCents: 2_500, day: 28},
	{name: "Google Ads", category: "MARKETING", cur: "USD", baseCents: 250_000, perCustomerCents: 8_000, day: 15},
	{name: "Conference sponsorship", category: "MARKETING", cur: "EUR", baseCents: 400_000, day: 20},
	{name: "Slack, Notion, GitHub", category: "TOOLS", cur: "USD", baseCents: 45_000, perCustomerCents: 200, recurring: true, day: 5},
	{name: "Accounting firm", category: "OTHER", cur: "GBP", baseCents: 80_000, recurring: true, day: 10},
}

func (g *gen) writeCosts(r *rand.Rand) {
	months := int64(g.opts.Months)
	k := int64(0)
	for m := g.opts.Start.MonthStart(); m <= g.opts.End; m = m.AddMonths(1) {
		month := g.dates.get(m)[:7]
		// Customers sign up evenly over the history: costs grow with the base.
		k++
		n := int64(g.opts.Customers) * min(k, months) / months
		for i, c := range costSpecs {
			if c.name == "Conference sponsorship" && !chance(r, 250) {
				continue
			}
			d := m.AddDays(c.day - 1)
			if d > g.opts.End || d < g.opts.Start {
				continue
			}
			cents := c.baseCents + n*c.perCustomerCents
			cents = cents * int64(90+r.IntN(21)) / 100
			g.costs.str("cost_"+month+"_"+itoa(i)).str(c.name).money(cents, 2).str(c.cur).str(c.category).bool(c.recurring).date(d)
			if c.category == "MARKETING" {
				g.costs.str("campaign, " + month)
			} else {
				g.costs.empty()
			}
			g.costs.end()
		}
	}
}

// revenueSpec is a kind of non-subscription revenue recorded as a revenue entry.
var revenueSpecs = []struct {
	typ, label string
	baseCents  int64
}{
	{"advertising", "AdSense", 35_000},
	{"affiliate", "Partner program", 12_000},
	{"one_time", "Custom report", 150_000},
	{"enterprise", "Enterprise services retainer", 500_000},
	{"refund", "Chargeback", 4_900},
	{"other", "Marketplace listing", 2_500},
}

func (g *gen) writeRevenueEntries(r *rand.Rand) {
	for m := g.opts.Start.MonthStart(); m <= g.opts.End; m = m.AddMonths(1) {
		month := g.dates.get(m)[:7]
		for i, s := range revenueSpecs {
			if !chance(r, 500) {
				continue
			}
			d := m.AddDays(r.IntN(28))
			if d > g.opts.End || d < g.opts.Start {
				continue
			}
			cents := s.baseCents * int64(50+r.IntN(101)) / 100
			g.revenue.str("rev_"+month+"_"+itoa(i)).date(d).money(cents, 2).str("USD").str(s.typ)
			if s.typ == "one_time" || s.typ == "enterprise" {
				g.revenue.str(customerID(r.IntN(g.opts.Customers)))
			} else {
				g.revenue.empty()
			}
			g.revenue.str(s.label).str("synthetic " + s.typ + " revenue").end()
		}
	}
}
