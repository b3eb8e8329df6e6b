#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# test-ssh-setup.sh KEXDUMP -- kexdump setup's check of an ssh:// target
# against a real OpenSSH sshd this script starts on 127.0.0.1 on a port of
# its own (tests/e2e/sshd.sh: its own host key, authorized_keys and
# config, internal-sftp; never the machine's sshd, never port 22). Each
# failure is one line "kexdump: CONFIG:LINE: ssh://...: WHAT" that says
# what to do, exit 1, and nothing is armed (every case fails the check,
# which comes before anything on the machine changes):
#   - unreachable server (a port nothing listens on);
#   - refused key (setup made the key, 0600, printed its authorized_keys
#     line, and the server does not have it);
#   - unknown host key (known_hosts FILE without the server's key);
#   - changed host key (known_hosts holds another key for the server).
# (Pinning without known_hosts writes to /etc/kexdump: the service e2e
# scenario ssh checks it in the guest.)
# Needs root (setup refuses to run otherwise) and openssh-server.
set -uo pipefail
if (($# != 1)); then
	echo "usage: $0 KEXDUMP" >&2
	exit 2
fi
kexdump=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cli/common.sh
. "$here/common.sh"
if ((EUID != 0)); then
	echo "1..0 # SKIP kexdump setup needs root"
	exit 77
fi
if [[ ! -x /usr/sbin/sshd ]] || ! command -v ssh-keygen >/dev/null; then
	nok "no /usr/sbin/sshd or ssh-keygen (tools/deps.sh installs openssh-server)"
	cli_done
	exit
fi
work=$(mktemp -d)
# shellcheck source=tests/e2e/sshd.sh
. "$here/../e2e/sshd.sh"
trap 'sshd_kill; rm -rf "$work"' EXIT
sshd_init "$work/sshd" || { nok "cannot set up sshd"; cli_done; exit; }
sshd_start || { nok "sshd does not start"; cli_done; exit; }
user=$(id -un)
mkdir -p "$work/dumps"
url=ssh://$user@127.0.0.1:$SSHD_PORT$work/dumps

# one NAME CONFIG-TEXT REGEX: setup fails with exactly one stderr line
# matching "kexdump: CONF:1: URL: REGEX", exit 1, nothing armed.
one() {
	local name=$1 text=$2 re=$3 conf=$work/$1.conf rc
	printf '%s' "$text" >"$conf"
	"$kexdump" setup --config "$conf" --no-systemd >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	local n
	n=$(wc -l <"$work/$name.err")
	if ((rc == 1 && n == 1)) && grep -Eq "^kexdump: $conf:1: [^ ]+: $re" "$work/$name.err"; then
		ok "$name: $(cat "$work/$name.err")"
	else
		nok "$name: rc=$rc, $n lines: $(head -c 600 "$work/$name.err")"
	fi
	if [[ -e $work/armed ]] || grep -q 'kexdump setup: armed' "$work/$name.out"; then
		nok "$name: setup armed something"
	fi
}

# Unreachable: the port of an sshd that is not there.
free=$(sshd_free_port)
one unreachable "target ssh://$user@127.0.0.1:$free/dumps
ssh_key $work/key-unreachable
known_hosts $work/kh-empty
" "cannot connect to 127\.0\.0\.1 port $free: Connection refused \(check that the server's sshd runs and listens on port $free"

# Refused key: setup makes the key (0600, its .pub line printed), the
# server's authorized_keys does not have it. (known_hosts holds the
# server's key: pinning would write to this machine's /etc/kexdump.)
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1-2 "$work/sshd/host_ed25519.pub")" >"$work/kh-good"
one refused "target $url
ssh_key $work/key
known_hosts $work/kh-good
" "[^ ]+ port $SSHD_PORT refused the key $work/key: add the line of $work/key\.pub to ~$user/\.ssh/authorized_keys on 127\.0\.0\.1"
if [[ $(stat -c %a "$work/key" 2>/dev/null) == 600 ]] && grep -q '^ssh-ed25519 AAAA' "$work/key.pub" &&
	grep -qF "$(cat "$work/key.pub")" "$work/refused.out"; then
	ok "refused: setup made the key (0600) and printed its authorized_keys line"
else
	nok "refused: key $(stat -c %a "$work/key" 2>&1): $(head -c 300 "$work/refused.out")"
fi
fp=$(ssh-keygen -lf "$work/sshd/host_ed25519.pub" | awk '{print $2}')
# As a regular expression: base64 holds '+' and '/'.
fp=$(sed 's/[+/.]/\\&/g' <<<"$fp")

# Unknown host key: a known_hosts file that holds another server's key.
ssh-keygen -q -t ed25519 -N '' -f "$work/other" || exit 1
echo "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1-2 "$work/other.pub")" >"$work/kh-other"
: >"$work/kh-empty"
cat "$work/key.pub" >>"$work/sshd/authorized_keys"
one unknown "target $url
ssh_key $work/key
known_hosts $work/kh-empty
" "the host key of [^ ]+ port $SSHD_PORT \($fp\) is not in $work/kh-empty: add it there \(ssh-keyscan -p $SSHD_PORT 127\.0\.0\.1\), or leave known_hosts out of the config to have kexdump setup pin it\$"
one changed "target $url
ssh_key $work/key
known_hosts $work/kh-other
" "the host key of [^ ]+ port $SSHD_PORT changed since it was pinned in $work/kh-other \(now $fp\): if the server was reinstalled, delete its line there and run kexdump setup again"
cli_done
