package generate

import (
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/revsync/revsync/canonical"
)

// cust is the state of the customer being generated; nothing outlives it.
type cust struct {
	r      *rand.Rand
	idx    int
	id     string
	cur    *currency
	taxBP  int64
	invSeq int
	subSeq int
	// lines is reused for each invoice.
	lines []line
}

// line is one invoice line about to be written.
type line struct {
	typ        string
	plan       int // -1: none
	sub        string
	start, end canonical.Date
	net, disc  int64
	qty        int64
	prorated   bool
	desc       string
}

var (
	adjectives = []string{"Blue", "Quantum", "Bright", "Silver", "Northern", "Rapid", "Clever", "Golden", "Urban", "Green", "Lunar", "Solid", "Happy", "Iron", "Crystal", "Vivid"}
	nouns      = []string{"Harbor", "Labs", "Works", "Pixel", "Orbit", "Forge", "Field", "Stack", "Bridge", "Cloud", "Garden", "Signal", "Metric", "Rocket", "Anchor", "Beacon"}
	channels   = []string{"organic", "paid_search", "referral", "partner", "outbound"}
	suffixes   = map[string]string{"US": ", Inc.", "CA": " Ltd.", "DE": " GmbH", "FR": " SAS", "ES": " S.L.", "NL": " B.V.", "IT": " S.r.l.", "GB": " Ltd", "JP": " K.K."}
)

func customerID(i int) string { return "cus_" + pad(i, 7) }

func itoa(i int) string { return strconv.Itoa(i) }

func pad(n, width int) string {
	s := strconv.Itoa(n)
	if len(s) >= width {
		return s
	}
	return strings.Repeat("0", width-len(s)) + s
}

// customer writes one customer and its whole billing history.
func (g *gen) customer(r *rand.Rand, i int) {
	start, end := g.opts.Start, g.opts.End
	signup := start + canonical.Date(r.IntN(int(end-start)+1))
	cur := &currencies[pick(r, len(currencies), func(i int) int { return currencies[i].weight })]
	co := &cur.countries[pick(r, len(cur.countries), func(i int) int { return cur.countries[i].weight })]
	c := &cust{r: r, idx: i, id: customerID(i), cur: cur, taxBP: co.taxBP}
	ti := pick(r, len(tiers), func(i int) int { return tiers[i].weight })
	trial := chance(r, 300)

	adj, noun := adjectives[r.IntN(len(adjectives))], nouns[r.IntN(len(nouns))]
	name := adj + " " + noun
	slug := strings.ToLower(adj+noun) + strconv.Itoa(i)
	f := g.customers
	f.str(c.id).str(name).str("billing@" + slug + ".example").str(name + suffixes[co.code]).str(co.code)
	if co.state != "" {
		f.str(co.state)
	} else {
		f.empty()
	}
	f.str(co.cities[r.IntN(len(co.cities))]).stamp(signup, r.IntN(86400)).stamp(signup.AddDays(-r.IntN(60)), r.IntN(86400))
	if trial {
		f.stamp(signup, 0)
	} else {
		f.empty()
	}
	f.str(tiers[ti].segment).str(channels[r.IntN(len(channels))]).end()

	g.lifecycle(c, signup, ti, trial)
	if chance(r, 5) {
		d := signup.AddDays(r.IntN(60))
		if d <= end {
			amt := price(0, 1, cur) / 2
			g.creditNotes.str("cn_"+c.id+"_goodwill").empty().str(c.id).date(d).money(amt, cur.exp).str(cur.code).str("goodwill credit").end()
			g.count("credit_note_goodwill")
		}
	}
}

// outcome is how a subscription's paid life ended.
type outcome struct {
	churned    bool
	end        canonical.Date // cancelled_at when churned
	ti, ii     int
	qty        int64
	lastStatus string
}

// lifecycle writes the customer's subscriptions: an optional trial, a paid life with
// renewals and plan changes, and after a churn sometimes a reactivation.
func (g *gen) lifecycle(c *cust, signup canonical.Date, ti int, trial bool) {
	r, end := c.r, g.opts.End
	t := signup
	for first := true; t <= end; first = false {
		c.subSeq++
		sub := "sub_" + c.id[4:] + "_" + itoa(c.subSeq)
		ii := pick(r, len(intervals), func(i int) int { return intervals[i].weight })
		qty := int64(1)
		if m := tiers[ti].maxSeats; m > 1 {
			qty = 1 + int64(r.IntN(1+r.IntN(m)))
		}
		paidStart := t
		var trialEnd canonical.Date
		if trial && first {
			trialEnd = t.AddDays(14)
			g.count("trial")
			c.lines = append(c.lines[:0], line{typ: "trial", plan: -1, sub: sub, start: t, end: trialEnd, qty: 1, desc: "Free trial"})
			g.bill(c, t)
			switch {
			case !chance(r, 650):
				g.count("trial_abandoned")
				status, cancelled := "canceled", trialEnd
				if trialEnd > end {
					status, cancelled = "trialing", 0
				}
				g.subscription(sub, c, g.plansByTier[ti][ii], status, t, trialEnd, cancelled, qty)
				return
			case trialEnd > end:
				g.subscription(sub, c, g.plansByTier[ti][ii], "trialing", t, trialEnd, 0, qty)
				return
			}
			g.count("trial_converted")
			paidStart = trialEnd
		}
		if !first {
			g.count("reactivation")
		}
		out := g.paidLife(c, sub, paidStart, ti, ii, qty, first)
		status, cancelled := "active", canonical.Date(0)
		switch {
		case out.churned:
			status, cancelled = "canceled", out.end
		case out.lastStatus == "open":
			status = "past_due"
		}
		g.subscription(sub, c, g.plansByTier[out.ti][out.ii], status, t, trialEnd, cancelled, out.qty)
		if !out.churned || !chance(r, 250) {
			return
		}
		t = out.end.AddDays(30 + r.IntN(150))
		ti = out.ti
	}
}

