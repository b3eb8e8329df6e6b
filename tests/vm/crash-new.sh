#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# crash-new.sh -- print the path of a command that runs trixie's crash
# (8.0.6 at the time of writing) on this bookworm machine: bookworm's crash
# 8.0.2 walks only 3 of the ~60 tasks of a Debian 6.1 dump (its ps, and
# `bt PID` of any other task, fail), which crash 8.0.3 fixed. The newer
# crash comes from a minimal trixie root (suite-root.sh) and runs through
# that root's own dynamic loader and libraries, on the host's paths: no
# chroot, nothing installed on the system. It is an oracle of the triage
# checks (tests/e2e/check-triage.sh), never a kexdump dependency.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/vm/common.sh
. "$here/common.sh"

root=$("$here/suite-root.sh" trixie crash)
cmd=$root/kexdump-crash
if [[ ! -x $cmd ]]; then
	[[ -x $root/usr/bin/crash && -e $root/lib64/ld-linux-x86-64.so.2 ]] ||
		die "no crash or no dynamic loader in $root"
	# crash's embedded gdb reads its data files from the root too.
	cat >"$cmd.tmp" <<SH
#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Made by tests/vm/crash-new.sh: trixie's crash with its own loader and libraries.
exec "$root/lib64/ld-linux-x86-64.so.2" \\
	--library-path "$root/lib/x86_64-linux-gnu:$root/usr/lib/x86_64-linux-gnu" \\
	"$root/usr/bin/crash" "\$@"
SH
	chmod +x "$cmd.tmp"
	mv "$cmd.tmp" "$cmd"
fi
"$cmd" --version >/dev/null 2>&1 || die "$cmd does not run"
echo "$cmd"
