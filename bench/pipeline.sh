#!/usr/bin/env bash
# End-to-end benchmark (make bench): generate N customers, sync them CSV -> DuckDB ->
# published metrics, report wall time and peak memory, then time the same monthly
# movements as a plain SQL query (bench/playbook.sql) over the same canonical tables.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${BENCH_CUSTOMERS:-100000}
work=.cache/bench-$N
bin=bin/revsync
mkdir -p "$work"
if [ ! -f "$work/data/.done" ]; then
  rm -rf "$work/data"
  "$bin" generate --customers "$N" --seed 1 --out "$work/data"
  touch "$work/data/.done"
fi
cat > "$work/revsync.yaml" <<YAML
warehouse: {type: duckdb, path: revsync.duckdb}
metrics: {reporting_currency: USD, as_of: 2025-12-31, dimensions: [country, plan]}
sources: [{name: csv, type: csv, path: ./data}]
YAML
rm -f "$work/revsync.duckdb" "$work/revsync.duckdb.wal"
timefmt="wall %e s, peak RSS %M KB"
echo "== revsync sync: $N customers, CSV -> DuckDB -> published metrics"
/usr/bin/time -f "$timefmt" "$bin" --log-level info --config "$work/revsync.yaml" sync 2> "$work/sync.log"
grep -E '"msg":"(source synced|metrics published)"' "$work/sync.log" || cat "$work/sync.log"
echo "== the same sync again (every record already stored)"
/usr/bin/time -f "$timefmt" "$bin" --log-level warn --config "$work/revsync.yaml" sync
lines=$("$bin" --config "$work/revsync.yaml" query --format csv "SELECT count(*) FROM invoice_lines" | tail -1)
echo "invoice lines: $lines"
echo "== plain SQL (dbt mrr-playbook approach) inside DuckDB over the same tables"
/usr/bin/time -f "$timefmt" "$bin" --config "$work/revsync.yaml" query --format csv -- "$(cat bench/playbook.sql)" > "$work/playbook.csv"
tail -3 "$work/playbook.csv"
