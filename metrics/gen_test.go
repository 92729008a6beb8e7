package metrics

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/revsync/revsync/canonical"
	"github.com/shopspring/decimal"
)

// genAsOf is the as_of of generated data sets.
var genAsOf = canonical.NewDate(2025, time.June, 15)

var genStart = canonical.NewDate(2022, time.January, 1)

var genPlans = []*canonical.Plan{
	{Meta: canonical.Meta{Source: "gen", ExternalID: "basic", Attributes: canonical.Attributes{"tier": "low"}}, Name: "Basic", IntervalUnit: canonical.Month, IntervalCount: 1, ProductExternalID: "app"},
	{Meta: canonical.Meta{Source: "gen", ExternalID: "pro", Attributes: canonical.Attributes{"tier": "high"}}, Name: "Pro", IntervalUnit: canonical.Month, IntervalCount: 1, ProductExternalID: "app"},
	{Meta: canonical.Meta{Source: "gen", ExternalID: "quarterly"}, Name: "Quarterly", IntervalUnit: canonical.Month, IntervalCount: 3, ProductExternalID: "app"},
	{Meta: canonical.Meta{Source: "gen", ExternalID: "annual"}, Name: "Annual", IntervalUnit: canonical.Year, IntervalCount: 1, ProductExternalID: "suite"},
	{Meta: canonical.Meta{Source: "gen", ExternalID: "weekly"}, Name: "Weekly", IntervalUnit: canonical.Week, IntervalCount: 1},
}

var genPrices = map[string]int64{"basic": 2900, "pro": 9900, "quarterly": 24000, "annual": 99000, "weekly": 1250}

var genCurrencies = []string{"USD", "USD", "EUR", "GBP", "JPY"}

var genCountries = []string{"US", "DE", "FR", "GB", "JP", ""}

// genReference returns plans, products, fx rates (every 10 days) and costs.
func genReference() *Reference {
	ref := &Reference{Plans: map[canonical.Key]*canonical.Plan{}, Products: map[canonical.Key]*canonical.Product{}}
	for _, p := range genPlans {
		ref.Plans[p.Key()] = p
	}
	for _, id := range []string{"app", "suite"} {
		p := &canonical.Product{Meta: canonical.Meta{Source: "gen", ExternalID: id}, Name: id}
		ref.Products[p.Key()] = p
	}
	r := rand.New(rand.NewPCG(7, 7))
	for d := genStart.AddDays(-400); d <= genAsOf; d += 10 {
		for _, c := range []struct {
			cur  string
			base int64
			exp  int32
		}{{"EUR", 108, -2}, {"GBP", 126, -2}, {"JPY", 67, -4}} {
			rate := decimal.New(c.base*100+r.Int64N(400)-200, c.exp-2)
			ref.FXRates = append(ref.FXRates, &canonical.FXRate{Meta: canonical.Meta{Source: "gen",
				ExternalID: d.String() + "/" + c.cur}, Date: d, Currency: c.cur, Rate: rate})
		}
	}
	cats := []string{"INFRASTRUCTURE", "THIRD_PARTY", "MARKETING", "TOOLS", "OTHER"}
	for i := 0; i < 200; i++ {
		d := genStart.AddDays(r.IntN(int(genAsOf - genStart)))
		ref.Costs = append(ref.Costs, &canonical.Cost{Meta: canonical.Meta{Source: "gen", ExternalID: fmt.Sprintf("cost%d", i)},
			Name: "c", Amount: decimal.New(r.Int64N(500000), -2), Currency: "USD", Category: cats[i%len(cats)], Date: d})
	}
	return ref
}

