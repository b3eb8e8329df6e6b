# SPDX-License-Identifier: LGPL-2.1-or-later
#
# common.sh -- sourced by the CLI tests: the pass/fail tally, and a work
# folder with mksynth's synthetic dumps in it, removed on exit.
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $*"; fail=$((fail + 1)); }

# cli_work MKSYNTH: $work, a new folder holding MKSYNTH's dumps.
cli_work() {
	work=$(mktemp -d)
	# The tests take permissions away from parts of it: give them back
	# so that rm can remove everything.
	trap 'chmod -R u+rwx "$work"; rm -rf "$work"' EXIT
	"$1" "$work" || exit 1
}

# The closing line, and the exit status: non-zero when a check failed.
cli_done() {
	echo "$pass passed, $fail failed"
	((fail == 0))
}
