#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-dump.sh KEXDUMP DIR -- check kexdump on one real dump made by
# tests/vm/mkdump.sh (DIR/vmcore, DIR/console.log, DIR/meta) against the
# facts the harness recorded and against the peer tool, makedumpfile.
# Prints "ok - ..." / "not ok - ..." per check and a closing
# "N passed, N failed, N skipped" line (none skip); exits non-zero when any check failed.
set -uo pipefail
kexdump=$1 dir=$2
vmcore=$dir/vmcore
name=$(basename "$dir")
pass=0 fail=0
ok() { echo "ok - $name: $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $name: $*"; fail=$((fail + 1)); }
check() { # check DESCRIPTION COMMAND...
	local d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}

# shellcheck disable=SC1091
. "$dir/meta" || { echo "not ok - $name: no meta"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tr -d '\r' <"$dir/console.log" >"$work/console"

# 1. dmesg: byte-identical to makedumpfile --dump-dmesg of the same dump.
if "$kexdump" dmesg "$vmcore" >"$work/kd.txt" 2>"$work/kd.err"; then
	ok "kexdump dmesg exits 0 ($(wc -l <"$work/kd.txt") lines)"
else
	nok "kexdump dmesg failed: $(cat "$work/kd.err")"
fi
makedumpfile --dump-dmesg "$vmcore" "$work/md.txt" >"$work/md.out" 2>&1 ||
	nok "makedumpfile --dump-dmesg failed: $(tail -n2 "$work/md.out")"
if cmp -s "$work/kd.txt" "$work/md.txt"; then
	ok "dmesg identical to makedumpfile --dump-dmesg ($(wc -c <"$work/md.txt") bytes)"
else
	nok "dmesg differs from makedumpfile --dump-dmesg:"
	diff "$work/md.txt" "$work/kd.txt" | head -n 10 | sed 's/^/#   /'
fi

# 2. The panic as the console showed it is in the log, time stamps and all.
for pat in 'sysrq: Trigger a crash' 'Kernel panic - not syncing: sysrq triggered crash' \
	'hello from the crashed kernel marker'; do
	# The kernel's console line (with its time stamp), not an echo by /init.
	line=$(grep -F -- "$pat" "$work/console" | grep -m1 -oE '\[ *[0-9]+\.[0-9]+\] .*')
	if [[ -z $line ]]; then
		nok "console.log lacks '$pat'"
	elif grep -qxF -- "$line" "$work/kd.txt"; then
		ok "dmesg has the console's line '$line'"
	else
		nok "dmesg lacks the console's line '$line'"
	fi
done
check "dmesg ends with the panic's trace" grep -q 'Kernel panic - not syncing' <(tail -n 60 "$work/kd.txt")

# 3. info: release, CPUs, paging levels, memory and the panic.
if "$kexdump" info --json "$vmcore" >"$work/info.json" 2>"$work/info.err"; then
	ok "kexdump info --json exits 0"
else
	nok "kexdump info --json failed: $(cat "$work/info.err")"
fi
field() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$work/info.json" "$1" 2>/dev/null; }
eq() { # eq WHAT GOT WANT
	if [[ $2 == "$3" ]]; then ok "$1 = $3"; else nok "$1 = '$2', wanted '$3'"; fi
}
eq "info release" "$(field release)" "$release"
eq "info cpus" "$(field cpus)" "$cpus"
eq "info paging_levels" "$(field paging_levels)" "$paging"
eq "info arch" "$(field arch)" "x86_64"
eq "info symbols" "$(field symbols)" "kallsyms"
eq "info panic" "$(field panic)" "Kernel panic - not syncing: sysrq triggered crash"
# sysrq-c ran in PID 1 (the harness's /init) on the CPU that panicked.
pcpu=$(field panic_cpu)
[[ -n $pcpu ]] && ok "info panic_cpu = $pcpu" || nok "info has no panic_cpu"
pid=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([c["pid"] for c in d["cpu_states"] if c["cpu"]==d["panic_cpu"]][0])' "$work/info.json" 2>/dev/null)
eq "pid on the panic cpu" "$pid" 1
# Memory: the guest's RAM minus the 256 MiB crashkernel reservation, give or
# take firmware holes: within [mem - 256M - 160M, mem - 256M].
memtotal=$(field memory_total)
memmax=$(( $(numfmt --from=iec "$mem") - (256 << 20) ))
if [[ -n $memtotal ]] && ((memtotal <= memmax && memtotal >= memmax - (160 << 20))); then
	ok "info memory_total $memtotal fits a $mem guest with crashkernel=256M"
else
	nok "info memory_total '$memtotal' does not fit a $mem guest ($memmax max)"
fi
if [[ $mem == 4G ]]; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(int(r["start"],16) >= 1<<32 for r in d["memory"]) else 1)' "$work/info.json" &&
		ok "info shows memory above 4 GiB" || nok "no memory range above 4 GiB in a 4G guest"