// genCustomer builds customer i deterministically: monthly-billed subscriptions with
// renewals, prorated upgrades, downgrades, churn and reactivation, trials, one-time
// charges, payments and refunds, and sometimes a self-priced subscription or revenue
// entries.
func genCustomer(i int) *CustomerData {
	r := rand.New(rand.NewPCG(uint64(i), 99))
	id := fmt.Sprintf("c%07d", i)
	cur := genCurrencies[r.IntN(len(genCurrencies))]
	cd := &CustomerData{Key: canonical.Key{Source: "gen", ExternalID: id}}
	cd.Customer = &canonical.Customer{Meta: canonical.Meta{Source: "gen", ExternalID: id,
		Attributes: canonical.Attributes{"segment": []string{"smb", "mid", "enterprise"}[r.IntN(3)]}},
		Country: genCountries[r.IntN(len(genCountries))]}
	scale := func(minor int64) decimal.Decimal {
		if cur == "JPY" {
			return decimal.New(minor, 0)
		}
		return decimal.New(minor, -2)
	}
	day := genStart.AddDays(r.IntN(int(genAsOf-genStart) - 30))
	inv, line, tx := 0, 0, 0
	addInvoice := func(d canonical.Date, status string) *canonical.Invoice {
		inv++
		in := &canonical.Invoice{Meta: canonical.Meta{Source: "gen", ExternalID: fmt.Sprintf("%s-i%04d", id, inv)},
			CustomerExternalID: id, Date: d, Currency: cur, Status: status}
		cd.Invoices = append(cd.Invoices, in)
		return in
	}
	addLine := func(in *canonical.Invoice, typ, sub, plan string, from, to canonical.Date, amount int64, prorated bool) {
		line++
		l := &canonical.InvoiceLine{Meta: canonical.Meta{Source: "gen", ExternalID: fmt.Sprintf("%s-l%04d", id, line)},
			InvoiceExternalID: in.ExternalID, Type: typ, SubscriptionExternalID: sub, PlanExternalID: plan,
			Amount: scale(amount), TaxAmount: scale(amount / 10), Quantity: 1, Prorated: prorated}
		if typ != "one_time" {
			l.ServicePeriodStart, l.ServicePeriodEnd = ptr(from), ptr(to)
		}
		cd.Lines = append(cd.Lines, l)
	}
	addTx := func(in *canonical.Invoice, typ string, d canonical.Date, amount *decimal.Decimal) {
		tx++
		cd.Transactions = append(cd.Transactions, &canonical.Transaction{Meta: canonical.Meta{Source: "gen",
			ExternalID: fmt.Sprintf("%s-t%04d", id, tx)}, InvoiceExternalID: in.ExternalID, Type: typ,
			Result: "successful", Date: d, Amount: amount})
	}
	if r.IntN(4) == 0 {
		in := addInvoice(day, "paid")
		addLine(in, "trial", id+"-s1", "", day, day.AddDays(14), 0, false)
		day = day.AddDays(14)
	}
	subN := 1
	plan := genPlans[r.IntN(len(genPlans))]
	for day <= genAsOf {
		sub := fmt.Sprintf("%s-s%d", id, subN)
		// A run of renewals on one plan, maybe with a mid-period upgrade.
		for n := 1 + r.IntN(8); n > 0 && day <= genAsOf; n-- {
			end := day.AddInterval(plan.IntervalUnit, int(plan.IntervalCount))
			status := "paid"
			switch r.IntN(40) {
			case 0:
				status = "open"
			case 1:
				status = "void"
			}
			in := addInvoice(day, status)
			price := genPrices[plan.ExternalID] * int64(1+r.IntN(3))
			addLine(in, "subscription", sub, plan.ExternalID, day, end, price, false)
			if r.IntN(5) == 0 {
				addLine(in, "one_time", "", "", 0, 0, 1500, false)
			}
			if r.IntN(10) == 0 {
				addLine(in, "subscription", sub, plan.ExternalID, day, end, -500, false)
			}
			addTx(in, "payment", day.AddDays(r.IntN(5)), nil)
			if r.IntN(30) == 0 {
				a := scale(1000)
				addTx(in, "refund", day.AddDays(3), &a)
			}
			if r.IntN(6) == 0 && end-day > 10 {
				up := genPlans[1]
				mid := day.AddDays(r.IntN(int(end-day)-1) + 1)
				in2 := addInvoice(mid, "paid")
				addLine(in2, "subscription", sub, up.ExternalID, mid, end, genPrices[up.ExternalID]/2, true)
				plan = up
			}
			day = end
		}
		switch r.IntN(4) {
		case 0: // churn, maybe come back later
			day = day.AddDays(20 + r.IntN(200))
			subN++
		case 1: // switch plans
			plan = genPlans[r.IntN(len(genPlans))]
		}
		if r.IntN(6) == 0 {
			break
		}
	}
	if r.IntN(8) == 0 {
		started := genStart.AddDays(r.IntN(int(genAsOf - genStart)))
		s := &canonical.Subscription{Meta: canonical.Meta{Source: "gen", ExternalID: id + "-sp"}, CustomerExternalID: id,
			Status: "active", StartedAt: ptr(started.Time()), Amount: ptr(scale(4900)), Currency: cur, Quantity: 1}
		if r.IntN(2) == 0 {
			s.PlanExternalID = "annual"
			s.Amount = ptr(scale(49000))
		}
		if r.IntN(2) == 0 {
			s.CancelledAt = ptr(started.AddDays(30 + r.IntN(300)).Time())
		}
		cd.Subscriptions = append(cd.Subscriptions, s)
	}
	if r.IntN(10) == 0 {
		for k := 0; k < 3; k++ {
			cd.RevenueEntries = append(cd.RevenueEntries, &canonical.RevenueEntry{Meta: canonical.Meta{Source: "gen",
				ExternalID: fmt.Sprintf("%s-r%d", id, k)}, Date: genStart.AddDays(r.IntN(int(genAsOf - genStart))),
				Amount: scale(2000), Currency: cur, Type: []string{"subscription", "one_time", "refund"}[k], CustomerExternalID: id})
		}
	}
	if r.IntN(20) == 0 {
		cd.CreditNotes = append(cd.CreditNotes, &canonical.CreditNote{Meta: canonical.Meta{Source: "gen", ExternalID: id + "-cn"},
			CustomerExternalID: id, Date: genStart.AddDays(r.IntN(int(genAsOf - genStart))), Amount: scale(700), Currency: cur})
	}
	sortCustomer(cd)
	return cd
}

