#!/usr/bin/env bash
# Builds the fuzzers' seed corpora in fuzz/corpus/<target>/ (not committed):
#   catalogue  the GOV.UK catalogue, and one small catalogue per database in it
#   values     every conformance revision's values.yaml
#   cron       every distinct schedule in those, and the dialect's corner cases
# The conformance cases are read from ../shared/conformance beside the clone,
# or from $CONFORMANCE. Run from anywhere; rerunning replaces the seeds.
set -euo pipefail

fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz")
conformance=${CONFORMANCE:-$root/../shared/conformance}
fixture=$root/fixtures/govuk/catalogue.yaml
corpus=$fuzz/corpus

if [ ! -d "$conformance/cases" ]; then
    echo "no conformance cases at $conformance/cases (set CONFORMANCE)" >&2
    exit 1
fi

rm -rf "$corpus/catalogue/seed-"* "$corpus/values/seed-"* "$corpus/cron/seed-"*
mkdir -p "$corpus/catalogue" "$corpus/values" "$corpus/cron"

# catalogue: the whole fixture, then its head (environments, profiles) with
# one database at a time, which gives the fuzzer small valid inputs.
cp "$fixture" "$corpus/catalogue/seed-govuk"
awk -v out="$corpus/catalogue/seed-db-" '
    /^databases:/ { in_dbs = 1; next }
    /^[a-z]/ && in_dbs { in_dbs = 0 }
    !in_dbs && !done_head { if (/^[a-z]/ && !/^(environments|profiles):/) skip = 1
                            else if (/^(environments|profiles):/) skip = 0
                            if (!skip) head = head $0 "\n" }
    in_dbs && /^  [a-z]/ { n++; db[n] = $0 "\n"; next }
    in_dbs && n && /^    / { db[n] = db[n] $0 "\n" }
    END { for (i = 1; i <= n; i++) printf "%sdatabases:\n%s", head, db[i] > (out i) }
' "$fixture"

# values: every revision, named after it.
for case in "$conformance"/cases/*/; do
    name=$(basename "$case")
    for file in "$case"values*.yaml; do
        [ -f "$file" ] && cp "$file" "$corpus/values/seed-$name-$(basename "$file" .yaml)"
    done
done

# cron: the schedules written in the fixture and the revisions, one a file,
# and the corners of the dialect.
{
    grep -ohE '[0-9*?/,A-Za-z-]+( [0-9*?/,A-Za-z-]+){4}' "$fixture" |
        grep -E '^[0-9*?/,-]' || true
    sed -nE 's/^ *schedule: *"?([^"#]*[^" #])"? *(#.*)?$/\1/p' "$conformance"/cases/*/values*.yaml
    printf '%s\n' '@yearly' '@annually' '@monthly' '@weekly' '@daily' '@midnight' '@hourly' \
        '@every 1h30m' '@every 1.5h' '@every 500ms' '@every -5m' '@every 0' \
        '0 0 30 2 *' '0 0 29 2 *' '0 0 13 * 5' '0 0 */2 * 1' '5/20 * * * *' \
        '0 0 ? * MON-FRI' '30 6 * DEC,JAN MON' '0 0 1,,15, * *' '0 0 * * 7' \
        'TZ=UTC 0 0 * * *' '0 0 * * * *' '0 0 L * *' \
        '@every 9223372036854775807ns' '@every 2562047h47m16.854775807s'
} | sort -u | {
    i=0
    while IFS= read -r schedule; do
        i=$((i + 1))
        printf '%s' "$schedule" > "$corpus/cron/seed-$i"
    done
}

for target in catalogue values cron; do
    echo "$target: $(find "$corpus/$target" -type f | wc -l) files"
done
