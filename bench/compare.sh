#!/usr/bin/env bash
# Times envsync against helm on the GOV.UK fixture, as whole processes over
# repeated runs:
#
#   envsync  `envsync lint` and `envsync render` of fixtures/govuk/catalogue.yaml:
#            every environment's values, manifests, alert rules and their tests;
#   helm     one `helm template` of the db-backup chart for one environment
#            (staging), with the `cronjobs` values envsync renders.
#
#   bench/compare.sh [CHART_DIR]
#
# CHART_DIR defaults to bench/chart, a chart of our own that renders the
# CronJobs as GOV.UK's charts/db-backup does (tests/manifests.rs checks it
# against helm's output of every chart revision in the conformance data).
# For GOV.UK's chart itself, pass charts/db-backup of a govuk-helm-charts
# checkout: as with bench/chart, its values.yaml gives the chart-level
# settings and envsync's values/cronjobs.yaml is passed to helm with -f.
#
# First it checks that helm renders the CronJobs envsync's manifests/staging.yaml
# holds (the same names; the same objects too where python3 has PyYAML).
# Then it runs each command once untimed and RUNS times (default 20) timed,
# the three in turn each round, and reports the median wall time, peak
# resident memory (/usr/bin/time's %M, the largest of three runs) and the
# ratio helm / envsync, where envsync's time is the sum of its two medians,
# against a target of TARGET (default 5: at least 5 times quicker than helm).
# In the same rounds it times `envsync --version`, a process that starts and
# does nothing, to show how much of envsync's time, and of the time the
# target leaves it, goes on starting its two processes.
#
# envsync renders into a temporary folder under TMPDIR (default /tmp), emptied
# before every run (untimed), so each render writes every file: each is
# written beside its target and renamed into place, so the filesystem there
# counts a little; the report names it. (A render over files that already
# hold the same contents leaves them alone and is quicker.) helm is
# installed by scripts/install-helm into .ci/cache/helm.
set -euo pipefail
export LC_ALL=C # EPOCHREALTIME with a decimal point

cd "$(dirname "$0")/.."
root=$PWD
chart=$(cd "${1:-bench/chart}" && pwd)
runs=${RUNS:-20}
target=${TARGET:-5} # helm / envsync at least this
fixture=fixtures/govuk/catalogue.yaml
env=staging

die() { echo "compare.sh: $*" >&2; exit 1; }
[ -f "$chart/Chart.yaml" ] || die "$chart has no Chart.yaml"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed for peak memory (apt-get install time)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet --bin envsync
envsync=$root/target/release/envsync
helm=$(scripts/install-helm)

# --- the same CronJobs ------------------------------------------------------
# envsync renders with the chart-level settings of the chart's own
# values.yaml (--chart-repo reads REPO/charts/db-backup/values.yaml).
mkdir -p "$work/repo/charts"
ln -s "$chart" "$work/repo/charts/db-backup"
"$envsync" render "$fixture" --chart-repo "$work/repo" --out "$work/check" 2>"$work/err" ||
    { cat "$work/err" >&2; die "envsync render failed"; }
values=$work/check/values/cronjobs.yaml
"$helm" template db-backup "$chart" -f "$values" --set "govukEnvironment=$env" >"$work/helm.yaml"

# The metadata.name of each CronJob, in order.
names() { awk '/^kind: CronJob$/ { c = 1 } c && /^  name: / { gsub(/"/, "", $2); print $2; c = 0 }' "$1"; }
names "$work/check/manifests/$env.yaml" >"$work/envsync.names"
names "$work/helm.yaml" >"$work/helm.names"
diff -u "$work/envsync.names" "$work/helm.names" >&2 ||
    die "helm renders other CronJobs than envsync's manifests/$env.yaml (above: envsync, then helm)"
jobs=$(wc -l <"$work/helm.names")
if python3 -c 'import yaml' 2>/dev/null; then
    python3 - "$work/check/manifests/$env.yaml" "$work/helm.yaml" <<'EOF' || die "helm's CronJobs differ from envsync's"
import sys, yaml
def cronjobs(path):
    with open(path) as f:
        return {d["metadata"]["name"]: d for d in yaml.safe_load_all(f) if d and d.get("kind") == "CronJob"}
ours, helms = (cronjobs(p) for p in sys.argv[1:])
differ = sorted(name for name in helms if helms[name] != ours.get(name))
for name in differ:
    print(f"{name}: helm renders it differently", file=sys.stderr)
