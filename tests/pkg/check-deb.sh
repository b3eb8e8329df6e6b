#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-deb.sh [SRCDIR] -- the Debian package built from the tree (debian/):
#   - dpkg-buildpackage -b -us -uc in a copy of the tree;
#   - lintian on the .changes: no error (every tag it prints is listed as a
#     "# ..." line, overrides included);
#   - dpkg -c holds each file the package must ship (the static kexdump, the
#     systemd units, the conffile /etc/kexdump.conf, both man pages, bash
#     completion, the docs, the kernel hooks of debian/kernel-post*.d)
#     and not the shared library;
#   - the kexdump in the .deb is static and runs --help;
#   - man --warnings renders kexdump(8) and kexdump.conf(5) with no warning;
#   - every command of kexdump --help is in the man page and is offered by
#     the bash completion (run in bash), and every long option of the
#     getopt tables (src/cmd-*.c, capture/init.c) is in both;
#   - the shipped /etc/kexdump.conf parses (as shipped and with its default
#     lines uncommented), names every key of docs/kexdump.conf.md with the
#     default given there;
#   - the units are those kexdump setup --print-units prints for
#     /usr/sbin/kexdump;
#   - the maintainer scripts, run by dpkg --root (DPKG_ROOT) on a throwaway
#     root with systemctl, deb-systemd-helper and update-grub stubbed: the
#     install arms nothing and says to run kexdump setup; remove disables
#     the units setup enabled; purge removes what setup installed (units,
#     GRUB drop-in, /var/lib/kexdump) and keeps the dumps, in /var/crash and
#     in a configured path; the postrm's list matches src/cmd-setup.c's.
# Nothing is installed on this machine and nothing of its systemd or GRUB
# is touched. Prints "ok - ..." / "not ok - ..." per check and a closing
# "N passed, N failed, N skipped" line; exits non-zero when a check failed.
# Costs ~1 min on an idle 2-core machine (the static build: ~40 s CPU;
# lintian: ~25 s).
set -uo pipefail
src=$(cd "${1:-$(dirname "$0")/../..}" && pwd)
pass=0 fail=0 skip=0
ok() { echo "ok - deb: $*"; pass=$((pass + 1)); }
nok() { echo "not ok - deb: $*"; fail=$((fail + 1)); }
excerpt() { tail -n "${2:-15}" "$1" | sed 's/^/#   /'; }
finish() {
	echo "$pass passed, $fail failed, $skip skipped"
	((fail == 0))
	exit
}
for t in dpkg-buildpackage dh lintian scdoc man dpkg-deb bash; do
	command -v "$t" >/dev/null ||
		{ nok "$t is not installed (tools/deps.sh installs it)"; finish; }
done
[[ -r /usr/share/bash-completion/bash_completion ]] ||
	{ nok "bash-completion is not installed (tools/deps.sh installs it)"; finish; }

