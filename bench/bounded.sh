#!/usr/bin/env bash
# Work bounded by the catalogue's size, not by how often its jobs run: the
# time and peak memory of lint, render, validate and schedule (text and
# SVG) on a catalogue of JOBS jobs (default 5,000) that each run every
# minute, half in production and half in staging restoring from it.
#
#   bench/bounded.sh [ENVSYNC]
#
# ENVSYNC defaults to target/release/envsync (build it with
# `cargo build --release`). The budget is 2 s and 200 MB for each command;
# a row over it is marked OVER, and the script exits 1 if any is. Each
# command runs RUNS times (default 3); the report gives the slowest time
# and the largest peak resident memory (/usr/bin/time's %e and %M).
set -euo pipefail
cd "$(dirname "$0")/.."
envsync=${1:-target/release/envsync}
jobs=${JOBS:-5000}
runs=${RUNS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The catalogue: JOBS/2 databases, each every minute in both environments.
# Their operations are expected to take 20 seconds, so that a staging run
# (restore, then backup) fits in its minute and the alert rules can be made:
# with the default thresholds render refuses the catalogue.
{
  printf 'environments:\n  production:\n  staging: {restore_from: production}\n'
  printf 'chart:\n  toolbox: {image: {repository: toolbox, tag: v1}}\n'
  printf 'alerts:\n  taking_a_long_time:\n    backup: {quick: 20s}\n    restore: {quick: 20s}\n'
  printf 'databases:\n'
  for ((i = 0; i < jobs / 2; i++)); do
    printf '  app%d-postgres:\n    db: app_%d\n    production: "* * * * *"\n    staging: "* * * * *"\n' "$i" "$i"
  done
} >"$work/catalogue.yaml"

over=0
row() {
  local name=$1
  shift
  local worst_s=0 worst_kb=0
  for ((r = 0; r < runs; r++)); do
    rm -rf "$work/out"
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || true
    read -r s kb < <(tail -n 1 "$work/time")
    worst_s=$(awk -v a="$worst_s" -v b="$s" 'BEGIN { print (b > a) ? b : a }')
    ((kb > worst_kb)) && worst_kb=$kb
  done
  local mark=""
  if awk -v s="$worst_s" 'BEGIN { exit !(s > 2) }' || ((worst_kb > 200 * 1024)); then
    mark=OVER
    over=1
  fi
  printf '%-34s %8s s %8d MB  %s\n' "$name" "$worst_s" $((worst_kb / 1024)) "$mark"
}

echo "$jobs jobs every minute; $runs runs each, the worst shown; budget 2 s and 200 MB"
row "validate" "$envsync" validate "$work/catalogue.yaml"
row "lint" "$envsync" lint "$work/catalogue.yaml" --fail-on never
row "schedule (text)" "$envsync" schedule "$work/catalogue.yaml"
row "schedule --svg" "$envsync" schedule "$work/catalogue.yaml" --svg "$work/week.svg"
row "render" "$envsync" render "$work/catalogue.yaml" --out "$work/out"
exit $over
