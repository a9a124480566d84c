#!/usr/bin/env bash
# AutoHook's one build script. Idempotent, no prompts.
#
#   ./build.sh            install what is missing, build Wasm, assemble dist/
#   ./build.sh test       build if needed, then run every suite
#   ./build.sh check      format, lints, docs and native tests in a minute:
#                         no Debian packages, browsers or Wasm build
#   ./build.sh run        local receiver + Chromium with the extension loaded
#   ./build.sh run --headless   the same, delivering one test event, then exit
#   ./build.sh bench      measure in headless Chromium, write tests/bench/BENCHMARKS.md
#   ./build.sh fuzz [S]   fuzz for S seconds (default 600): libFuzzer on the
#                         coverage-guided targets (tests/fuzz-targets), then
#                         the structure-aware ones (tests/it/fuzz.rs) with fresh seeds
#   ./build.sh screenshots  retake the README's screenshots (tests/screenshots/);
#                         `./build.sh test` takes them into target/screenshots/
#   ./build.sh release    from a clean git tree: dist/ from scratch, the store
#                         checks (tests/release/), dist/SHA256SUMS, the release notes
#
# How the toolchain works on these machines is in .github/CONTRIBUTING.md
# ("Toolchain"):
# the wasm32 standard library comes from Debian's rustc-web and is built with
# -Z build-std; wasm-bindgen writes the JS glue, with the reset function the
# background needs to start a fresh instance after a trap.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages, by what needs them: building (the wasm32 std is built from
# rust-web-src with -Z build-std; rust-web-llvm has /usr/bin/rust-lld, a link
# to lld-22's linker), the browsers of the tests, bench and run.
# `./build.sh` installs only the first, without their recommends: rustc-web's
# recommends pull llvm-22-dev and 30 more packages, 62 MB that building does
# not use (their download took 9 s here, unpacking them 9 s).
BUILD_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22 zip)
CHROMIUM_PACKAGES=(chromium chromium-driver)
FIREFOX_PACKAGES=(firefox-esr)
GECKODRIVER_VERSION=0.37.1
CARGO_FUZZ_VERSION=0.13.2
# binaryen's optimiser, npm's build (.build-tools/package-lock.json): Debian's
# binaryen 108 broke the module's externref table in Chromium.
WASM_OPT=.build-tools/node_modules/.bin/wasm-opt
# esbuild, from the same lockfile: the background's scripts as one file.
ESBUILD=.build-tools/node_modules/.bin/esbuild
# The CLI must match the wasm-bindgen crate exactly; Cargo.lock is the truth.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)
# AutoHook's version, declared once: Cargo.toml's, stamped into both manifests.
VERSION=$(awk '/^\[/ { in_package = $0 == "[package]" } in_package && /^version = / { split($0, quoted, "\""); print quoted[2]; exit }' Cargo.toml)
BUILD_STD=(-Z build-std=std,panic_abort)
WASM_TARGET=wasm32-unknown-unknown
E2E=tests/e2e
# Rustup's stable toolchain, which has rustfmt and clippy. Debian's
# rustc-web has neither, and rustup's clippy cannot lint with Debian's
# rustc (crates from one compiler, the rest from the other: E0514), so
# formatting and lints use rustup's whole toolchain, as `check` does.
RUSTUP_BIN=$(dirname "$(command -v rustup || echo "${CARGO_HOME:-$HOME/.cargo}/bin/rustup")")
# Where `cargo install` puts wasm-bindgen, geckodriver and cargo-fuzz.
CARGO_HOME_DIR=${CARGO_HOME:-$HOME/.cargo}
CARGO_BIN=$CARGO_HOME_DIR/bin
STAMPS=target/stamps

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# Microseconds since the epoch, and the seconds since such a time (one decimal).
now() { echo "${EPOCHREALTIME//[!0-9]/}"; }
since() { local tenths=$((($(now) - $1) / 100000)); echo "$((tenths / 10)).$((tenths % 10))"; }
START=$(now)
# Each timed step's "seconds<TAB>name", in order, for the table at the end.
TIMES=()
# times_table: every timed step and the total, one line each, seconds first.
times_table() {
  local row
  say "time per step (s):"
  for row in "${TIMES[@]}"; do printf '%8s  %s\n' "${row%%$'\t'*}" "${row#*$'\t'}" >&2; done
  printf '%8s  %s\n' "$(since "$START")" total >&2
}
trap times_table EXIT