work=$(mktemp -d /tmp/kd-deb.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT

# ------------------------------------------------------------------ build
# tests/pkg/build-deb.sh: KEXDUMP_DEB_DIR keeps the build for
# tests/e2e/check-grub.sh (tests/run.sh sets it), which reuses it.
start=$SECONDS
debdir=${KEXDUMP_DEB_DIR:-$work/deb}
if deb=$("$src/tests/pkg/build-deb.sh" "$src" "$debdir" 2>"$work/build.err"); then
	ok "dpkg-buildpackage -b ($((SECONDS - start)) s$(grep -q reusing "$work/build.err" && echo ', reused: the same tree'))"
else
	nok "dpkg-buildpackage -b failed"
	excerpt "$work/build.err" 30
	finish
fi
changes=$(ls "$debdir"/kexdump_*_*.changes 2>/dev/null | head -n1)
[[ -f $deb && -f $changes ]] || { nok "no .deb or .changes in $debdir"; finish; }
size=$(stat -c %s "$deb")
isize=$(dpkg-deb -f "$deb" Installed-Size)
echo "# $(basename "$deb"): $size bytes, Installed-Size $isize KiB"

# ---------------------------------------------------------------- lintian
lintian --no-cfg --display-info --show-overrides "$changes" >"$work/lintian.out" 2>&1
lrc=$?
grep -v 'running with root privileges\|^N:' "$work/lintian.out" | sed 's/^/# lintian: /'
errors=$(grep -c '^E: ' "$work/lintian.out")
warnings=$(grep -c '^W: ' "$work/lintian.out")
# Exit 1 is lintian's own failure; 2 is "a tag at --fail-on level was
# reported", which --show-overrides also counts for overridden errors
# (Lintian/Pool.pm): the E: lines decide.
if (((lrc == 0 || lrc == 2) && errors == 0)); then
	ok "lintian: 0 errors, $warnings warnings, $(grep -c '^O: ' "$work/lintian.out") overridden"
else
	nok "lintian: $errors errors (exit $lrc)"
fi

# --------------------------------------------------------------- contents
dpkg -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' >"$work/contents"
missing=()
for f in /usr/sbin/kexdump /etc/kexdump.conf \
	/lib/systemd/system/kexdump.service /lib/systemd/system/kexdump-rearm.path \
	/lib/systemd/system/kexdump-rearm.service \
	/etc/kernel/postinst.d/kexdump /etc/kernel/postrm.d/kexdump \
	/usr/share/man/man8/kexdump.8.gz /usr/share/man/man5/kexdump.conf.5.gz \
	/usr/share/bash-completion/completions/kexdump \
	/usr/share/doc/kexdump/copyright /usr/share/doc/kexdump/changelog.gz \
	/usr/share/doc/kexdump/README.md.gz /usr/share/doc/kexdump/setup.md.gz \
	/usr/share/doc/kexdump/kexdump.conf.md.gz /usr/share/doc/kexdump/reliability.md.gz; do
	grep -qxF "$f" "$work/contents" || missing+=("$f")
done
if ((${#missing[@]} == 0)); then
	ok "dpkg -c: $(wc -l <"$work/contents") entries, each expected file there"
else
	nok "dpkg -c: missing ${missing[*]}"
fi
if grep -q 'libkexdump\|/usr/include' "$work/contents"; then
	nok "dpkg -c: the shared library or headers are in the package"
else
	ok "dpkg -c: no shared library or headers (static command only)"
fi
dpkg-deb --ctrl-tarfile "$deb" | tar -xOf - ./conffiles >"$work/conffiles" 2>/dev/null
if grep -qxF /etc/kexdump.conf "$work/conffiles"; then
	ok "/etc/kexdump.conf is a conffile"
else
	nok "/etc/kexdump.conf is not a conffile ($(tr '\n' ' ' <"$work/conffiles"))"
fi

# ---------------------------------------------------------------- binary
x=$work/x
dpkg-deb -x "$deb" "$x"
kd=$x/usr/sbin/kexdump
if file "$kd" | grep -q 'statically linked' && "$kd" --help >"$work/help" 2>&1; then
	ok "the .deb's kexdump is static and runs --help ($(stat -c %s "$kd") bytes)"
else
	nok "the .deb's kexdump: $(file -b "$kd" | cut -d, -f1-4); --help: $(head -c 200 "$work/help")"
fi
mapfile -t commands < <(sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p' "$work/help")
((${#commands[@]} >= 10)) || nok "kexdump --help lists ${#commands[@]} commands"

# ------------------------------------------------------------- man pages
for page in man8/kexdump.8.gz man5/kexdump.conf.5.gz; do
	f=$x/usr/share/man/$page
	MANWIDTH=80 man --warnings -l "$f" >"$work/man.out" 2>"$work/man.err"
	rc=$?
	if ((rc == 0)) && [[ ! -s $work/man.err ]] && grep -q '^NAME' "$work/man.out"; then
		ok "man --warnings -l $page renders without warnings ($(wc -l <"$work/man.out") lines)"
	else
		nok "man --warnings -l $page: exit $rc"
		excerpt "$work/man.err" 10
	fi
done
zcat "$x/usr/share/man/man8/kexdump.8.gz" >"$work/kexdump.8"

# ------------------------------------------ commands and options covered
comp=$x/usr/share/bash-completion/completions/kexdump
# What the completion offers, from bash itself: WORDS... completes the
# last word.
complete_words() {
	COMPLETION=$comp bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$COMPLETION"
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_kexdump kexdump "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"' bash "$@" 2>&1
}
offered=$(complete_words kexdump "")
no_man=() no_comp=()
for c in "${commands[@]}"; do
	grep -qF "\\fB$c\\fR" "$work/kexdump.8" || no_man+=("$c")
	grep -qxF "$c" <<<"$offered" || no_comp+=("$c")
done
if ((${#no_man[@]} == 0)); then
	ok "kexdump(8) has each of the ${#commands[@]} commands of kexdump --help"
else
	nok "kexdump(8) lacks the commands ${no_man[*]}"
fi
if ((${#no_comp[@]} == 0)); then
	ok "bash completion offers each of the ${#commands[@]} commands of kexdump --help"
else
	nok "bash completion does not offer ${no_comp[*]} (offers: $(tr '\n' ' ' <<<"$offered"))"
fi
# Every command's "-" completion holds the long options its --help usage
# line names: the line is "  NAME ARGS   what it does" (ARGS end at the
# first three spaces; no three spaces: no ARGS, as for exec).
bad=()
for c in "${commands[@]}"; do
	offered=$(complete_words kexdump "$c" --)
	args=$(sed -n "s/^  $c  *//p" "$work/help" | sed -n 's/   .*//p')
	for o in $(grep -o -- '--[a-z][a-z-]*' <<<"$args" | sort -u); do
		grep -qxF -- "$o" <<<"$offered" || bad+=("$c $o")
	done
done
if ((${#bad[@]} == 0)); then
	ok "bash completion offers, per command, the options kexdump --help names"
else
	nok "bash completion does not offer: ${bad[*]}"
fi
mapfile -t options < <(cat "$src"/src/cmd-*.c "$src"/capture/init.c |
	sed -n 's/.*{ *"\([a-z][a-z0-9-]*\)", *\(no\|required\|optional\)_argument.*/\1/p' | sort -u)
no_man=() no_comp=()
for o in "${options[@]}"; do
	grep -qF -- "--$o" "$work/kexdump.8" || no_man+=("--$o")
	grep -qE -- "(^|[[:space:]\"])--$o([[:space:]\"]|\$)" "$comp" || no_comp+=("--$o")
done
if ((${#no_man[@]} == 0)); then
	ok "kexdump(8) has each of the ${#options[@]} long options of the getopt tables"
else
	nok "kexdump(8) lacks the options ${no_man[*]}"
fi
if ((${#no_comp[@]} == 0)); then
	ok "bash completion has each of the ${#options[@]} long options of the getopt tables"
else
	nok "bash completion lacks the options ${no_comp[*]}"
fi
got=$(complete_words kexdump save --format "")
if [[ $(tr '\n' ' ' <<<"$got") == "kdump elf flat " ]]; then
	ok "bash completion: kexdump save --format offers kdump elf flat"
else
	nok "bash completion: kexdump save --format offers: $got"
fi

# ---------------------------------------------------------------- config
conf=$x/etc/kexdump.conf
doc=$src/docs/kexdump.conf.md
sed -n 's/^#\([a-z_]\+\) /\1 /p' "$conf" >"$work/defaults.conf"
bad=()
for f in "$conf" "$work/defaults.conf"; do
	"$kd" status --config "$f" >"$work/status.out" 2>&1
	grep -q '^config:' "$work/status.out" && bad+=("$(grep '^config:' "$work/status.out")")
done
if ((${#bad[@]} == 0)) && [[ -s $work/defaults.conf ]]; then
	ok "the shipped kexdump.conf parses, and so do its $(wc -l <"$work/defaults.conf") default lines uncommented"
else
	nok "kexdump.conf: ${bad[*]:-no default lines}"
fi
# The keys table of docs/kexdump.conf.md: | `key` | values | default | ...
mapfile -t keys < <(sed -n 's/^| `\([a-z_]*\)` | .*/\1/p' "$doc")
bad=()
for k in "${keys[@]}"; do
	grep -qE "^# *$k[ :]|^#$k " "$conf" || { bad+=("$k: not in the file"); continue; }
	v=$(sed -n "s/^#$k \(.*\)/\1/p" "$conf")
	[[ -z $v ]] && continue
	d=$(sed -n "s/^| \`$k\` | [^|]* | \([^|]*\) |.*/\1/p" "$doc" | tr -d '`')
	[[ $d == "$v"* ]] || bad+=("$k: '$v' here, '$d' in docs/kexdump.conf.md")
done
if ((${#keys[@]} >= 15 && ${#bad[@]} == 0)); then
	ok "kexdump.conf names each of the ${#keys[@]} keys of docs/kexdump.conf.md, defaults as documented"
else
	nok "kexdump.conf (${#keys[@]} keys in the docs): ${bad[*]}"
fi

# ----------------------------------------------------------------- units
"$kd" setup --print-units >"$work/units.txt" 2>&1
mapfile -t units < <(sed -n 's/^### //p' "$work/units.txt")
bad=()
for u in "${units[@]}"; do
	awk -v u="$u" '/^### / { on = ($2 == u); next } on' "$work/units.txt" |
		sed "s|$kd|/usr/sbin/kexdump|g" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$work/want"
	grep -v '^#' "$x/lib/systemd/system/$u" 2>/dev/null >"$work/have"
	cmp -s "$work/want" "$work/have" || bad+=("$u")
done
if ((${#units[@]} >= 3 && ${#bad[@]} == 0)); then
	ok "the package's units are setup --print-units' for /usr/sbin/kexdump: ${units[*]}"
else
	nok "units differ from setup --print-units: ${bad[*]:-none printed}"
	diff "$work/want" "$work/have" | head -n 10 | sed 's/^/#   /'
fi

# ------------------------------------------------- maintainer scripts
# The postrm's list is src/cmd-setup.c's (its #defines, or SETUP_*'s of a
# header of src/, or the library's KD_INSTALL_*'s of
# include/kexdump/service/).
postrm=$src/debian/postrm
bad=()
for u in "${units[@]}"; do grep -q "units=.*\\b$u\\b" "$postrm" || bad+=("$u"); done
for def in UNIT_DIR GRUB_DROPIN INITRAMFS_DIR; do
	p=$(sed -n "s/^#define \([A-Z_]*_\)\?$def \"\(.*\)\"/\2/p" "$src"/src/*.[ch] \
		"$src"/include/kexdump/service/*.h | head -n1)
	[[ -n $p ]] && grep -qF "\$root$p" "$postrm" || bad+=("$def=$p")
done
p=$(sed -n 's/^#define KD_KEXEC_RECORD_DIR "\(.*\)"/\1/p' "$src/include/kexdump/service/kexec.h")
grep -qF "\$root$p" "$postrm" || bad+=("KD_KEXEC_RECORD_DIR=$p")
if ((${#bad[@]} == 0)); then
	ok "debian/postrm names what src/cmd-setup.c installs"
else
	nok "debian/postrm lacks ${bad[*]}"
fi

# dpkg --root with the scripts run outside a chroot (DPKG_ROOT set), the
# tools they may call stubbed: a call is logged, never made.
root=$work/root stub=$work/stub calls=$work/calls
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers" "$stub"
touch "$root/var/lib/dpkg/status" "$root/var/lib/dpkg/available" "$calls"
for t in systemctl deb-systemd-helper deb-systemd-invoke update-grub grub-mkconfig; do
	printf '#!/bin/sh\necho "%s $*" >>%s\ncase "$1" in debian-installed|was-enabled) exit 1;; esac\nexit 0\n' \
		"$t" "$calls" >"$stub/$t"
	chmod +x "$stub/$t"
done
dpkg_root() { PATH=$stub:$PATH dpkg --root="$root" --force-script-chrootless --force-depends "$@"; }
if dpkg_root -i "$deb" >"$work/install.out" 2>&1; then
	ok "dpkg --root -i: installed into a throwaway root"
else
	nok "dpkg --root -i failed"
	excerpt "$work/install.out"
	finish
fi
sed 's/^/#   /' "$work/install.out" | grep -i 'kexdump:\|setup' | head -n 8
armed=$(find "$root/etc/systemd/system" "$root/etc/default/grub.d" "$root/var/lib/kexdump" \
	-name '*kexdump*' 2>/dev/null)
if [[ -z $armed ]] && ! grep -qE '^(systemctl|update-grub|grub-mkconfig|deb-systemd-invoke)|^deb-systemd-helper enable' "$calls" &&
	grep -q 'kexdump setup' "$work/install.out"; then
	ok "installing arms nothing (no unit enabled, no GRUB drop-in, no /var/lib/kexdump, no systemctl or update-grub) and says to run kexdump setup"
else
	nok "installing: found ${armed:-nothing}; calls: $(tr '\n' ';' <"$calls"); says setup: $(grep -c 'kexdump setup' "$work/install.out")"
fi

# What kexdump setup leaves on a machine (src/cmd-setup.c), and dumps in
# /var/crash and in a configured path.
sd=$root/etc/systemd/system
mkdir -p "$sd/multi-user.target.wants" "$root/etc/default/grub.d" "$root/var/lib/kexdump" \
	"$root/run/kexdump" "$root/var/crash/host-2026-12-01-10:00:00" "$root/srv/dumps/host-2026-12-01-11:00:00"
for u in "${units[@]}"; do cp "$x/lib/systemd/system/$u" "$sd/$u"; done
ln -s /etc/systemd/system/kexdump.service "$sd/multi-user.target.wants/kexdump.service"
ln -s /etc/systemd/system/kexdump-rearm.path "$sd/multi-user.target.wants/kexdump-rearm.path"
echo 'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT crashkernel=256M"' >"$root/etc/default/grub.d/kexdump.cfg"
echo initramfs >"$root/var/lib/kexdump/initramfs-6.1.0-1-amd64.img"
echo chain >"$root/var/lib/kexdump/chain"
echo record >"$root/run/kexdump/crash.loaded"
mkdir -p "$root/etc/kexdump"
echo 'PRIVATE KEY' >"$root/etc/kexdump/id_ed25519"
echo '[10.0.2.2]:2222 ssh-ed25519 AAAA' >"$root/etc/kexdump/known_hosts"
echo 'path /srv/dumps' >>"$root/etc/kexdump.conf"
for d in "$root"/var/crash/host-* "$root"/srv/dumps/host-*; do
	head -c 65536 /dev/urandom >"$d/vmcore"
	echo 'status=complete' >"$d/summary"
done
(cd "$root" && find var/crash srv -type f -exec sha256sum {} + | sort) >"$work/dumps.sum"
: >"$calls"
if dpkg_root -r kexdump >"$work/remove.out" 2>&1 &&
	[[ -z $(find "$sd" -name '*.wants' -exec find {} -name 'kexdump*' \;) ]] &&
	[[ -f $sd/kexdump.service && -f $root/etc/default/grub.d/kexdump.cfg && -d $root/var/lib/kexdump ]] &&
	[[ -f $root/etc/kexdump.conf ]] && ! grep -q '^update-grub' "$calls"; then
	ok "remove: setup's units disabled; their files, the GRUB drop-in, /var/lib/kexdump and the config stay"
else
	nok "remove"
	excerpt "$work/remove.out"
	find "$root/etc" "$root/var/lib/kexdump" | sed 's/^/#   /' | head -n 20
fi
if dpkg_root -P kexdump >"$work/purge.out" 2>&1; then
	left=$(cd "$root" && find etc/systemd etc/default var/lib/kexdump run/kexdump etc/kexdump.conf etc/kexdump \
		-name '*kexdump*' 2>/dev/null)
	if [[ -z $left ]] && ! grep -q '^update-grub\|^systemctl' "$calls"; then
		ok "purge: setup's units, the GRUB drop-in, /var/lib/kexdump, /run/kexdump, /etc/kexdump (its ssh key) and the conffile are gone (no update-grub run under DPKG_ROOT)"
	else
		nok "purge left: $(tr '\n' ' ' <<<"$left"); calls: $(tr '\n' ';' <"$calls")"
	fi
	if (cd "$root" && find var/crash srv -type f -exec sha256sum {} + 2>/dev/null | sort) |
		cmp -s - "$work/dumps.sum"; then
		ok "purge: the dumps in /var/crash and in the configured path are untouched ($(wc -l <"$work/dumps.sum") files)"
	else
		nok "purge: the dumps changed"
	fi
else
	nok "dpkg --root -P failed"
	excerpt "$work/purge.out"
fi
echo "# package: $(basename "$deb"), $size bytes (Installed-Size $isize KiB); lintian: $errors errors, $warnings warnings"
finish
