// Package metrics computes MRR, MRR movements, SaaS metrics, dimension breakdowns and
// cohorts from canonical records, exactly as SPEC §3–§5 define them. It is pure: it
// performs no I/O and knows no source connector or warehouse. Money is int64 minor units
// with explicit half-away-from-zero rounding; float64 never appears in the money path.
//
// The engine streams customers (Input.Customers) and processes them in parallel; memory
// is bounded by the largest customer plus the per-day and per-month aggregates, and the
// output is deterministic whatever the input order.
package metrics