sys.exit(1 if differ else 0)
EOF
    same="the same objects"
else
    same="the same names (no PyYAML to compare them as data)"
fi
echo "helm and envsync render $jobs CronJobs for $env: $same"

# --- timing -----------------------------------------------------------------
lint=("$envsync" lint "$fixture")
render=("$envsync" render "$fixture" --out "$work/out")
template=("$helm" template db-backup "$chart" -f "$values" --set "govukEnvironment=$env")
version=("$envsync" --version)

run() { "$@" >/dev/null 2>&1 || die "failed: $*"; }
run "${lint[@]}"
run "${render[@]}"
run "${template[@]}"
run "${version[@]}"
for _ in $(seq "$runs"); do
    for name in lint render helm start; do
        case $name in
        lint) cmd=("${lint[@]}") ;;
        render) cmd=("${render[@]}") ;;
        helm) cmd=("${template[@]}") ;;
        start) cmd=("${version[@]}") ;;
        esac
        rm -rf "$work/out"
        start=$EPOCHREALTIME
        run "${cmd[@]}"
        end=$EPOCHREALTIME
        echo $((${end/./} - ${start/./})) >>"$work/$name.us"
    done
done

# Median and minimum, in milliseconds, of a file of microseconds.
stats() {
    sort -n "$1" | awk '{ t[NR] = $1 } END {
        m = NR % 2 ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2
        printf "%.1f %.1f\n", m / 1000, t[1] / 1000 }'
}
# The largest peak resident memory, in KiB, of three runs.
peak_kib() {
    for _ in 1 2 3; do
        rm -rf "$work/out"
        /usr/bin/time -f %M -o "$work/mem" "$@" >/dev/null 2>&1 || die "failed: $*"
        cat "$work/mem"
    done | sort -n | tail -n1
}
read -r lint_ms lint_min < <(stats "$work/lint.us")
read -r render_ms render_min < <(stats "$work/render.us")
read -r helm_ms helm_min < <(stats "$work/helm.us")
read -r start_ms start_min < <(stats "$work/start.us")
lint_kib=$(peak_kib "${lint[@]}")
render_kib=$(peak_kib "${render[@]}")
helm_kib=$(peak_kib "${template[@]}")
start_kib=$(peak_kib "${version[@]}")

mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
envsync_ms=$(awk -v a="$lint_ms" -v b="$render_ms" 'BEGIN { printf "%.1f", a + b }')
envsync_kib=$((lint_kib > render_kib ? lint_kib : render_kib))
ratio=$(awk -v h="$helm_ms" -v e="$envsync_ms" 'BEGIN { printf "%.1f", h / e }')
verdict() { if awk -v x="$1" -v t="$3" "BEGIN { exit !(x $2 t) }"; then echo met; else echo "not met"; fi; }

echo
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $runs runs each;" \
    "envsync writes to $(stat -f -c %T "$work") ($work)"
echo "$("$envsync" --version), helm $("$helm" version --short)"
printf '%-44s %9s %9s %10s\n' "" "median" "fastest" "peak RSS"
row() { printf '%-44s %6s ms %6s ms %6s MiB\n' "$1" "$2" "$3" "$(mib "$4")"; }
row "envsync lint (all environments)" "$lint_ms" "$lint_min" "$lint_kib"
row "envsync render (values, manifests, rules)" "$render_ms" "$render_min" "$render_kib"
row "helm template ${1:-bench/chart} ($env only)" "$helm_ms" "$helm_min" "$helm_kib"
row "envsync --version (starting a process)" "$start_ms" "$start_min" "$start_kib"
echo
echo "envsync lint + render: $envsync_ms ms (sum of the medians)"
echo "helm / envsync: ${ratio}x (target at least ${target}x: $(verdict "$ratio" '>=' "$target"))"
awk -v h="$helm_ms" -v e="$envsync_ms" -v s="$start_ms" -v t="$target" 'BEGIN {
    printf "at %sx, lint + render would have %.1f ms: starting the two processes takes %.1f ms of it,\n", t, h / t, 2 * s
    printf "leaving %.1f ms for the work, which takes %.1f ms now\n", h / t - 2 * s, e - 2 * s }'
echo "envsync peak memory: $(mib "$envsync_kib") MiB (target under 10 MiB: $(verdict "$envsync_kib" '<' 10240))"
