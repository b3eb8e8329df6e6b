#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# deps.sh [build|test|all] -- install the Debian packages kexdump needs, only
# those missing, and say what it installs. Idempotent: a prepared machine
# does no apt work at all.
set -euo pipefail
what=${1:-all}
build=(gcc meson ninja-build pkg-config libcmocka-dev file
	zlib1g-dev liblzo2-dev libsnappy-dev libzstd-dev liblz4-dev
	liblzma-dev libblkid-dev libbpf-dev libssh-dev libssl-dev)
test=(clang python3 qemu-system-x86 qemu-utils kexec-tools makedumpfile
	busybox-static cpio kmod xz-utils zstd crash gdb time e2fsprogs util-linux
	make libelf-dev libdw-dev libbz2-dev iproute2 dnsmasq-base
	nfs-ganesha nfs-ganesha-vfs openssh-server openssh-client
	debhelper dpkg-dev fakeroot lintian scdoc bash-completion man-db
	btrfs-progs xfsprogs python3-drgn)
# make and lib*-dev above: tests/vm/makedumpfile-new.sh builds Debian's
# newest makedumpfile from its source package when the archive serves it.
# iproute2 and dnsmasq-base (the binary, no service): the network tests
# (tests/unit/test-netif.c, test-dhcp.c) read back and serve DHCP in a
# network namespace of their own.
# btrfs-progs, xfsprogs: the storage layouts' filesystems, made on loop
# devices and image files by tests/cli/test-layouts.sh and the service e2e
# (tests/vm/service-rootfs.sh's btrfs root, service-run.sh's XFS /var).
# python3-drgn (0.0.22, built with libkdumpfile): an oracle of the triage
# commands, tests/e2e/drgn-oracle.py (run with /usr/bin/python3, the
# interpreter the package is built for).
# nfs-ganesha(-vfs): tests/vm/service-run.sh starts an instance of its own
# on 127.0.0.1 (the nfs scenario of tests/e2e/check-service.sh).
# debhelper, dpkg-dev, lintian, scdoc (the man pages), bash-completion,
# man-db: tests/pkg/check-deb.sh builds the Debian package (debian/) and
# checks it; scdoc also builds the man pages of meson install when found.
case $what in
build) pkgs=("${build[@]}") ;;
test | all) pkgs=("${build[@]}" "${test[@]}") ;;
*) echo "usage: $0 [build|test|all]" >&2; exit 2 ;;
esac
missing=()
for p in "${pkgs[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
((${#missing[@]})) || exit 0
# apt-get needs root: run as root (a minimal Debian or a container has no
# sudo), else through sudo when there is one.
sudo=()
if ((EUID != 0)); then
	if ! command -v sudo >/dev/null 2>&1; then
		echo "deps.sh: missing ${missing[*]}; installing them needs root, and there is no sudo: run this as root, or install them" >&2
		exit 1
	fi
	sudo=(sudo)
fi
echo "deps.sh: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
# openssh-server is for the tests' own sshd (tests/e2e/sshd.sh, on its own
# port): its package must not start the machine's sshd. A policy-rc.d
# that refuses every start, made for the install only when there is none.
policy=
if [[ " ${missing[*]} " == *" openssh-server "* && ! -e /usr/sbin/policy-rc.d ]]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
	"${sudo[@]}" chmod +x "$policy"
fi
rc=0
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >&2 || rc=$?
[[ -z $policy ]] || "${sudo[@]}" rm -f "$policy"
exit $rc