func (g *gen) subscription(id string, c *cust, planIdx int, status string, started, trialEnd, cancelled canonical.Date, qty int64) {
	f := g.subscriptions
	f.str(id).str(c.id).str(g.planList[planIdx].id).str(status).stamp(started, 0)
	if trialEnd != 0 {
		f.stamp(trialEnd, 0)
	} else {
		f.empty()
	}
	if cancelled != 0 {
		f.stamp(cancelled, 0)
	} else {
		f.empty()
	}
	f.int(qty).end()
}

// Monthly churn and change rates per tier, per mille.
var (
	churnPermille      = []int{40, 28, 18, 10}
	downgradePermille  = 12
	upgradePermille    = 10
	midUpgradePermille = 12
)

// perPeriod scales a monthly probability (per mille) to one billing period.
func perPeriod(monthly int, iv interval) int {
	if iv.months == 0 {
		return max(1, monthly/4)
	}
	return min(600, monthly*iv.months)
}

// paidLife bills a subscription period after period from ps until it churns or the
// history ends.
func (g *gen) paidLife(c *cust, sub string, ps canonical.Date, ti, ii int, qty int64, first bool) outcome {
	r, end := c.r, g.opts.End
	coupon := first && chance(r, 100)
	setup := first && chance(r, 150)
	for n := 0; ; n++ {
		iv := intervals[ii]
		pe := ps.AddInterval(iv.unit, iv.count)
		gross := price(ti, ii, c.cur) * qty
		var disc int64
		if coupon && n < 3 {
			disc = gross / 5
			g.count("discount")
		}
		desc := g.planList[g.plansByTier[ti][ii]].name
		if qty > 1 {
			desc += ", " + strconv.FormatInt(qty, 10) + " seats"
		}
		c.lines = append(c.lines[:0], line{typ: "subscription", plan: g.plansByTier[ti][ii], sub: sub, start: ps, end: pe, net: gross - disc, disc: disc, qty: qty, desc: desc})
		if setup && n == 0 {
			c.lines = append(c.lines, line{typ: "one_time", plan: -1, net: price(1, 1, c.cur) * 5, qty: 1, desc: "Onboarding package"})
			g.count("one_time")
		} else if n > 0 && chance(r, 20) {
			c.lines = append(c.lines, line{typ: "one_time", plan: -1, net: price(0, 1, c.cur) / 2, qty: 1, desc: "Usage overage \"API calls\""})
			g.count("one_time")
		}
		status := g.bill(c, ps)
		if status == "uncollectible" {
			g.count("involuntary_churn")
			return outcome{churned: true, end: min(ps.AddDays(14), pe), ti: ti, ii: ii, qty: qty, lastStatus: status}
		}
		if ti < len(tiers)-1 && pe-ps > 2 && chance(r, perPeriod(midUpgradePermille, iv)) {
			if d := ps + 1 + canonical.Date(r.IntN(int(pe-ps-1))); d <= end {
				g.proratedUpgrade(c, sub, d, ps, pe, ti, ii, qty)
				ti++
				status = "paid"
			}
		}
		if pe > end {
			return outcome{ti: ti, ii: ii, qty: qty, lastStatus: status}
		}
		if chance(r, perPeriod(churnPermille[ti], iv)) {
			if pe-ps > 2 && chance(r, 150) {
				cancel := ps + 1 + canonical.Date(r.IntN(int(pe-ps-1)))
				g.count("immediate_cancel")
				return outcome{churned: true, end: cancel, ti: ti, ii: ii, qty: qty}
			}
			g.count("churn")
			return outcome{churned: true, end: pe, ti: ti, ii: ii, qty: qty}
		}
		switch {
		case ti > 0 && chance(r, perPeriod(downgradePermille, iv)):
			ti--
			g.count("downgrade")
		case ti < len(tiers)-1 && chance(r, perPeriod(upgradePermille, iv)):
			ti++
			g.count("upgrade")
		case iv.unit == canonical.Month && iv.count == 1 && chance(r, 15):
			ii = 3
			g.count("interval_change")
		case tiers[ti].maxSeats > 1 && chance(r, perPeriod(40, iv)):
			delta := int64(1 + r.IntN(3))
			if chance(r, 350) && qty > delta {
				qty -= delta
				g.count("seat_contraction")
			} else {
				qty = min(qty+delta, int64(tiers[ti].maxSeats))
				g.count("seat_expansion")
			}
		}
		ps = pe
	}
}

