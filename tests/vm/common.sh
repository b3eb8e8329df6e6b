# SPDX-License-Identifier: LGPL-2.1-or-later
# Shared helpers for the tests/vm scripts; sourced, never executed.
# shellcheck shell=bash

CACHE=${KEXDUMP_CACHE:-$HOME/.cache/kexdump}
APT_DIR=$CACHE/apt

die() { echo "error: $*" >&2; exit 1; }
log() { echo "[$(basename "$0")] $*" >&2; }

# Install the host packages we rely on, but only those missing, so a
# prepared machine does no apt work at all.
need_pkgs() {
	local p missing=()
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	log "installing host packages: ${missing[*]}"
	apt-get update -qq >&2 || die "apt-get update failed"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2 ||
		die "apt-get install ${missing[*]} failed"
}

# A private apt configuration (own sources, lists and cache) so that we
# can fetch kernels of several Debian suites without touching /etc/apt.
APT_OPTS=(
	-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
	-o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$APT_DIR/lists"
	-o "Dir::Cache=$APT_DIR/cache"
	-o APT::Sandbox::User=root
)

apt_setup() {
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial"
	# bullseye (5.10, Debian LTS) too: the triage's kernel without kallsyms
	# in VMCOREINFO. A sources.list from before bullseye was added is
	# rewritten, and the lists are then refreshed at once.
	local fresh=
	if [[ ! -s $APT_DIR/sources.list ]] || ! grep -q ' bullseye-security ' "$APT_DIR/sources.list"; then
		local key=/usr/share/keyrings/debian-archive-keyring.gpg
		local s mirror=http://deb.debian.org/debian
		for s in bullseye bookworm trixie; do
			echo "deb [signed-by=$key] $mirror $s main"
		done >"$APT_DIR/sources.list.tmp"
		for s in bullseye bookworm; do
			echo "deb [signed-by=$key] $mirror-security $s-security main"
		done >>"$APT_DIR/sources.list.tmp"
		mv "$APT_DIR/sources.list.tmp" "$APT_DIR/sources.list"
		fresh=1
	fi
	# Refresh the package lists when missing or older than 6 hours, so we
	# always resolve a current kernel without hitting the mirror each call.
	if [[ -n $fresh || -z $(find "$APT_DIR/lists" -maxdepth 1 -name '*_Packages*' -mmin -360 -print -quit) ]]; then
		log "updating private apt lists in $APT_DIR"
		apt-get "${APT_OPTS[@]}" update -qq >&2 || die "private apt-get update failed"
	fi
}
