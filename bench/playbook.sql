-- Monthly MRR movements the way the public dbt mrr-playbook computes them: a month spine,
-- per-customer MRR at each month end, lag, categorise. Run over revsync's canonical
-- tables in DuckDB by `make bench`, side by side with the metrics engine. It follows the
-- playbook's simplifications (documented in docs/BENCHMARKS.md): month-end snapshots
-- only, every covering line summed (no revision precedence), no fx_adjustment split.
WITH lines AS (
    SELECT i.customer_external_id AS customer,
           l.service_period_start AS period_start,
           l.service_period_end AS period_end,
           (l.amount - l.tax_amount)
             / (p.interval_count * CASE p.interval_unit WHEN 'month' THEN 1 WHEN 'year' THEN 12
                                   WHEN 'week' THEN 12.0 / 52 ELSE 12.0 / 365 END)
             * CASE WHEN i.currency = 'USD' THEN 1 ELSE f.rate END AS mrr
    FROM invoice_lines l
    JOIN invoices i ON i.source = l.source AND i.external_id = l.invoice_external_id
    JOIN plans p ON p.source = l.source AND p.external_id = l.plan_external_id
    ASOF LEFT JOIN fx_rates f ON f.currency = i.currency AND f.date <= l.service_period_start
    WHERE l.type = 'subscription' AND i.status <> 'void' AND l.amount >= 0
),
months AS (
    SELECT CAST(m AS DATE) AS month_start, CAST(last_day(m) AS DATE) AS month_end
    FROM (SELECT unnest(generate_series(
        (SELECT date_trunc('month', min(period_start)) FROM lines),
        DATE '2025-12-01', INTERVAL 1 MONTH)) AS m)
),
customer_month AS (
    SELECT month_start, customer, sum(mrr) AS mrr
    FROM months JOIN lines ON period_start <= month_end AND period_end > month_end
    GROUP BY ALL
),
spine AS (
    SELECT month_start, customer FROM months CROSS JOIN (SELECT DISTINCT customer FROM lines)
),
filled AS (
    SELECT s.month_start, s.customer, coalesce(cm.mrr, 0) AS mrr
    FROM spine s LEFT JOIN customer_month cm USING (month_start, customer)
),
lagged AS (
    SELECT *, lag(mrr, 1, 0) OVER w AS previous,
           coalesce(max(mrr) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS ever
    FROM filled WINDOW w AS (PARTITION BY customer ORDER BY month_start)
)
SELECT month_start AS period,
       round(sum(mrr), 2) AS mrr,
       round(sum(CASE WHEN previous = 0 AND mrr > 0 AND ever = 0 THEN mrr ELSE 0 END), 2) AS new_business_mrr,
       round(sum(CASE WHEN previous = 0 AND mrr > 0 AND ever > 0 THEN mrr ELSE 0 END), 2) AS reactivation_mrr,
       round(sum(CASE WHEN previous > 0 AND mrr > previous THEN mrr - previous ELSE 0 END), 2) AS expansion_mrr,
       round(sum(CASE WHEN previous > 0 AND mrr > 0 AND mrr < previous THEN mrr - previous ELSE 0 END), 2) AS contraction_mrr,
       round(sum(CASE WHEN previous > 0 AND mrr = 0 THEN -previous ELSE 0 END), 2) AS churn_mrr,
       count(*) FILTER (WHERE mrr > 0) AS customers
FROM lagged
GROUP BY month_start
ORDER BY month_start
