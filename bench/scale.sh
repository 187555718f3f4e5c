#!/usr/bin/env bash
# Scale benchmark (make bench-scale): the demo company at 1M (and 10M) orders as CSV,
# SQLite and PostgreSQL; for each source the wall time and peak RSS of
#   kpireport kpis --config ... --job monthly --format json
# (and of generate), plus the time psql alone needs for the same GROUP BY statements
# (those `kpireport kpis --explain` shows) and the ratio of the two.
#
# Settings (environment):
#   BENCH_ORDERS   orders per run, a list: "1000000 10000000" (default: 1000000)
#   BENCH_RUNS     runs per measurement; the fastest is shown (default: 3)
#   BENCH_DIR      where the data goes (default: $TMPDIR/kpireport-bench); kept
#                  between runs, BENCH_FRESH=1 writes and loads it again
#   KPIREPORT_POSTGRES_DSN  the PostgreSQL server (default: postgres://postgres@127.0.0.1:5432/test?sslmode=disable);
#                  each size gets a schema kpibench_<orders> in it
#
# Needs: go, psql, /usr/bin/time (GNU time).
set -euo pipefail
cd "$(dirname "$0")/.."

ORDERS=${BENCH_ORDERS:-1000000}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_DIR:-${TMPDIR:-/tmp}/kpireport-bench}
FRESH=${BENCH_FRESH:-0}
PGDSN=${KPIREPORT_POSTGRES_DSN:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
ZONE=Europe/Amsterdam
JOB=monthly
BIN=$PWD/bin/kpireport

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'bench/scale.sh: %s\n' "$*" >&2; exit 1; }

[[ -x /usr/bin/time ]] || die "needs GNU time at /usr/bin/time (apt-get install time)"
command -v psql >/dev/null || die "needs psql"
mkdir -p "$OUT"
log "build"
go build -o "$BIN" ./cmd/kpireport

# The demo data ends today, so the monthly job's period is last month in the report's zone.
PERIOD=$(TZ=$ZONE date -d "$(TZ=$ZONE date +%Y-%m-15) -1 month" +%Y-%m)

# measure LABEL CMD...: runs CMD $RUNS times (stdout discarded) and sets WALL (the
# fastest run, seconds) and RSS (its peak resident set, MB), or FAILED with the error.
measure() {
  local label=$1 best="" rss="" i t m
  shift
  FAILED=""
  for ((i = 0; i < RUNS; i++)); do
    if ! /usr/bin/time -f '%e %M' -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt"; then
      FAILED=$(grep -v '^Command exited' "$OUT/stderr.txt" | head -1)
      log "$label: failed: $FAILED"
      return 1
    fi
    read -r t m < <(tail -1 "$OUT/time.txt")
    if [[ -z $best ]] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best=$t rss=$m
    fi
  done
  WALL=$best
  RSS=$(awk -v k="$rss" 'BEGIN { printf "%.0f", k / 1024 }')
  log "$label: $WALL s, $RSS MB"
}

RESULTS=()
row() { RESULTS+=("$(printf '%-10s %-26s %10s %10s   %s' "$@")"); }

# pgtype COLUMN: the PostgreSQL type of a column of the demo's CSV files.
pgtype() {
  case $1 in
    order_date | call_date) echo timestamptz ;; # local times and some UTC ones with Z
    *_date) echo date ;;
    amount | cost | value) echo 'numeric(18,4)' ;;
    recurring) echo boolean ;;
    *) echo text ;;
  esac
}

# identity DATA: what identifies the CSV files in DATA (size and time of orders.csv).
identity() { stat -c '%s %Y' "$1/orders.csv"; }