# timed NAME SECONDS: prints and records that NAME took SECONDS.
timed() {
  TIMES+=("$2"$'\t'"$1")
  say "$1: $2 s"
}

# step NAME COMMAND...: runs COMMAND and prints how long it took. Not for a
# condition (`step ... || ...`): bash turns off `set -e` inside it there.
step() {
  local name=$1 start
  start=$(now)
  shift
  "$@"
  timed "$name" "$(since "$start")"
}

# signature PATH...: changes when a file under a PATH is added, removed, or
# changes size or mtime. The stamp of a step holds the signature of its
# inputs and outputs after it ran; the same signature later means nothing
# to do (make's rule, but an older file or a deleted one counts too).
signature() { { find "$@" -printf '%p %s %T@\n' 2>/dev/null || true; } | LC_ALL=C sort | sha1sum; }
up_to_date() { local stamp=$STAMPS/$1; shift; [ -f "$stamp" ] && [ "$(signature "$@")" = "$(cat "$stamp")" ]; }
mark_done() { local stamp=$STAMPS/$1; shift; mkdir -p "$STAMPS"; signature "$@" >"$stamp"; }

# ensure_apt_packages PACKAGE...: installs those not installed yet.
ensure_apt_packages() {
  local missing=() package installed
  # One dpkg-query for all: a process each cost ~0.1 s of a no-op build.
  installed=$'\n'$(dpkg-query -W -f='${Status} ${Package}\n' "$@" 2>/dev/null || true)$'\n'
  for package in "$@"; do
    [[ $installed == *$'\n'"install ok installed $package"$'\n'* ]] || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to install Debian packages: ${missing[*]}"
    sudo=(sudo)
  fi
  # The browsers keep their recommends (fonts, which the screenshots show).
  local lean=() full=()
  for package in "${missing[@]}"; do
    if [[ " ${BUILD_PACKAGES[*]} nodejs npm " == *" $package "* ]]; then lean+=("$package"); else full+=("$package"); fi
  done
  say "installing Debian packages: ${missing[*]}"
  step "apt-get update" apt_get update -qq
  [ ${#lean[@]} -eq 0 ] || step "apt-get install ${lean[*]}" apt_get install -y -qq --no-install-recommends "${lean[@]}"
  [ ${#full[@]} -eq 0 ] || step "apt-get install ${full[*]}" apt_get install -y -qq "${full[@]}"
}
apt_get() {
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "$@" >/dev/null \
    || die "apt-get $1 failed: ${*:2} (the wasm32 std comes from rustc-web/rust-web-src; browsers for tests from chromium/firefox-esr)"
}

# ensure_cargo_tool BINARY CRATE VERSION [CARGO_INSTALL_ARGS...]
ensure_cargo_tool() {
  local binary=$1 crate=$2 version=$3
  if command -v "$binary" >/dev/null && "$binary" --version 2>/dev/null | grep -qF " $version"; then return; fi
  say "installing $crate $version from crates.io (a few minutes, once)"
  step "cargo install $crate" cargo_install "$crate" "$version" "${@:4}"
}
cargo_install() {
  # Not --locked: the registry index here lacks some versions those
  # lockfiles pin (wasm-bindgen-cli 0.2.130's webpki-roots 1.0.11, seen
  # 2026-11-23 with cargo fetch --locked).
  # opt-level 1 rather than release's 3: these tools run for seconds on a
  # build, and compiling wasm-bindgen-cli was most of a fresh ./build.sh
  # (.github/CONTRIBUTING.md, "Toolchain", has the times).
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo install --quiet "$1" --version "$2" "${@:3}" \
    || die "cargo install $1 $2 failed: it is needed to build (wasm-bindgen), test (geckodriver) or fuzz (cargo-fuzz)"
}

ensure_npm_packages() { ensure_npm_lockfile "$E2E" "the test tooling (puppeteer-core, selenium-webdriver, ESLint)"; }

# ensure_npm_lockfile DIR WHAT: DIR/node_modules as DIR/package-lock.json
# says, WHAT for the messages.
ensure_npm_lockfile() {
  local dir=$1 what=$2
  local stamp=$dir/node_modules/.package-lock.json
  # A linked install (git worktrees sharing one checkout's) is left alone:
  # `npm ci` through the link emptied the checkout it belongs to.
  if [ -L "$dir/node_modules" ] && [ -f "$stamp" ]; then return; fi
  if [ -f "$stamp" ] && [ "$stamp" -nt "$dir/package-lock.json" ]; then return; fi
  command -v npm >/dev/null || die "npm is missing: it installs $what (Debian: apt-get install npm)"
  say "installing $what from $dir/package-lock.json"
  step "npm ci ($dir)" npm_ci "$dir" "$what"
}
npm_ci() {
  (cd "$1" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in $1 ($2)"
}

# with_rustup COMMAND...: COMMAND with rustup's cargo, rustc, rustfmt and clippy,
# whatever setup() put first on PATH.
with_rustup() { env -u RUSTC_BOOTSTRAP PATH="$RUSTUP_BIN:$PATH" "$@"; }

ensure_lint_tools() {
  if with_rustup cargo fmt --version >/dev/null 2>&1 && with_rustup cargo clippy --version >/dev/null 2>&1; then return; fi
  [ -x "$RUSTUP_BIN/rustup" ] || die "cargo fmt and cargo clippy need rustup's stable toolchain (https://rustup.rs) in $RUSTUP_BIN"
  say "adding rustfmt and clippy to rustup's toolchain"
  "$RUSTUP_BIN/rustup" component add rustfmt clippy \
    || die "rustup component add rustfmt clippy failed (it downloads from static.rust-lang.org)"
}

# setup NEED...: installs what is missing for each NEED, in one apt run:
#   toolchain  Debian's Rust with the wasm32 std's source (fuzz needs no more)
#   build      the toolchain, zip, node, npm, wasm-bindgen-cli and
#              .build-tools/'s wasm-opt and esbuild: ./build.sh
#   chromium   Chromium and chromedriver (Wasm tests, E2E, bench, run)
#   firefox    Firefox ESR and geckodriver (E2E)
#   npm        tests/e2e's packages: puppeteer-core, selenium-webdriver, ESLint
#   valgrind   callgrind, which counts the engine's instructions (bench)
setup() {
  local need packages=()
  for need in "$@"; do
    case $need in
      toolchain) packages+=("${BUILD_PACKAGES[@]}") ;;
      build)
        packages+=("${BUILD_PACKAGES[@]}")
        command -v node >/dev/null || packages+=(nodejs)
        command -v npm >/dev/null || packages+=(npm) ;;
      chromium) packages+=("${CHROMIUM_PACKAGES[@]}") ;;
      firefox) packages+=("${FIREFOX_PACKAGES[@]}") ;;
      npm) command -v npm >/dev/null || packages+=(npm) ;;
      valgrind) packages+=(valgrind) ;;
    esac
  done
  ensure_apt_packages "${packages[@]}"
  # Debian's toolchain first, so one compiler builds std, the crate and tests.
  export PATH="/usr/bin:$CARGO_BIN:$PATH"
  export RUSTC_BOOTSTRAP=1
  for need in "$@"; do
    case $need in
      build)
        [ -n "$WASM_BINDGEN_VERSION" ] || die "Cargo.lock names no wasm-bindgen version"
        # Without its default TLS (rustls, ring): wasm-bindgen-test-runner
        # talks plain HTTP to chromedriver on loopback.
        ensure_cargo_tool wasm-bindgen wasm-bindgen-cli "$WASM_BINDGEN_VERSION" --no-default-features
        ensure_npm_lockfile .build-tools "binaryen's wasm-opt and esbuild" ;;
      firefox) ensure_cargo_tool geckodriver geckodriver "$GECKODRIVER_VERSION" ;;
      npm) ensure_npm_packages ;;
    esac
  done
}

