package metrics

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/revsync/revsync/canonical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var propDims = []string{"country", "segment", "plan", "product", "billing_interval", "currency", "plan.tier"}

func genSet(n int) (*Reference, []*CustomerData) {
	ref := genReference()
	cust := make([]*CustomerData, n)
	for i := range cust {
		cust[i] = genCustomer(i)
	}
	return ref, cust
}

func propSettings(workers int) Settings {
	return Settings{ReportingCurrency: "USD", AsOf: genAsOf, Dimensions: propDims, Workers: workers}
}

func run(t testing.TB, s Settings, in Input) (*collectSink, Summary) {
	t.Helper()
	sink := &collectSink{}
	sum, err := Compute(context.Background(), s, in, sink)
	require.NoError(t, err)
	return sink, sum
}

func v(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func TestProperties_MovementsAddUpInEverySegment(t *testing.T) {
	ref, cust := genSet(600)
	sink, sum := run(t, propSettings(0), sliceInput{ref, cust})
	require.NotZero(t, sum.Movements)

	type key struct{ dim, seg string }
	prev := map[key]int64{}
	prevCust := map[key]int64{}
	byMonth := map[key]map[canonical.Date]*MetricRow{}
	for i := range sink.metrics {
		r := &sink.metrics[i]
		if !r.Monthly || r.Dimension == CostCategory {
			continue
		}
		k := key{r.Dimension, r.Segment}
		net := v(r.NewBusinessMRR) + v(r.ExpansionMRR) + v(r.ContractionMRR) + v(r.ChurnMRR) + v(r.ReactivationMRR) + v(r.FXAdjustmentMRR)
		assert.Equal(t, net, v(r.NetNewMRR), "%v %s: net new is the sum of movements", k, r.Period)
		assert.Equal(t, v(r.MRR)-prev[k], net, "%v %s: MRR end − start = Σ movements", k, r.Period)
		assert.Equal(t, v(r.Customers)-prevCust[k], v(r.NewCustomers)+v(r.ReactivatedCustomers)-v(r.ChurnedCustomers),
			"%v %s: customers change by new + reactivated − churned", k, r.Period)
		assert.Equal(t, 12*v(r.MRR), v(r.ARR))
		prev[k], prevCust[k] = v(r.MRR), v(r.Customers)
		if byMonth[k] == nil {
			byMonth[k] = map[canonical.Date]*MetricRow{}
		}
		byMonth[k][r.Period] = r
	}
	all := byMonth[key{All, All}]
	require.NotEmpty(t, all)

	// Customer-level dimensions (and subscription-level ones in the reporting currency)
	// partition the business: their segments sum to the total.
	for _, dim := range []string{"country", "segment", "plan", "product", "billing_interval", "plan.tier"} {
		for period, a := range all {
			var mrr, cnt, churn, nb int64
			for k, rows := range byMonth {
				if k.dim != dim {
					continue
				}
				r := rows[period]
				require.NotNil(t, r, "segment %v has a row for every month", k)
				mrr += v(r.MRR)
				cnt += v(r.Customers)
				churn += v(r.ChurnMRR)
				nb += v(r.NewBusinessMRR)
			}
			assert.Equal(t, v(a.MRR), mrr, "%s %s: segments' MRR sums to the total", dim, period)
			if dim == "country" || dim == "segment" {
				assert.Equal(t, v(a.Customers), cnt, "%s %s: segments' customers sum to the total", dim, period)
				assert.Equal(t, v(a.ChurnMRR), churn, "%s %s", dim, period)
				assert.Equal(t, v(a.NewBusinessMRR), nb, "%s %s", dim, period)
			}
		}
	}

	// Movement rows add up to the monthly table, and the daily table to the monthly one.
	movByMonth := map[canonical.Date]int64{}
	for _, m := range sink.movements {
		movByMonth[m.Date.MonthStart()] += m.Amount
		assert.Equal(t, m.MRRAfter-m.MRRBefore, m.Amount)
	}
	dailyNet := map[canonical.Date]int64{}
	dailyEnd := map[canonical.Date]int64{}
	for _, r := range sink.metrics {
		if !r.Monthly && r.Dimension == All {
			dailyNet[r.Period.MonthStart()] += v(r.NetNewMRR)
			dailyEnd[r.Period.MonthStart()] = v(r.MRR)
		}
	}
	for period, a := range all {
		assert.Equal(t, v(a.NetNewMRR), movByMonth[period], "%s: movements", period)
		assert.Equal(t, v(a.NetNewMRR), dailyNet[period], "%s: daily net new", period)
		assert.Equal(t, v(a.MRR), dailyEnd[period], "%s: daily MRR at month end", period)
	}
	assert.Equal(t, sum.MRR, v(all[genAsOf.MonthStart()].MRR))

	// customer_mrr intervals replay the movements.
	type ck struct{ src, id string }
	last := map[ck]int64{}
	for _, m := range sink.movements {
		last[ck{m.Source, m.CustomerExternalID}] = m.MRRAfter
	}
	var open int64
	for _, c := range sink.mrr {
		if c.ValidTo == nil {
			open += c.MRR
			assert.Equal(t, last[ck{c.Source, c.CustomerExternalID}], c.MRR)
		}
	}
	assert.Equal(t, sum.MRR, open, "open customer_mrr intervals sum to MRR at as_of")
}

func TestProperties_ShuffledInputGivesIdenticalOutput(t *testing.T) {
	ref, cust := genSet(200)
	recs := records(ref, cust)
	build := func(seed uint64) *Dataset {
		r := rand.New(rand.NewPCG(seed, 1))
		shuffled := append([]canonical.Record(nil), recs...)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		ds := NewDataset()
		for _, rec := range shuffled {
			ds.Add(rec)
		}
		return ds
	}
	first, _ := run(t, propSettings(1), build(1))
	second, _ := run(t, propSettings(4), build(2))
	again, _ := run(t, propSettings(3), build(2))
	streamed, _ := run(t, propSettings(2), sliceInput{ref, cust})
	require.NotEmpty(t, first.movements)
	assert.Equal(t, first, second, "shuffled input and other worker counts give identical rows")
	assert.Equal(t, second, again, "a second run gives identical rows")
	assert.Equal(t, first, streamed, "Dataset and a streaming Input agree")
}
