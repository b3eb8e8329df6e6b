#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# tests/run.sh -- every test of kexdump, from a fresh Debian 12 machine:
#   1. installs what is missing (tools/deps.sh), fetches the Debian kernels
#      the unit tests and QEMU runs use (tests/vm/kernel.sh, cached under
#      ~/.cache/kexdump) and the newer makedumpfile the end-to-end checks
#      compare with (tests/vm/makedumpfile-new.sh), unless KEXDUMP_SKIP_VM=1,
#   2. builds with warnings as errors and runs the unit and CLI tests,
#   3. again under ASan+UBSan, and builds with clang (-Werror),
#   4. builds the fully static kexdump (the capture initramfs's PID 1),
#      and the Debian package, checked with lintian and on a throwaway root
#      (tests/pkg/check-deb.sh),
#   5. runs each fuzz target for a short while,
#   6. crashes real Debian kernels in QEMU (tests/vm/matrix.sh) and checks
#      kexdump on every dump (tests/e2e/check-dump.sh, check-pages.sh,
#      check-save.sh, check-triage.sh), and the ssh target against a real
#      sshd of its own (tests/e2e/check-sftp.sh),
#   7. runs the crash-dump service end to end in QEMU: setup, panic,
#      capture, reboot, list (tests/e2e/check-service.sh),
#   8. and the Debian package on a real bookworm system booted through
#      GRUB: dpkg -i, setup --apply-bootloader, reboot, crash, capture,
#      list, report, a kernel upgrade (tests/e2e/check-grub.sh).
# Every stage prints "--- WHAT: N passed, N failed, N skipped"; the run
# closes with "N passed, N failed, N skipped" and exits non-zero if anything
# failed. A skipped check (a meson SKIP, exit 77; a TAP "ok - ... # SKIP")
# is counted as skipped, never as passed; a stage that cannot run is a
# failure.
# Runs as root or as a user: only tools/deps.sh needs root, to install
# missing packages (through sudo when not root; it says so and fails when
# there is no sudo). As root, the permission checks run as nobody (setpriv,
# tests/unit/kdtest.h kd_test_as_nobody()), so they run either way.
# Env: KEXDUMP_DUMPS=DIR keeps/reuses the dumps there (default: a fresh
# temporary directory, removed afterwards); KEXDUMP_SKIP_VM=1 skips stages 6 and 7;
# KEXDUMP_FUZZ_SECONDS (default 20) per fuzz target.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=${KEXDUMP_BUILD:-$src/build-tests}
passed=0 failed=0 skipped=0
# Each stage line carries the minutes since the start, so a slow stage is
# visible in CI's log.
stage() { echo; printf '=== %s [%d:%02d]\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }
tally() { # tally PASSED FAILED SKIPPED WHAT
	passed=$((passed + $1))
	failed=$((failed + $2))
	skipped=$((skipped + $3))
	echo "--- $4: $1 passed, $2 failed, $3 skipped"
}
# tap_tally OUTPUT WHAT: add the counts of TAP-like lines: "ok - ..."
# passed, "ok - ... # SKIP ..." skipped, "not ok - ..." failed.
tap_tally() {
	local all skip bad
	all=$(grep -c '^ok' <<<"$1")
	skip=$(grep -c '^ok .*# SKIP' <<<"$1")
	bad=$(grep -c '^not ok' <<<"$1")
	tally $((all - skip)) "$bad" "$skip" "$2"
}
# Run a meson test suite and add its counts. The timeouts in
# tests/meson.build are for an idle machine and a plain build; under
# ASan+UBSan (2-3 times slower) or with QEMU guests sharing the two cores
# they are too tight, and a test killed for time says nothing about kexdump:
# MULT scales them.
meson_tests() { # meson_tests BUILDDIR WHAT [MULT]
	local log=$1/meson-logs/testlog.txt ok bad skip n k
	meson test -C "$1" --print-errorlogs --num-processes 2 \
		--timeout-multiplier "${3:-2}" >"$1/test.out" 2>&1
	cat "$1/test.out" | grep -E '^ *[0-9]+/[0-9]+ ' || true
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$1/test.out")
	skip=$(sed -n 's/^Skipped: *\([0-9]*\).*/\1/p' "$1/test.out")
	if [[ -z $ok || -z $skip ]]; then
		tail -n 30 "$1/test.out"
		tally 0 1 0 "$2 (meson test did not run)"
		return
	fi
	# Fail, Expected Fail, Unexpected Pass and Timeout are all failures.
	bad=0
	for k in 'Fail' 'Expected Fail' 'Unexpected Pass' 'Timeout'; do
		n=$(sed -n "s/^$k: *\([0-9]*\).*/\1/p" "$1/test.out")
		bad=$((bad + ${n:-0}))
	done
	((bad == 0)) || grep -E -B2 -A30 'FAIL|ERROR' "$log" | head -n 80
	((skip == 0)) || grep -E '^\[  SKIP    \]' "$log" | sort | uniq -c | sed 's/^/# /'
	tally "$ok" "$bad" "$skip" "$2"
}
build() { # build DIR MESON-OPTIONS...
	local dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$(dirname "$dir")"
	meson setup "$dir" "$src" "$@" >"$dir.setup.log" 2>&1 &&
		ninja -C "$dir" >"$dir.build.log" 2>&1 && return 0
	tail -n 30 "$dir.setup.log" "$dir.build.log" 2>/dev/null
	return 1
}

stage "dependencies"
"$src/tools/deps.sh" all || { echo "dependency installation failed"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
# The kernels, before the unit tests: test-modules and test-cpio read
# their module trees (they skip, counted as skipped, when none is cached).
mkdir -p "$out"
if [[ ${KEXDUMP_SKIP_VM:-0} != 1 ]]; then
	for suite in bookworm trixie; do
		if k=$("$src/tests/vm/kernel.sh" "$suite" 2>"$out/kernel.err"); then
			tally 1 0 0 "$suite kernel $(basename "$k")"
		else
			tail -n 5 "$out/kernel.err"
			tally 0 1 0 "$suite kernel (tests/vm/kernel.sh failed)"
		fi
	done
	if m=$("$src/tests/vm/makedumpfile-new.sh" 2>"$out/mdnew.err"); then
		tally 1 0 0 "newer makedumpfile: $(cat "$(dirname "$m")/how")"
	else
		tail -n 5 "$out/mdnew.err"
		tally 0 1 0 "newer makedumpfile (tests/vm/makedumpfile-new.sh failed)"
	fi
else
	echo "KEXDUMP_SKIP_VM=1: no kernels fetched; the unit tests that need them skip"
fi

stage "build (gcc, -Werror) and unit tests"
if build "$out/default"; then
	tally 1 0 0 "build"
	meson_tests "$out/default" "unit and CLI tests"
else
	tally 0 1 0 "build"
fi

stage "ASan+UBSan build and unit tests"
if build "$out/asan" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 meson_tests "$out/asan" "sanitizer tests" 5
else
	tally 0 1 0 "sanitizer build"
fi

# clang's warnings differ from gcc's (-Wcast-align is strict on x86 with
# clang only): the tree must build clean with both.
stage "clang build (-Werror)"
if CC=clang build "$out/clang"; then
	tally 1 0 0 "clang build"
else
	tally 0 1 0 "clang build"
fi

stage "static kexdump"
if build "$out/static" -Dstatic=true && file "$out/static/kexdump" | grep -q 'statically linked'; then
	tally 1 0 0 "static build ($(stat -c %s "$out/static/kexdump") bytes, $(file -b "$out/static/kexdump" | cut -d, -f1-2))"
else
	tally 0 1 0 "static build"
fi

# The service end to end runs in the background from here on, beside the
# package, fuzz and real-dump stages: its QEMU guests are one vCPU each,
# as are crash and most of the dump checks, so on a 2-core machine the two
# streams overlap instead of queueing (they took 13 and 14 min one after
# the other in the last serial CI, 37 min in all). It
# needs only the static kexdump and the kernels fetched above; its ports
# and work folders are its own (tests/e2e/sshd.sh picks free ports). Its
# output is printed, and tallied, in its own stage at the end.
# The package is built once (tests/pkg/build-deb.sh, in $out/deb): by
# the package stage below, and reused by check-grub.sh, which runs in the
# same background stream after check-service.sh (its one-vCPU guest beside
# the foreground's checks; it waits on build-deb.sh's lock if the package
# stage is still building).
export KEXDUMP_DEB_DIR=$out/deb
svc_pid=
if [[ ${KEXDUMP_SKIP_VM:-0} != 1 && -x $out/static/kexdump ]]; then
	(
		t=$SECONDS
		"$src/tests/e2e/check-service.sh" "$out/static/kexdump" >"$out/service.tap" 2>"$out/service.err"
		echo "# check-service.sh exit $? after $((SECONDS - t)) s" >>"$out/service.err"
		t=$SECONDS
		"$src/tests/e2e/check-grub.sh" "$src" >"$out/grub.tap" 2>"$out/grub.err"
		echo "# check-grub.sh exit $? after $((SECONDS - t)) s" >>"$out/grub.err"
	) &
	svc_pid=$!
fi

# The Debian package (debian/): dpkg-buildpackage, lintian, its files, man
# pages, completion, and its maintainer scripts on a throwaway root
# (tests/pkg/check-deb.sh; ~1 min on an idle machine, the static build).
stage "Debian package"
r=$("$src/tests/pkg/check-deb.sh" "$src")
echo "$r" | grep -v '^[0-9]* passed'
if grep -q '^\(not \)\?ok' <<<"$r"; then
	tap_tally "$r" "Debian package"
else
	tally 0 1 0 "Debian package (tests/pkg/check-deb.sh did not run)"
fi

stage "fuzz targets (clang libFuzzer, ${KEXDUMP_FUZZ_SECONDS:-20} s each)"
if [[ ! -x $src/tests/fuzz/run.sh ]]; then
	tally 0 1 0 "fuzzing (tests/fuzz/run.sh is missing or not executable)"
else
	r=$("$src/tests/fuzz/run.sh" "$out/fuzz" "${KEXDUMP_FUZZ_SECONDS:-20}" "$out/default/tests/mksynth")
	rc=$?
	echo "$r"
	if ! grep -q '^\(not \)\?ok' <<<"$r"; then
		tally 0 1 0 "fuzzing (no target ran, exit $rc)"
	elif ((rc != 0)) && ! grep -q '^not ok' <<<"$r"; then
		tap_tally "$r" "fuzzing"
		tally 0 1 0 "fuzzing (exit $rc)"
	else
		tap_tally "$r" "fuzzing"
	fi
fi

if [[ ${KEXDUMP_SKIP_VM:-0} != 1 ]]; then
	stage "real kernel crashes in QEMU"
	dumps=${KEXDUMP_DUMPS:-}
	if [[ -z $dumps ]]; then
		dumps=$(mktemp -d "${TMPDIR:-/var/tmp}/kexdump-dumps.XXXXXX")
		trap 'rm -rf "$dumps"' EXIT
	fi
	t0=$SECONDS
	if "$src/tests/vm/matrix.sh" "$dumps"; then
		tally 1 0 0 "crash matrix ($((SECONDS - t0)) s)"
	else
		tally 0 1 0 "crash matrix"
	fi
	ndumps=0
	for d in "$dumps"/*/; do
		[[ -f $d/meta ]] && ndumps=$((ndumps + 1))
	done
	# matrix.sh makes four dumps; fewer means checks silently not run.
	((ndumps == 4)) || tally 0 1 0 "dumps: $ndumps in $dumps, wanted 4"
	for d in "$dumps"/*/; do
		[[ -f $d/meta ]] || continue
		r=$("$src/tests/e2e/check-dump.sh" "$out/default/kexdump" "${d%/}")
		echo "$r" | grep -v '^[0-9]* passed'
		tap_tally "$r" "$(basename "$d")"
	done
	# Page classes against makedumpfile (and its known 6.12 errors).
	for d in "$dumps"/*/; do
		[[ -f $d/meta ]] || continue
		r=$("$src/tests/e2e/check-pages.sh" "$out/default/kexdump" "${d%/}")
		echo "$r" | grep '^not ok\|# SKIP\|newer makedumpfile:'
		tap_tally "$r" "$(basename "$d") page classes"
	done
	# kexdump save: every output format against the source, crash 8.0.2
	# and gdb with the debug vmlinux, never losing a dump.
	for d in "$dumps"/*/; do
		[[ -f $d/meta ]] || continue
		r=$("$src/tests/e2e/check-save.sh" "${d%/}" "$out/default/kexdump" "$out/default/tests/cmp-pages")
		echo "$r" | grep -v '^[0-9]* passed'
		tap_tally "$r" "$(basename "$d") save"
	done
	# Triage: kexdump bt against the console's Call Trace and crash with
	# the debug vmlinux, raw and after save -d 31.
	for d in "$dumps"/*/; do
		[[ -f $d/meta ]] || continue
		r=$("$src/tests/e2e/check-triage.sh" "$out/default/kexdump" "${d%/}")
		echo "$r" | grep -v '^[0-9]* passed'
		tap_tally "$r" "$(basename "$d") triage"
	done
	# 5.10 (matrix.sh's triage/ run, System.map from the -dbg package):
	# triage only: ~75 s of QEMU, ~40 s of CPU in checks (crash and drgn included).
	[[ -f $dumps/triage/bullseye-1cpu-1G-p4-load/meta ]] || tally 0 1 0 "dumps: no 5.10 dump in $dumps/triage"
	for d in "$dumps"/triage/*/; do
		[[ -f $d/meta ]] || continue
		r=$("$src/tests/e2e/check-triage.sh" "$out/default/kexdump" "${d%/}")
		echo "$r" | grep -v '^[0-9]* passed'
		tap_tally "$r" "$(basename "$d") triage"
	done
	# Other kinds of crash (module oops in hard-IRQ context, OOM, hung
	# task; matrix.sh --panics: three small bookworm runs, the IRQ oops on
	# trixie too): triage only.
	if "$src/tests/vm/matrix.sh" --panics "$dumps/panics"; then tally 1 0 0 "panic kinds"; else tally 0 1 0 "panic kinds"; fi
	for d in "$dumps"/panics/*/; do
		r=$("$src/tests/e2e/check-triage.sh" "$out/default/kexdump" "${d%/}")
		echo "$r" | grep -v '^[0-9]* passed'
		tap_tally "$r" "$(basename "$d") triage"
	done
	# The ssh target against a real sshd of the test's own (127.0.0.1,
	# a port of its own): on the smallest bookworm dump, ~35 s (bookworm:
	# its crash check uses the machine's own crash, 8.0.2, which cannot
	# open Linux 6.12).
	small=$(ls -S -r "$dumps"/bookworm-*/vmcore 2>/dev/null | head -n1)
	if [[ -n $small ]]; then
		r=$("$src/tests/e2e/check-sftp.sh" "$(dirname "$small")" "$out/default/kexdump" \
			"$out/default/tests/sftp-client" "$out/default/tests/cmp-pages")
		echo "$r" | grep -v '^[0-9]* passed'
		tap_tally "$r" "ssh target (SFTP) on $(basename "$(dirname "$small")")"
	else
		tally 0 1 0 "ssh target (no dump)"
	fi
	# Under ASan+UBSan too, on every real dump.
	[[ -x $out/asan/kexdump ]] || tally 0 1 0 "real dumps under ASan+UBSan (no ASan kexdump)"
	for d in "$dumps"/*/; do
		[[ -f $d/meta && -x $out/asan/kexdump ]] || continue
		r=$(UBSAN_OPTIONS=halt_on_error=1 "$src/tests/e2e/check-dump.sh" "$out/asan/kexdump" "${d%/}")
		echo "$r" | grep '^not ok\|# SKIP'
		tap_tally "$r" "$(basename "$d") under ASan+UBSan"
	done
	# kexdump bt walks every CPU's stack of every real dump under ASan+UBSan.
	for d in "$dumps"/*/; do
		[[ -f $d/meta && -x $out/asan/kexdump ]] || continue
		if UBSAN_OPTIONS=halt_on_error=1 "$out/asan/kexdump" bt --all --json "$d/vmcore" \
			>/dev/null 2>"$out/bt-asan.err"; then
			tally 1 0 0 "$(basename "$d") bt --all under ASan+UBSan"
		else
			head -n 20 "$out/bt-asan.err"
			tally 0 1 0 "$(basename "$d") bt --all under ASan+UBSan"
		fi
	done
	# The rehearsal's size estimate against kd_save on a real dump (the
	# unit stage, before the matrix, has none: it skips this case there).
	if KEXDUMP_DUMPS=$dumps "$out/default/tests/test-rehearse" >"$out/rehearse-real.log" 2>&1 &&
		grep -q '^\[       OK \] test_estimate_real' "$out/rehearse-real.log"; then
		tally 1 0 0 "rehearsal estimate on a real dump (test-rehearse)"
	else
		tail -n 20 "$out/rehearse-real.log"
		tally 0 1 0 "rehearsal estimate on a real dump (test-rehearse)"
	fi
	# The static binary reads a real dump too.
	first=$(ls -d "$dumps"/*/ 2>/dev/null | head -n1)
	# Whole output first: grep -q would close the pipe at the first match
	# and, under pipefail, kexdump's SIGPIPE would fail the check.
	log=
	[[ -n $first ]] && log=$("$out/static/kexdump" dmesg "$first/vmcore")
	if grep -q 'Kernel panic' <<<"$log"; then
		tally 1 0 0 "static kexdump dmesg on a real dump"
	else
		tally 0 1 0 "static kexdump dmesg on a real dump"
	fi
else
	stage "real kernel crashes in QEMU"
	tally 0 0 1 "real kernel crashes and their checks (KEXDUMP_SKIP_VM=1)"
fi

if [[ ${KEXDUMP_SKIP_VM:-0} != 1 ]]; then
	# The service end to end: setup, panic, kexdump as the capture
	# kernel's PID 1, reboot, list (tests/e2e/check-service.sh).
	stage "crash-dump service in QEMU (started after the static build)"
	if [[ -n $svc_pid ]]; then
		wait "$svc_pid"
		cat "$out/service.err"
		r=$(cat "$out/service.tap")
		echo "$r" | grep -v '^[0-9]* passed'
		if grep -q '^\(not \)\?ok' <<<"$r"; then
			tap_tally "$r" "crash-dump service"
		else
			tally 0 1 0 "crash-dump service (did not run)"
		fi
	else
		tally 0 1 0 "crash-dump service (no static kexdump)"
	fi
	# The Debian package on a real bookworm system with GRUB
	# (tests/e2e/check-grub.sh), run after check-service.sh.
	stage "Debian package on a real system with GRUB, in QEMU"
	if [[ -n $svc_pid ]]; then
		cat "$out/grub.err"
		r=$(cat "$out/grub.tap" 2>/dev/null)
		echo "$r" | grep -v '^[0-9]* passed'
		if grep -q '^\(not \)\?ok' <<<"$r"; then
			tap_tally "$r" "Debian package with GRUB"
		else
			tally 0 1 0 "Debian package with GRUB (check-grub.sh did not run)"
		fi
	else
		tally 0 1 0 "Debian package with GRUB (no static kexdump)"
	fi
else
	stage "crash-dump service in QEMU"
	tally 0 0 1 "crash-dump service (KEXDUMP_SKIP_VM=1)"
	stage "Debian package on a real system with GRUB, in QEMU"
	tally 0 0 1 "Debian package with GRUB (KEXDUMP_SKIP_VM=1)"
fi

echo
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