// sortCustomer orders a customer's records by external_id, as Inputs deliver them.
func sortCustomer(cd *CustomerData) {
	byID := func(a, b canonical.Record) int { return compareKeys(a.Key(), b.Key()) }
	sortRecs(cd.Invoices, byID)
	sortRecs(cd.Lines, byID)
	sortRecs(cd.Transactions, byID)
	sortRecs(cd.Subscriptions, byID)
	sortRecs(cd.RevenueEntries, byID)
	sortRecs(cd.CreditNotes, byID)
}

func sortRecs[T canonical.Record](s []T, cmp func(a, b canonical.Record) int) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && cmp(s[j-1], s[j]) > 0; j-- {
			s[j-1], s[j] = s[j], s[j-1]
		}
	}
}

// genInput streams n generated customers without keeping them.
type genInput struct {
	n   int
	ref *Reference
}

func (g genInput) Reference(context.Context) (*Reference, error) { return g.ref, nil }

func (g genInput) Customers(ctx context.Context, fn func(*CustomerData) error) error {
	for i := 0; i < g.n; i++ {
		if err := fn(genCustomer(i)); err != nil {
			return err
		}
	}
	return nil
}

// sliceInput serves pre-built customers.
type sliceInput struct {
	ref  *Reference
	cust []*CustomerData
}

func (s sliceInput) Reference(context.Context) (*Reference, error) { return s.ref, nil }

func (s sliceInput) Customers(ctx context.Context, fn func(*CustomerData) error) error {
	for _, c := range s.cust {
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// records flattens a generated data set into canonical records.
func records(ref *Reference, cust []*CustomerData) []canonical.Record {
	var out []canonical.Record
	for _, p := range ref.Plans {
		out = append(out, p)
	}
	for _, p := range ref.Products {
		out = append(out, p)
	}
	for _, f := range ref.FXRates {
		out = append(out, f)
	}
	for _, c := range ref.Costs {
		out = append(out, c)
	}
	for _, cd := range cust {
		out = append(out, cd.Customer)
		for _, x := range cd.Subscriptions {
			out = append(out, x)
		}
		for _, x := range cd.Invoices {
			out = append(out, x)
		}
		for _, x := range cd.Lines {
			out = append(out, x)
		}
		for _, x := range cd.Transactions {
			out = append(out, x)
		}
		for _, x := range cd.CreditNotes {
			out = append(out, x)
		}
		for _, x := range cd.RevenueEntries {
			out = append(out, x)
		}
	}
	return out
}
