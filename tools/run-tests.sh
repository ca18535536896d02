#!/usr/bin/env bash
# tools/run-tests.sh — the one command that sets up, builds and runs askfirst's
# whole test suite (what .ci/run calls):
#   1. tools/setup.sh (Debian packages)
#   2. build/ (GCC): meson setup + ninja; unit tests; the classifier corpus check
#      (tests/classifiers_check.sh: askfirst classify --check ../shared/corpus/*.jsonl,
#      counted as one check); integration and e2e tests (pytest)
#   3. build-asan/ (GCC, -Db_sanitize=address,undefined): unit + integration tests
#   4. build-fuzz/ (clang): every libFuzzer target in tests/fuzz/, FUZZ_SECONDS each (default 45: 14 targets, and the suite stays under 60 min with the Debian guest built cold)
#   5. the real Debian guest (tests/e2e/test_debian_guest.py), if the run has used at most
#      SLOW_GUEST_BUDGET_MIN minutes (default 60) and ASKFIRST_SKIP_SLOW_GUEST is not 1
# It ends with one line "N passed, N failed, N skipped" and exits non-zero if
# anything failed. Steps keep going after a failure so one run shows everything.
# Environment: FUZZ_SECONDS, JOBS (ninja -j, default 2), PYTEST_ARGS (extra args),
# SLOW_GUEST_BUDGET_MIN, ASKFIRST_SKIP_SLOW_GUEST.
set -uo pipefail

cd "$(dirname "$0")/.."
readonly ROOT=$PWD
readonly FUZZ_SECONDS=${FUZZ_SECONDS:-45}
readonly JOBS=${JOBS:-2}
readonly PYTHON=/usr/bin/python3   # Debian's python3 with python3-pytest
readonly LOGS=$ROOT/build-logs
readonly SLOW_GUEST_TESTS=tests/e2e/test_debian_guest.py
readonly SLOW_GUEST_BUDGET_MIN=${SLOW_GUEST_BUDGET_MIN:-60}
mkdir -p "$LOGS"

passed=0 failed=0 skipped=0
failures=()

note() { printf '\n== %s\n' "$*"; }
count_pass() { passed=$((passed + $1)); }
count_fail() { failed=$((failed + $1)); failures+=("$2"); }

# A step that is one check: passes or fails as a whole (setup, a build, a fuzz run).
check() {
  local name=$1; shift
  note "$name"
  if "$@"; then count_pass 1; else count_fail 1 "$name"; return 1; fi
}

build() {  # build DIR [meson options...]: configure once, then ninja
  local dir=$1; shift
  if [[ ! -f $dir/build.ninja ]]; then meson setup "$dir" "$@" >"$LOGS/$(basename "$dir")-setup.log" || {
    cat "$LOGS/$(basename "$dir")-setup.log"; return 1; }
  fi
  ninja -C "$dir" -j "$JOBS"
}

# meson test [--suite S]: the doctest executables, and in the GCC build also the
# loopback TLS checks (tests/tls_loopback); counts each test's outcome.
unit_tests() {
  local dir=$1 log; shift
  note "meson tests ($dir) $*"
  log=$LOGS/$(basename "$dir")-unit.log
  meson test -C "$dir" "$@" --num-processes "$JOBS" --print-errorlogs 2>&1 | tee "$log"
  local ok fail skip
  ok=$(awk '/^Ok:/{print $2}' "$log"); fail=$(awk '/^Fail:/{print $2}' "$log")
  skip=$(awk '/^Skipped:/{print $2}' "$log"); local timeout; timeout=$(awk '/^Timeout:/{print $2}' "$log")
  [[ -z $ok ]] && { count_fail 1 "unit tests ($dir) did not run"; return; }
  count_pass "$ok"; skipped=$((skipped + ${skip:-0}))
  (( ${fail:-0} + ${timeout:-0} > 0 )) && count_fail $((fail + timeout)) "unit tests ($dir)"
  return 0
}

# pytest over the given directories; counts test cases from its JUnit XML.
pytest_suite() {
  local dir=$1; shift
  local xml=$LOGS/pytest-$(basename "$dir")-$(echo "$*" | tr -c 'a-z0-9' '_').xml
  note "integration/e2e tests ($dir): $*"
  ASKFIRST_BUILD_DIR=$ROOT/$dir $PYTHON -m pytest -p no:cacheprovider -rs -q --junitxml="$xml" ${PYTEST_ARGS:-} "$@"
  if [[ ! -f $xml ]]; then count_fail 1 "pytest ($dir) did not run"; return; fi
  local counts
  # First line: the counts. Then one line per failed test: its name and the first line of
  # what failed, so the run's last lines (all a CI log may keep) say which tests and why.
  counts=$($PYTHON - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
p = f = s = 0
failed = []
for case in root.iter("testcase"):
    kinds = {child.tag for child in case}
    if kinds & {"failure", "error"}:
        f += 1
        problem = next(child for child in case if child.tag in ("failure", "error"))
        first_line = (problem.get("message") or problem.text or "").strip().splitlines()[:1]
        failed.append(f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}: {first_line[0][:200] if first_line else '?'}")
    elif "skipped" in kinds: s += 1
    else: p += 1
print(p, f, s)
print("\n".join(failed))
PY
)
  local p f s
  read -r p f s <<<"$(head -n1 <<<"$counts")"
  count_pass "$p"; skipped=$((skipped + s))
  if (( f > 0 )); then
    count_fail "$f" "pytest ($dir)"
    while IFS= read -r line; do [[ -n $line ]] && failures+=("  $line"); done < <(tail -n +2 <<<"$counts")
  fi
  return 0
}

