#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# matrix.sh [--panics] OUTROOT -- produce the test suite's vmcores, one
# directory per configuration under OUTROOT (see mkdump.sh for the layout).
# Four runs cover both suites, 1/2/4 vCPUs, 1G/4G guests, 4/5-level paging
# and both kexec syscalls, all crashed with sysrq-c.  --panics makes the
# other kinds of crash instead (mkdump.sh --panic): an oops of the test
# module in hard-IRQ context, an OOM panic and a hung-task panic, each a
# small bookworm run (1 vCPU, 1G) for the triage checks, and the IRQ oops
# on trixie's 6.12 too (its module built with gcc-14, see crashmod.sh).  A fifth run of
# the default set, bullseye's 5.10 (no kallsyms in VMCOREINFO: triage with
# the -dbg package's System.map), goes to OUTROOT/triage/: it is for
# tests/e2e/check-triage.sh only (its small guest costs ~75 s).  A directory
# whose meta says it completed with the same configuration (and the
# suite's current kernel) is reused as it is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/common.sh
. "$here/common.sh"

panics=0
if [[ ${1:-} == --panics ]]; then
	panics=1
	shift
fi
[[ $# -eq 1 ]] || die "usage: $0 [--panics] OUTROOT"
root=$1
mkdir -p "$root"

#      dir     suite    cpus mem paging load panic
runs=(
	".      bookworm 1 1G 4 load sysrq"
	".      bookworm 4 4G 5 file sysrq"
	".      trixie   2 1G 4 load sysrq"
	".      trixie   1 4G 5 file sysrq"
	"triage bullseye 1 1G 4 load sysrq"
)
((!panics)) || runs=(
	".      bookworm 1 1G 4 load irq"
	".      bookworm 1 1G 4 load oom"
	".      bookworm 1 1G 4 load hung"
	".      trixie   1 1G 4 load irq"
)

# Does DIR/meta describe a finished run of exactly this configuration
# ("suite cpus mem paging load panic release"; no panic key is sysrq)?
# The subshell keeps the sourced keys out of our variables.
complete() {
	local dir=$1 want=$2
	[[ -s $dir/meta && -s $dir/vmcore ]] || return 1
	(
		unset suite cpus mem paging load panic release vmcore_size
		# shellcheck disable=SC1091
		. "$dir/meta"
		[[ "${suite:-} ${cpus:-} ${mem:-} ${paging:-} ${load:-} ${panic:-sysrq} ${release:-}" == "$want" &&
			$(stat -c %s "$dir/vmcore") == "${vmcore_size:-}" ]]
	)
}

total=$SECONDS
for r in "${runs[@]}"; do
	read -r sub suite cpus mem paging load panic <<<"$r"
	name=$sub/$suite-${cpus}cpu-$mem-p$paging-$load
	name=${name#./}
	[[ $panic == sysrq ]] || name+=-$panic
	release=$(basename "$("$here/kernel.sh" "$suite")")
	if complete "$root/$name" "$suite $cpus $mem $paging $load $panic $release"; then
		log "$name: up to date, skipped"
		continue
	fi
	t=$SECONDS
	"$here/mkdump.sh" --suite "$suite" --cpus "$cpus" --mem "$mem" \
		--paging "$paging" --load "$load" --panic "$panic" --out "$root/$name" ||
		die "$name failed"
	log "$name: $((SECONDS - t)) s, vmcore $(stat -c %s "$root/$name/vmcore") bytes"
done
log "matrix done in $((SECONDS - total)) s"