fi
# The text form carries the same facts.
"$kexdump" info "$vmcore" >"$work/info.txt" 2>&1
check "info text names the release" grep -q "^kernel: *$release\$" "$work/info.txt"

# 4. A symbol read through virtual translation equals what the console printed.
got=$("$kexdump" read "$vmcore" linux_banner --string 2>&1)
eq "linux_banner" "$got" "$banner"
# init_uts_ns.name.release: VMCOREINFO gives init_uts_ns and
# OFFSET(uts_namespace.name) (0 on 6.x); release is the third 65-byte field
# of struct new_utsname.
name_off=$("$kexdump" info --vmcoreinfo "$vmcore" | sed -n 's/^OFFSET(uts_namespace.name)=//p')
got=$("$kexdump" read "$vmcore" "init_uts_ns+$((${name_off:-0} + 65 * 2))" --string 2>&1)
eq "init_uts_ns release" "$got" "$release"

# The symbol table exported as a System.map serves the --system-map path
# (kernels before 6.0) on this real dump.
"$kexdump" symbols "$vmcore" >"$work/System.map" 2>"$work/sym.err"
nsym=$(wc -l <"$work/System.map")
eq "symbols lines = info num_symbols" "$nsym" "$(field num_symbols)"
got=$("$kexdump" read "$vmcore" linux_banner --string --system-map "$work/System.map" 2>&1)
eq "linux_banner via --system-map" "$got" "$banner"
check "info --system-map reports System.map" grep -q '^symbols: *System.map' <("$kexdump" info "$vmcore" --system-map "$work/System.map")

# kexec_load dumps carry the low 640 KiB from kexec-tools' backup copy
# (a PT_LOAD at 0x1000); kexec_file_load dumps leave the first MiB out.
low=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(min(int(r["start"],16) for r in d["memory"]))' "$work/info.json" 2>/dev/null)
if [[ $load == load ]]; then want_low=4096; else want_low=1048576; fi
eq "lowest physical address ($load)" "$low" "$want_low"

# 5. A truncated copy of the real dump: one clear line, exit 1, no crash.
head -c $((1 << 20)) "$vmcore" >"$work/truncated"
"$kexdump" info "$work/truncated" >"$work/t.out" 2>"$work/t.err"
rc=$?
if ((rc == 1)) && [[ $(wc -l <"$work/t.err") == 1 ]] && grep -q "$work/truncated: file is truncated" "$work/t.err"; then
	ok "truncated dump: one-line error, exit 1 ($(cat "$work/t.err"))"
else
	nok "truncated dump: rc=$rc stderr='$(cat "$work/t.err")'"
fi

# 6. makedumpfile's own formats made from the same dump: kdump-compressed
# (zlib, lzo, uncompressed) and flattened (-F, what it writes to a pipe).
# Each must give the ELF dump's log, facts and symbols; -d 31 keeps ~50 MB.
mdf() { # mdf OUTPUT ARGS...: makedumpfile into $work, which is fresh
	local out=$1
	shift
	makedumpfile "$@" "$vmcore" "$work/$out" >"$work/$out.log" 2>&1
}
mdf c.kdump -c -d 31 && mdf l.kdump -l -d 31 && mdf raw.kdump -d 31 &&
	makedumpfile -F -c -d 31 "$vmcore" >"$work/c.flat" 2>"$work/flat.log" ||
	nok "makedumpfile conversions failed: $(tail -qn2 "$work"/*.log)"
for f in c.kdump l.kdump raw.kdump c.flat; do
	[[ -s $work/$f ]] || continue
	start=$(date +%s%N)
	if "$kexdump" dmesg "$work/$f" >"$work/$f.txt" 2>"$work/$f.err" &&
		cmp -s "$work/$f.txt" "$work/kd.txt"; then
		ok "$f ($(($(stat -c %s "$work/$f") >> 20)) MiB): dmesg identical to the ELF dump's ($((($(date +%s%N) - start) / 1000000)) ms)"
	else
		nok "$f: dmesg differs from the ELF dump's: $(head -c 300 "$work/$f.err")"
	fi
	"$kexdump" info --json "$work/$f" >"$work/$f.json" 2>&1
	got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["format"], d["release"], d["cpus"], d["incomplete"])' "$work/$f.json" 2>&1)
	fmt=kdump
	[[ $f == *.flat ]] && fmt=flattened
	eq "$f info format/release/cpus/incomplete" "$got" "$fmt $release $cpus False"
	got=$("$kexdump" read "$work/$f" linux_banner --string 2>&1)
	eq "$f linux_banner" "$got" "$banner"
done
makedumpfile --dump-dmesg "$work/c.kdump" "$work/c.md.txt" >/dev/null 2>&1 &&
	cmp -s "$work/c.md.txt" "$work/c.kdump.txt" &&
	ok "c.kdump: dmesg identical to makedumpfile --dump-dmesg of it" ||
	nok "c.kdump: dmesg differs from makedumpfile --dump-dmesg of it"

echo "$pass passed, $fail failed, 0 skipped"
((fail == 0))