run_fuzzer() {  # run_fuzzer NAME BINARY CORPUS_DIR: one libFuzzer run, log in build-logs/
  # libpg_query keeps one allocation from its error path for the process's life (tests/fuzz/sql_lsan.supp).
  LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$ROOT/tests/fuzz/sql_lsan.supp} "$2" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -artifact_prefix="$LOGS/fuzz-$1-" "$3" \
    >"$LOGS/fuzz-$1.log" 2>&1
}

fuzz_targets() {  # fuzz DIR: runs every libFuzzer target meson defines in tests/fuzz/
  local dir=$1 targets target corpus work
  targets=$(meson introspect "$dir" --targets | $PYTHON -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["defined_in"].endswith("tests/fuzz/meson.build"):
        print(t["name"], t["filename"][0])')
  if [[ -z $targets ]]; then count_fail 1 "no fuzz targets found in $dir"; return; fi
  while read -r target path; do
    corpus=$ROOT/tests/fuzz/corpus/$target
    [[ -d $corpus ]] || corpus=$ROOT/tests/fuzz/corpus/${target#fuzz_}
    work=$(mktemp -d)
    [[ -d $corpus ]] && cp -r "$corpus"/. "$work"/
    check "fuzz $target (${FUZZ_SECONDS}s)" run_fuzzer "$target" "$path" "$work" || tail -30 "$LOGS/fuzz-$target.log"
    rm -rf "$work"
  done <<<"$targets"
}

integration_dirs() {
  local dirs=(tests/integration)
  [[ -d tests/e2e ]] && dirs+=(tests/e2e)
  printf '%s\n' "${dirs[@]}"
}

main() {
  local started=$SECONDS
  check "setup (tools/setup.sh)" tools/setup.sh || true

  if check "build (gcc)" build build; then
    unit_tests build
    check "classifier corpus (askfirst classify --check)" tests/classifiers_check.sh build || true
    mapfile -t dirs < <(integration_dirs)
    # One pytest run per folder: each has its own conftest module.
    # The real Debian guest (minutes to build and boot) runs last, within the time budget.
    for dir in "${dirs[@]}"; do pytest_suite build "$dir" --ignore="$SLOW_GUEST_TESTS"; done
  fi

  if check "build (asan+ubsan)" build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
    # A small quarantine: ASan keeps freed memory otherwise, and the stalled-reader tests measure RSS.
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:quarantine_size_mb=8}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
    unit_tests build-asan --suite unit
    pytest_suite build-asan tests/integration
  fi

  if CC=clang CXX=clang++ check "build (clang, fuzz targets)" build_fuzz; then
    fuzz_targets build-fuzz
  fi

  slow_guest_stage "$started"

  note "finished in $(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s; logs in $LOGS"
  if ((${#failures[@]})); then printf 'failed: %s\n' "${failures[@]}"; fi
  if ((skipped)); then echo "$passed passed, $failed failed, $skipped skipped"; else echo "$passed passed, $failed failed"; fi
  ((failed == 0))
}

# The real Debian 12 guest: built with mmdebstrap on first use (~8-12 min under TCG, then
# cached; ~8 min of CPU with nodejs and awscli) and booted three times (~2-5 min each: the
# fw_cfg path, the --image path, Claude Code in the guest). CI has 90 minutes: start it only while the run
# has used at most SLOW_GUEST_BUDGET_MIN, else say plainly that it was skipped and why.
slow_guest_stage() {
  local started=$1 used_min=$(( (SECONDS - $1) / 60 ))
  if [[ ${ASKFIRST_SKIP_SLOW_GUEST:-0} == 1 ]]; then
    note "real Debian guest ($SLOW_GUEST_TESTS): SKIPPED, ASKFIRST_SKIP_SLOW_GUEST=1"
    skipped=$((skipped + 1)); return
  fi
  if ((used_min > SLOW_GUEST_BUDGET_MIN)); then
    note "real Debian guest ($SLOW_GUEST_TESTS): SKIPPED, this run has used $used_min min (over the" \
         "$SLOW_GUEST_BUDGET_MIN min budget that leaves room for its ~20 min inside CI's 90); run it alone:" \
         "ASKFIRST_BUILD_DIR=\$PWD/build $PYTHON -m pytest $SLOW_GUEST_TESTS"
    skipped=$((skipped + 1)); return
  fi
  [[ -f build/askfirst ]] || { note "real Debian guest: not run, the GCC build failed"; return; }
  pytest_suite build "$SLOW_GUEST_TESTS"
}

build_fuzz() {  # only the fuzz targets: the rest of the tree is built twice already
  if [[ ! -f build-fuzz/build.ninja ]]; then
    CC=clang CXX=clang++ meson setup build-fuzz >"$LOGS/build-fuzz-setup.log" || { cat "$LOGS/build-fuzz-setup.log"; return 1; }
  else
    # A kept build dir: regenerate first, so the target list below includes targets added since
    ninja -C build-fuzz build.ninja >"$LOGS/build-fuzz-setup.log" || { cat "$LOGS/build-fuzz-setup.log"; return 1; }
  fi
  local names
  names=$(meson introspect build-fuzz --targets | $PYTHON -c '
import json, sys
print(" ".join(t["filename"][0] for t in json.load(sys.stdin)
      if t["type"] == "executable" and t["defined_in"].endswith("tests/fuzz/meson.build")))')
  [[ -n $names ]] || { echo "no fuzz targets defined in tests/fuzz/meson.build"; return 1; }
  # ninja takes output paths relative to the build dir
  ninja -C build-fuzz -j "$JOBS" $(for n in $names; do realpath --relative-to=build-fuzz "$n"; done)
}

main "$@"
