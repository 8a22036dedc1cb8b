#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md in sequence, on a quiet machine: builds the broker and the harness,
# then JMH (policy decision, challenge parsing), payments (broker vs direct mppx client, overspend) and holds
# (10,000 held requests). Raw results go to bench/results/<UTC date and time>/, and a Markdown table for
# docs/benchmarks.md is printed at the end (also written to summary.md there).
#
#   bench/run-all.sh            # the measured run: about 18 minutes on 2 cores, builds included
#   bench/run-all.sh --smoke    # everything once, briefly (about 3 minutes): checks that it all works
#   bench/run-all.sh --no-build # reuse the jars already built (either mode)
#
# Needs: JDK 17, Node.js 18+ (npm ci of bench/e2e/loadgen is done once here), PostgreSQL on 127.0.0.1:5432
# (user postgres; -Dbench.pg.* in JAVA_BENCH_OPTS to change). Run from anywhere; nothing else should load the
# machine meanwhile.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
build=yes
for arg in "$@"; do
  case "$arg" in
    --smoke) mode=smoke ;;
    --no-build) build=no ;;
    *) echo "usage: bench/run-all.sh [--smoke] [--no-build]" >&2; exit 2 ;;
  esac
done

if [[ $mode == smoke ]]; then
  jmh_opts=(-f 1 -wi 1 -w 1s -i 1 -r 1s)
  payments_opts=(--warmup 3 --seconds 3 --rounds 1 --concurrency 1,16)
  holds_opts=(--holds 500 --open-rate 500 --decision deny --approve-rate 100 --warmup 100)
  holds_paid_opts=(--holds 200 --open-rate 200 --decision approve --approve-rate 20 --warmup 50)
  out="bench/results/$(date -u +%Y-%m-%dT%H%MZ)-smoke"
else
  jmh_opts=(-f 1 -wi 3 -w 1s -i 5 -r 1s)
  # The broker's JIT keeps compiling for minutes: after 20 s of warm-up c = 1 measured 22 ms p50, after 3 min 13.5 ms.
  payments_opts=(--warmup 90 --seconds 12 --rounds 2 --concurrency 1,16,64)
  holds_opts=(--holds 10000 --open-rate 1000 --decision deny --approve-rate 100 --warmup 2000)
  holds_paid_opts=(--holds 2000 --open-rate 500 --decision approve --approve-rate 25 --warmup 500)
  out="bench/results/$(date -u +%Y-%m-%dT%H%MZ)"
fi
mkdir -p "$out"
started=$(date +%s)
step() { printf '\n== %s (%ds elapsed)\n' "$1" $(( $(date +%s) - started )); }
failed=()
# A benchmark that fails is reported and the next one still runs; the summary covers what finished.
run() { local name=$1; shift; "$@" || { echo "!! $name failed (exit $?)"; failed+=("$name"); }; }

if [[ $build == yes ]]; then
  step "build: broker, JMH, e2e harness"
  ./mvnw -B -q -DskipTests package
  ./mvnw -B -q -f bench/jmh/pom.xml package
  ./mvnw -B -q -f bench/e2e/pom.xml package
  (cd bench/e2e/loadgen && [[ -d node_modules ]] || npm ci --no-audit --no-fund)
fi
git rev-parse HEAD > "$out/commit.txt" 2>/dev/null || true
git status --short >> "$out/commit.txt" 2>/dev/null || true

jmh() {
  java -jar bench/jmh/target/benchmarks.jar "${jmh_opts[@]}" -rf json -rff "$out/jmh.json" \
    'io.mppbroker.bench.jmh.(DecisionBench|ChallengeBench)' | tee "$out/jmh.txt"
}
payments() {
  java ${JAVA_BENCH_OPTS:-} -jar bench/e2e/target/e2e-bench.jar payments "${payments_opts[@]}" --results "$out" \
    | tee "$out/payments.txt"
}
holds() {
  java ${JAVA_BENCH_OPTS:-} -jar bench/e2e/target/e2e-bench.jar holds "${holds_opts[@]}" --results "$out" \
    | tee "$out/holds.txt"
}
# Approvals that release payments: the answer includes paying the seller, so approvals come at a rate the broker
# can pay (a faster rate measures the payment queue, not the release of a hold).
holds_paid() {
  java ${JAVA_BENCH_OPTS:-} -jar bench/e2e/target/e2e-bench.jar holds "${holds_paid_opts[@]}" --results "$out" \
    | tee "$out/holds-paid.txt"
}

# One thread per benchmark (@Threads(1)): throughput is per core; *Latency benchmarks are SampleTime (p50/p99).
step "JMH: policy decision and challenge parsing"
run jmh jmh
step "E2E payments: broker vs direct mppx client, overspend under load"
run payments payments
step "E2E holds: held requests on one node, -Xmx512m, released by denials"
run holds holds
step "E2E holds: held requests released by approvals (each then paid)"
run holds-paid holds_paid

step "summary ($mode run)"
java -cp bench/e2e/target/e2e-bench.jar io.mppbroker.bench.e2e.Summary "$out" | tee "$out/summary.md"
printf '\nraw results: %s; total %ds\n' "$out" $(( $(date +%s) - started ))
if (( ${#failed[@]} )); then echo "failed: ${failed[*]}"; exit 1; fi