// proratedUpgrade bills a mid-period move to the next tier from day d: a credit for the
// unused part of the old plan and a prorated charge for the new one, both on [d, pe).
func (g *gen) proratedUpgrade(c *cust, sub string, d, ps, pe canonical.Date, ti, ii int, qty int64) {
	left, full := int64(pe-d), int64(pe-ps)
	oldNet := price(ti, ii, c.cur) * qty * left / full
	newNet := price(ti+1, ii, c.cur) * qty * left / full
	oldPlan, newPlan := g.plansByTier[ti][ii], g.plansByTier[ti+1][ii]
	c.lines = append(c.lines[:0],
		line{typ: "subscription", plan: oldPlan, sub: sub, start: d, end: pe, net: -oldNet, qty: qty, prorated: true, desc: "Unused time on " + g.planList[oldPlan].name},
		line{typ: "subscription", plan: newPlan, sub: sub, start: d, end: pe, net: newNet, qty: qty, prorated: true, desc: "Remaining time on " + g.planList[newPlan].name},
	)
	g.count("prorated_upgrade")
	g.bill(c, d)
}

// tax returns the tax on net at bp basis points, rounded half away from zero.
func tax(net, bp int64) int64 {
	if net < 0 {
		return -tax(-net, bp)
	}
	return (net*bp + 5000) / 10000
}

// bill writes an invoice dated date holding c.lines, its payment history (sometimes a
// voided first copy, failed attempts, refunds, credit notes), and returns its status.
func (g *gen) bill(c *cust, date canonical.Date) string {
	r, end := c.r, g.opts.End
	var total int64
	for _, l := range c.lines {
		total += l.net + tax(l.net, c.taxBP)
	}
	if total > 0 && chance(r, 10) {
		g.invoice(c, date, "void")
		g.count("void")
	}
	status := "paid"
	id := "inv_" + c.id[4:] + "_" + itoa(c.invSeq+1)
	exp := c.cur.exp
	txn := 0
	tx := func(typ, result string, d canonical.Date, amount int64, explicit bool) {
		txn++
		g.transactions.str("txn_" + id[4:] + "_" + itoa(txn)).str(id).str(typ).str(result).date(d)
		if explicit {
			g.transactions.money(amount, exp)
		} else {
			g.transactions.empty()
		}
		g.transactions.end()
	}
	switch {
	case total <= 0:
	case date > end-20 && chance(r, 350):
		status = "open"
		g.count("open")
	default:
		pay := date
		if !chance(r, 850) {
			pay = date.AddDays(1 + r.IntN(15))
		}
		if chance(r, 50) {
			tx("payment", "failed", date, total, true)
			g.count("failed_payment")
			if chance(r, 200) {
				if d := date.AddDays(3); d <= end {
					tx("payment", "failed", d, total, true)
				}
				status = "uncollectible"
				g.count("uncollectible")
				break
			}
			pay = max(pay, date.AddDays(3))
		}
		if pay > end {
			status = "open"
			g.count("open")
			break
		}
		tx("payment", "successful", pay, total, chance(r, 500))
		if d := pay.AddDays(1 + r.IntN(20)); d <= end && chance(r, 12) {
			tx("refund", "successful", d, total*int64(10+r.IntN(91))/100, true)
			g.count("refund")
		}
		if d := pay.AddDays(1 + r.IntN(30)); d <= end && chance(r, 8) {
			g.creditNotes.str("cn_"+id[4:]).str(id).str(c.id).date(d).money(total*int64(5+r.IntN(30))/100, exp).str(c.cur.code).str("service credit, outage").end()
			g.count("credit_note")
		}
	}
	g.invoice(c, date, status)
	return status
}

// invoice writes the invoice row and its lines from c.lines.
func (g *gen) invoice(c *cust, date canonical.Date, status string) {
	c.invSeq++
	id := "inv_" + c.id[4:] + "_" + itoa(c.invSeq)
	exp := c.cur.exp
	g.invoices.str(id).str(c.id).date(date).str(c.cur.code).date(date.AddDays(14)).str(status).end()
	for n, l := range c.lines {
		f := g.lines
		f.str(id + "-" + itoa(n+1)).str(id).str(l.typ)
		if l.sub != "" {
			f.str(l.sub)
		} else {
			f.empty()
		}
		if l.plan >= 0 {
			f.str(g.planList[l.plan].id)
		} else {
			f.empty()
		}
		if l.typ == "one_time" {
			f.empty().empty()
		} else {
			f.date(l.start).date(l.end)
		}
		t := tax(l.net, c.taxBP)
		f.money(l.net+t, exp).money(t, exp)
		if l.disc != 0 {
			f.money(l.disc, exp)
		} else {
			f.empty()
		}
		f.int(l.qty).bool(l.prorated).str(l.desc).end()
	}
}