# load_pg N SCHEMA DATA: COPY the CSV files into SCHEMA, with primary keys and statistics.
load_pg() {
  local n=$1 schema=$2 data=$3 sql="$OUT/load-$1.sql" table cols header pk
  {
    echo "\\set ON_ERROR_STOP on"
    echo "SET client_min_messages = warning;"
    echo "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema; SET search_path = $schema;"
    # Timestamps without an offset are local times of the report's zone.
    echo "SET TimeZone = '$ZONE';"
    for table in orders customers leads deals spend calls; do
      header=$(head -1 "$data/$table.csv" | tr -d '\r\357\273\277')
      cols=()
      for c in ${header//,/ }; do cols+=("$c $(pgtype "$c")"); done
      echo "CREATE TABLE $table ($(IFS=,; echo "${cols[*]}"));"
      echo "\\copy $table FROM '$data/$table.csv' WITH (FORMAT csv, HEADER true)"
    done
    for pk in orders:order_id customers:customer_id leads:lead_id deals:deal_id; do
      echo "ALTER TABLE ${pk%%:*} ADD PRIMARY KEY (${pk#*:});"
    done
    echo "ANALYZE;"
    echo "CREATE TABLE kpibench_loaded (data text); INSERT INTO kpibench_loaded VALUES ('$(identity "$data")');"
  } >"$sql"
  psql -X -q "$PGDSN" -f "$sql" >/dev/null
}

for N in $ORDERS; do
  dir=$OUT/n$N
  schema=kpibench_$N
  case $PGDSN in *\?*) dsn="$PGDSN&search_path=$schema" ;; *) dsn="$PGDSN?search_path=$schema" ;; esac
  log "$N orders, period $PERIOD"

  for format in csv sqlite; do
    if [[ $FRESH == 1 || ! -f $dir/$format/.complete ]]; then
      rm -rf "${dir:?}/$format"
      RUNS=1 measure "demo $format" "$BIN" demo --dir "$dir/$format" --orders "$N" --format "$format" ||
        die "demo --format $format failed"
      row "$N" "demo --format $format" "$WALL s" "$RSS MB"
      touch "$dir/$format/.complete"
    fi
  done

  loaded=$(PGOPTIONS="-c search_path=$schema" psql -X -qtA "$PGDSN" -c "SELECT data FROM kpibench_loaded" 2>/dev/null || true)
  if [[ $FRESH == 1 || $loaded != "$(identity "$dir/csv/data")" ]]; then
    log "COPY $N orders into PostgreSQL schema $schema"
    start=$(date +%s.%N)
    load_pg "$N" "$schema" "$dir/csv/data"
    row "$N" "load postgres (COPY)" "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s" ""
  fi

  # The PostgreSQL config: the CSV one with its [source] replaced.
  awk '/^\[source\]/ { print "[source]\ntype = \"postgres\"\ndsn_env = \"KPIREPORT_POSTGRES_DSN\"\n"; skip = 1; next }
       /^\[/ { skip = 0 } !skip' "$dir/csv/kpireport.toml" >"$dir/postgres.toml"

  for src in csv sqlite postgres; do
    config=$dir/$src/kpireport.toml
    [[ $src == postgres ]] && config=$dir/postgres.toml
    if KPIREPORT_POSTGRES_DSN=$dsn measure "kpis $src" "$BIN" kpis --config "$config" --job "$JOB" --period "$PERIOD" --format json; then
      row "$N" "kpis $src" "$WALL s" "$RSS MB"
      [[ $src == postgres ]] && PGWALL=$WALL
      if KPIREPORT_POSTGRES_DSN=$dsn measure "generate $src" "$BIN" generate --config "$config" --job "$JOB" --period "$PERIOD" --out "$dir/reports-$src"; then
        row "$N" "generate $src" "$WALL s" "$RSS MB"
      else
        row "$N" "generate $src" "failed" "" "$FAILED"
      fi
    else
      row "$N" "kpis $src" "failed" "" "$FAILED"
    fi
  done

  # psql alone: the statements the source runs, as prepared statements with their values.
  KPIREPORT_POSTGRES_DSN=$dsn "$BIN" kpis --config "$dir/postgres.toml" --job "$JOB" --period "$PERIOD" --explain >"$dir/explain.sql"
  PGOPTIONS="-c search_path=$schema" measure "psql" psql -X -q -v ON_ERROR_STOP=1 "$PGDSN" -f "$dir/explain.sql"
  row "$N" "psql, same statements" "$WALL s" "" "postgres / psql = $(awk -v a="$PGWALL" -v b="$WALL" 'BEGIN { printf "%.2f", a / b }')"
done

printf '\n%-10s %-26s %10s %10s   %s\n' orders step "wall" "peak RSS" notes
printf '%s\n' "${RESULTS[@]}"
printf '\n(fastest of %s runs; period %s; data in %s)\n' "$RUNS" "$PERIOD" "$OUT"