# build_wasm OUT_DIR TARGET_DIR [CARGO_ARGS...]: the module and its JS glue.
# Not wasm-pack: it cannot pass --experimental-reset-state-function (the
# glue's __wbg_reset_state, which the background calls after a trap), and
# its install cost ~3 minutes on a fresh machine for what is two commands.
#
# Sizes are in tests/bench/BENCHMARKS.md ("Wasm size", which crate the code
# is from). A panic traps at once (panic=immediate-abort), without the code
# that formats its message: on wasm32-unknown-unknown that message went
# nowhere (no panic hook; stderr is a no-op), the background logs the trap
# either way. std is built with its optimize_for_size feature (smaller
# sorts and searches, the same results). binaryen's wasm-opt then
# optimises the module (wasm_opt, below). The module in OUT_DIR has no `name`
# section (~0.75 MB, 15 % of the gzipped module); OUT_DIR/named/ has the
# same module with it, for the bench's table and to put names on a trace's
# `wasm-function[N]`. The test-hooks build, which only the E2E tests load,
# keeps its names and skips wasm-opt (18 s of every `./build.sh test`).
#
# Cargo always runs (it knows what its build depends on; 0.8 s when
# nothing changed); what follows it runs only when cargo's output, the tools
# or this script changed since it last ran (a stamp per OUT_DIR, taken
# after the last step that writes OUT_DIR).
build_wasm() {
  local out=$1 target_dir=$2
  shift 2
  local wasm=$target_dir/$WASM_TARGET/release/autohook.wasm stamp=${out//\//-}
  step "wasm build (cargo build${*:+ $*})" cargo_build_wasm "$target_dir" "$@"
  local inputs=("$wasm" "$out" build.sh "$(command -v wasm-bindgen)" "$WASM_OPT")
  if up_to_date "$stamp" "${inputs[@]}"; then
    say "wasm-bindgen, wasm-opt: $out is up to date"
    return
  fi
  rm -f "$STAMPS/$stamp"
  step "wasm-bindgen" wasm_bindgen "$wasm" "$out"
  if [[ " $* " == *" test-hooks "* ]]; then
    cp "$out/named/autohook_bg.wasm" "$out/"
  else
    step "wasm-opt" wasm_opt "$out"
  fi
  mark_done "$stamp" "${inputs[@]}"
}
# The remap: the module's panic locations name crates.io sources by path,
# and without it that path has this machine's CARGO_HOME (/root/.cargo/...),
# so a reviewer rebuilding from the source zip elsewhere got other bytes.
cargo_build_wasm() {
  local target_dir=$1
  shift
  RUSTFLAGS="${RUSTFLAGS:-} -Zunstable-options -Cpanic=immediate-abort --remap-path-prefix=$CARGO_HOME_DIR=/cargo" \
    cargo build --quiet --release --target "$WASM_TARGET" --target-dir "$target_dir" "${BUILD_STD[@]}" \
    -Z build-std-features=optimize_for_size "$@" \
    || die "cargo build for $WASM_TARGET failed"
}
# wasm_bindgen MODULE OUT_DIR: the glue in OUT_DIR, and the module with
# its names in OUT_DIR/named.
wasm_bindgen() {
  local module=$1 out=$2
  wasm-bindgen --target web --no-typescript --experimental-reset-state-function --out-dir "$out/named" "$module" \
    && cp "$out/named/autohook.js" "$out/" \
    || die "wasm-bindgen failed"
}
# wasm_opt OUT_DIR: OUT_DIR/named's module optimised in place, names kept
# (-g), and OUT_DIR's the same without them, so the bench's table names
# exactly the shipped code. The features are the module's own (its
# target_features section). -O2 without inlining functions into their
# only caller: binaryen's default inlining left the module 6 % larger
# gzipped than no wasm-opt at all (-Os: 412,485 -> 436,835 bytes with
# `gzip -9`). Without it, on the same module: -O2 400,162, -Os 401,076,
# -Oz 402,246; optimised with its names and stripped after, as here,
# 400,248 (measured 2026-12-07).
wasm_opt() {
  local named=$1/named/autohook_bg.wasm
  "$WASM_OPT" -O2 --one-caller-inline-max-function-size=0 -g "$named" -o "$named.opt" \
    && mv "$named.opt" "$named" \
    && "$WASM_OPT" --strip-debug "$named" -o "$1/autohook_bg.wasm" \
    || die "wasm-opt failed on $named"
}

# write_manifest BROWSER DIST: DIST/BROWSER/manifest.json from extension/manifest.json: Cargo's
# version; Chrome gets the service worker, Firefox the event-page scripts and its gecko settings.
write_manifest() {
  [ -n "$VERSION" ] || die "Cargo.toml: [package] has no version"
  node -e '
    const [source, browser, out, version] = process.argv.slice(1);
    const read = JSON.parse(require("fs").readFileSync(source, "utf8"));
    if ("version" in read) {
      console.error(`${source}: has a version (${read.version}); the version is declared once, in Cargo.toml`);
      process.exit(1);
    }
    const manifest = { manifest_version: read.manifest_version, name: read.name, version, ...read };
    if (browser === "chrome") {
      delete manifest.background.scripts;
      // A full outbox (10 000 events) outgrows storage.local'"'"'s 10 MB quota
      // in Chrome; Firefox has no such quota and would prompt for this.
      manifest.permissions.push("unlimitedStorage");
      delete manifest.browser_specific_settings;
    } else {
      delete manifest.background.service_worker;
    }
    require("fs").writeFileSync(out, JSON.stringify(manifest, null, 2) + "\n");
  ' extension/manifest.json "$1" "$2/$1/manifest.json" "$VERSION" || die "write_manifest failed for $1 (above)"
}

# assemble PKG DIST: DIST/chrome and DIST/firefox from extension/ and PKG,
# with PRIVACY.md, which the settings page's About section shows.
assemble() {
  local pkg=$1 dist=$2 browser
  for browser in chrome firefox; do
    rm -rf "${dist:?}/$browser"
    mkdir -p "$dist/$browser/pkg"
    cp -r extension/. "$dist/$browser/"
    cp PRIVACY.md "$dist/$browser/"
    cp "$pkg/autohook.js" "$pkg/autohook_bg.wasm" "$dist/$browser/pkg/"
    bundle_background "$dist/$browser"
    write_manifest "$browser" "$dist"
  done
}

# bundle_background DIR: DIR/background/background.js with everything it
# imports in the one file, an ES module still (import.meta.url finds the
# Wasm): a stopped worker that is woken loads one script instead of eleven
# modules (CONTRIBUTING's Toolchain section has what that saves). The
# modules stay beside it, as in extension/.
# From DIR, so the bundle's comments name each module by its path there.
bundle_background() {
  local entry=background/background.js esbuild=$PWD/$ESBUILD
  (cd "$1" && "$esbuild" "$entry" --bundle --format=esm --charset=utf8 --legal-comments=none \
    --log-level=warning --allow-overwrite --outfile="$entry") \
    || die "esbuild could not bundle $1/$entry"
}

# package PKG DIST [ZIP]: DIST/chrome and DIST/firefox from extension/ and
# PKG (and their zips with ZIP), unless nothing of these changed since.
package() {
  local pkg=$1 dist=$2 zip=${3:-} stamp=${2//\//-}
  local paths=(extension PRIVACY.md Cargo.toml "$pkg" "$dist/chrome" "$dist/firefox" build.sh "$ESBUILD")
  [ -z "$zip" ] || paths+=("$dist/autohook-chrome.zip" "$dist/autohook-firefox.zip")
  if up_to_date "$stamp" "${paths[@]}"; then
    say "assemble: $dist is up to date"
    return
  fi
  rm -f "$STAMPS/$stamp"
  step "assemble $dist" assemble "$pkg" "$dist"
  [ -z "$zip" ] || step "zip" zip_dist "$dist"
  mark_done "$stamp" "${paths[@]}"
}
# The same files give the same zip bytes, wherever and whenever they are
# zipped: entries in one sorted order, no directory entries and no extra
# fields (uid, gid, access time: -D -X), and every file dated 1980-01-01
# 00:00 UTC, the first time a zip can hold. Not the commit's time: a build
# from the source zip has no git, and a commit that changes nothing shipped
# would have changed the zips.
zip_dist() {
  local browser epoch=315532800
  # Sums, source and build info of an earlier release would no longer be
  # true of these zips: release writes new ones.
  rm -f "$1/SHA256SUMS" "$1/autohook-source.zip" "$1/BUILD-INFO.txt"
  for browser in chrome firefox; do
    rm -f "$1/autohook-$browser.zip"
    (cd "$1/$browser" && find . -type f -exec env TZ=UTC touch -d "@$epoch" {} + \
      && find . -type f -printf '%P\n' | LC_ALL=C sort | TZ=UTC zip -qDX -@ "../autohook-$browser.zip") \
      || die "zip failed for $1/$browser"
  done
}

# build [NEED...]: setup build NEED..., then the module and dist/.
# WASM_CARGO_ARGS: more arguments for the module's cargo build (release's --locked).
WASM_CARGO_ARGS=()
build() {
  setup build "$@"
  build_wasm target/pkg target "${WASM_CARGO_ARGS[@]}"
  package target/pkg dist zip
  say "dist/chrome, dist/firefox and their zips are ready ($(wc -c < target/pkg/autohook_bg.wasm) bytes of Wasm)"
}

# The same extension with a module built with --features test-hooks, in
# dist/test-hooks/: only the E2E tests of crash recovery and dropped replies
# load it. The same target dir as the release module: a feature switch
# recompiles only this crate (~30 s), where a dir of its own built std and
# every dependency a second time (~3 min on a fresh clone, i.e. in CI).
build_test_hooks() {
  build_wasm target/pkg-test-hooks target --features test-hooks
  package target/pkg-test-hooks dist/test-hooks
}

# Adds "N passed; M failed" counts from cargo test output to the totals.
count_cargo() {
  local line
  while read -r line; do
    PASSED=$((PASSED + $(sed -E 's/.* ([0-9]+) passed.*/\1/' <<<"$line")))
    FAILED=$((FAILED + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
  done < <(grep -E '^test result: ' "$1" || true)
}

# Adds the "# pass N" / "# fail N" totals of node's TAP output.
count_tap() {
  local pass fail
  pass=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$1" | tail -1)
  fail=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$1" | tail -1)
  PASSED=$((PASSED + ${pass:-0}))
  FAILED=$((FAILED + ${fail:-0}))
}

# run_suite NAME LOG COUNT COMMAND...: runs a suite, showing and keeping its
# output, and adds its results to the totals with COUNT LOG. A suite that
# fails with no failed test to show for it (it did not build, or it is a
# check that found something) counts as one failure.
run_suite() {
  local name=$1 log=$2 count=$3 failed=$FAILED start
  start=$(now)
  shift 3
  say "$name"
  if "$@" 2>&1 | tee "$log"; then
    "$count" "$log"
    timed "$name" "$(since "$start")"
    return
  fi
  "$count" "$log"
  SUITE_FAILURES+=("$name")
  [ "$FAILED" -gt "$failed" ] || FAILED=$((FAILED + 1))
  timed "$name (FAILED)" "$(since "$start")"
}

check_format() {
  with_rustup cargo fmt --check && with_rustup rustfmt --check --edition 2021 tests/fuzz-targets/fuzz_targets/*.rs
}

# The checks before any test, each a suite that fails on any finding: the
# format (rustfmt.toml; the fuzz targets are a crate of their own), clippy
# with -D warnings (lints in Cargo.toml; native only, as clippy cannot
# build for wasm32 here), the docs (a broken intra-doc link is an error;
# the modules are private, so the docs are built with them and a link to a
# private item is expected) and ESLint (eslint.config.mjs). LOGS: a directory.
run_checks() {
  local logs=$1
  run_suite "format (cargo fmt --check)" "$logs/fmt.log" true check_format
  run_suite "lints (cargo clippy -D warnings)" "$logs/clippy.log" true \
    with_rustup cargo clippy --quiet --keep-going --all-targets -- -D warnings
  run_suite "docs (cargo doc -D warnings)" "$logs/doc.log" true \
    with_rustup env RUSTDOCFLAGS="-D warnings --document-private-items -A rustdoc::private-intra-doc-links" \
      cargo doc --quiet --no-deps
  run_suite "JS lints (ESLint)" "$logs/eslint.log" true "$E2E/node_modules/.bin/eslint" --max-warnings 0 .
}

# Prints the totals; fails if anything failed.
report() {
  [ ${#SUITE_FAILURES[@]} -eq 0 ] || say "failed: ${SUITE_FAILURES[*]}"
  # The table before the counts, which stay the last line.
  times_table
  trap - EXIT
  echo "$PASSED passed, $FAILED failed"
  [ "$FAILED" -eq 0 ] && [ ${#SUITE_FAILURES[@]} -eq 0 ]
}

test_all() {
  setup build chromium firefox npm
  ensure_lint_tools
  local logs=target/test-logs
  mkdir -p "$logs"
  PASSED=0 FAILED=0 SUITE_FAILURES=()
  # First, as they take seconds and the build minutes.
  run_checks "$logs"
  # The release module last, so a later ./build.sh has nothing to rebuild.
  build_test_hooks
  build

  run_suite "native tests (cargo test)" "$logs/native.log" count_cargo cargo test --quiet

  # std without its default features: their backtrace crates (object,
  # gimli, addr2line) do nothing on wasm32 and took 2 s of this build
  # (50.5 s against 52.9 s from an empty target dir); a failed assertion
  # still shows its message.
  run_suite "wasm tests (headless Chromium)" "$logs/wasm.log" count_cargo \
    env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
      CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_WEBDRIVER_JSON=tests/webdriver.json \
      cargo test --target wasm32-unknown-unknown "${BUILD_STD[@]}" -Z build-std-features= --test wasm

  # One process for every file, so they share one Chromium and one Firefox
  # (tests/e2e/fixtures.mjs). Node 20 times the whole process with
  # --test-timeout: 15 minutes for the suite; each test has 3 (fixtures.mjs).
  run_suite "end-to-end tests (Chromium, Firefox ESR)" "$logs/e2e.log" count_tap \
    node --test --test-reporter=tap --test-timeout=900000 "$E2E/suite.mjs"

  # After the E2E suite, whose release.test.mjs takes the store screenshots (dist/store/).
  run_suite "release checks (tests/release: addons-linter, manifest, changelog)" "$logs/release.log" count_tap \
    node --test --test-reporter=tap --test-concurrency=1 tests/release/*.test.mjs

  report
}

# What a change must pass before the browsers see it, with rustup's
# toolchain and no setup(): no apt, no cargo install, no Wasm build. Only
# ESLint may need installing (npm ci in tests/e2e).
check() {
  ensure_lint_tools
  ensure_npm_packages
  local logs=target/check-logs
  mkdir -p "$logs"
  PASSED=0 FAILED=0 SUITE_FAILURES=()
  run_checks "$logs"
  # A tenth of the fuzz targets' cases (tests/it/fuzz.rs) and of the fault
  # schedules (tests/it/simulation.rs): the full budget is ./build.sh test's.
  run_suite "native tests (cargo test)" "$logs/native.log" count_cargo \
    with_rustup env FUZZ_CASES="${FUZZ_CASES:-250}" SIM_CASES="${SIM_CASES:-100}" cargo test --quiet
  report
}

# Three quarters of the time go to libFuzzer (cargo-fuzz, coverage-guided,
# split evenly over tests/fuzz-targets; a crash stops the run and leaves the
# input in tests/fuzz-targets/artifacts/), the rest to rounds of every
# target of tests/it/fuzz.rs with FUZZ_CASES inputs (100 000 by default;
# `./build.sh test` runs far fewer) from a new random seed, a failing input
# shrunk and printed. --sanitizer none: Debian's toolchain has no ASan
# runtime, and safe Rust needs only the panics, which libFuzzer catches.
fuzz() {
  local seconds=${1:-600} round=0 target targets=(text_parsers messages stored)
  setup toolchain
  ensure_cargo_tool cargo-fuzz cargo-fuzz "$CARGO_FUZZ_VERSION"
  local each=$((seconds * 3 / 4 / ${#targets[@]}))
  for target in "${targets[@]}"; do
    say "libFuzzer: $target for $each s"
    (cd tests/fuzz-targets && cargo fuzz run --fuzz-dir . --sanitizer none "$target" -- -max_total_time="$each") \
      || die "libFuzzer found a crash in $target (input in tests/fuzz-targets/artifacts/$target/)"
  done
  local until=$((SECONDS + seconds / 4))
  while [ "$SECONDS" -lt "$until" ]; do
    round=$((round + 1))
    say "fuzz round $round ($((until - SECONDS)) s left)"
    FUZZ_CASES=${FUZZ_CASES:-100000} cargo test --release --quiet --test it fuzz:: || die "fuzz round $round found a failing input (above)"
  done
  say "fuzzed for ${seconds} s, $round rounds, nothing found"
}

# The packages for the stores, from what is committed: a dirty tree could
# ship what no commit holds. dist/ and every stamp are removed first, so
# nothing comes from an earlier build (cargo still reuses its own, which it
# checks). The checks are tests/release/release.mjs's, the ones
# `./build.sh test` runs as a suite on every build.
release() {
  local dirty
  # Ignored files too where the packages are assembled from (.gitignore's
  # pkg/ and node_modules/ match anywhere): they would ship unseen.
  # Every untracked file whatever git's config hides, and files git was
  # told to stop looking at (assume-unchanged, skip-worktree: `h`, `S`...).
  dirty=$({
    git status --porcelain --untracked-files=all
    git status --porcelain --untracked-files=all --ignored=matching -- extension src .cargo PRIVACY.md Cargo.toml Cargo.lock
    git ls-files -v | grep -v '^H ' || true
  } | sort -u)
  [ -z "$dirty" ] || die "release needs a clean git tree; commit, stash or remove first: $(head -3 <<<"$dirty" | tr '\n' ' ')"
  # Settings that would change the module without a trace in the commit.
  local overrides
  overrides=$(compgen -e | grep -E '^(CARGO_PROFILE_|CARGO_BUILD_|CARGO_TARGET_[A-Z0-9_]+_(LINKER|RUNNER|RUSTFLAGS)$|RUSTC$|RUSTC_WRAPPER|RUSTC_WORKSPACE_WRAPPER)' || true)
  [ -z "$overrides" ] || die "release builds with the repository's settings only; unset: $(tr '\n' ' ' <<<"$overrides")"
  rm -rf dist "$STAMPS"
  # Only Cargo.lock's crates, and no flags from the caller's environment.
  unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS
  WASM_CARGO_ARGS=(--locked)
  build chromium firefox npm
  git diff --quiet -- Cargo.lock || die "the build changed Cargo.lock; nothing was released"
  ! grep -qaF "$CARGO_HOME_DIR/" dist/chrome/pkg/autohook_bg.wasm \
    || die "the module names $CARGO_HOME_DIR: another machine would build other bytes (see cargo_build_wasm's remap)"
  # The zips SHA256SUMS lists are the ones a browser loaded.
  step "E2E on the zips (tests/e2e/release.test.mjs)" release_e2e
  step "release checks" release_checks
  # What addons.mozilla.org asks of generated code: the source and how it was built.
  git archive --format=zip -o dist/autohook-source.zip HEAD || die "git archive failed: no dist/autohook-source.zip"
  build_info >dist/BUILD-INFO.txt
  (cd dist && sha256sum autohook-chrome.zip autohook-firefox.zip autohook-source.zip BUILD-INFO.txt >SHA256SUMS) || die "sha256sum failed in dist/"
  say "dist/SHA256SUMS:"
  cat dist/SHA256SUMS >&2
  node tests/release/changelog.mjs "$VERSION" || die "CHANGELOG.md has no release notes for $VERSION"
}
build_info() {
  echo "commit: $(git rev-parse HEAD)"
  echo "rustc: $(rustc -V)"
  echo "cargo: $(cargo -V)"
  echo "wasm-bindgen: $(wasm-bindgen -V)"
  echo "wasm-opt: $("$WASM_OPT" --version)"
  echo "esbuild: $("$ESBUILD" --version)"
  echo "node: $(node -v)"
  echo "Debian: $(cat /etc/debian_version)"
  echo "command: ./build.sh release (RUSTFLAGS unset, cargo build --locked, crates.io sources named /cargo/...)"
}
release_e2e() {
  node --test --test-reporter=spec --test-concurrency=1 --test-timeout=180000 "$E2E/release.test.mjs" \
    || die "tests/e2e/release.test.mjs failed on the zips (above); nothing was released"
}
release_checks() { node tests/release/release.mjs dist || die "the release checks failed (above); nothing was released"; }

case "${1:-build}" in
  build) build ;;
  test) test_all ;;
  check) check ;;
  run) shift; build chromium npm; node "$E2E/run.mjs" "$@" ;;
  bench)
    build chromium npm valgrind
    step "native burst (cargo build --example burst)" cargo build --quiet --release --example burst
    step bench node tests/bench/run.mjs ;;
  fuzz) fuzz "${2:-600}" ;;
  screenshots)
    build chromium firefox npm
    step "README screenshots (tests/e2e: settings-ui, campaign)" env AUTOHOOK_README_SHOTS="$PWD/tests/screenshots" \
      node --test --test-concurrency=1 --test-timeout=180000 "$E2E/settings-ui.test.mjs" "$E2E/campaign.test.mjs" ;;
  release) release ;;
  *) die "unknown command '$1' (use: ./build.sh, ./build.sh test, ./build.sh check, ./build.sh run [--headless], ./build.sh bench, ./build.sh fuzz [seconds], ./build.sh screenshots, ./build.sh release)" ;;
esac
