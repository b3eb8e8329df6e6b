#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# sshd.sh -- sourced: a real OpenSSH sshd of the test's own, never the
# machine's: its own config, host key, authorized_keys and pid file under
# $SSHD_DIR, listening on 127.0.0.1:$SSHD_PORT (never 22), SFTP through
# internal-sftp, started in the foreground (-D) in the background and
# stopped by its pid (and its per-connection children's pids).
#
#   sshd_init DIR       DIR/{sshd_config,host_ed25519,authorized_keys,log}; picks a port
#   sshd_start          start it, wait until it listens
#   sshd_kill           kill it and its sessions (SIGKILL: a dropped link)
#   sshd_new_host_key   replace its host key (a reinstalled server)
#
# Needs /usr/sbin/sshd (openssh-server, tools/deps.sh) and ssh-keygen.
SSHD_DIR= SSHD_PORT= SSHD_PID=

sshd_free_port() {
	local p
	for p in $(shuf -i 20000-60000 -n 50); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

sshd_init() {
	SSHD_DIR=$1
	mkdir -p "$SSHD_DIR" || return 1
	chmod 700 "$SSHD_DIR"
	SSHD_PORT=$(sshd_free_port) || return 1
	rm -f "$SSHD_DIR/host_ed25519" "$SSHD_DIR/host_ed25519.pub"
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/host_ed25519" || return 1
	: >"$SSHD_DIR/authorized_keys"
	chmod 600 "$SSHD_DIR/authorized_keys"
	cat >"$SSHD_DIR/sshd_config" <<EOC
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/host_ed25519
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
AllowUsers $(id -un)
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel ERROR
EOC
	# sshd's privilege separation folder (Debian's package makes it at
	# boot through its unit, which never ran here).
	[[ -d /run/sshd ]] || mkdir -p -m 755 /run/sshd
}

sshd_start() {
	/usr/sbin/sshd -D -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/log" &
	SSHD_PID=$!
	# Not a job of the script: bash would print "Killed" when it dies.
	disown "$SSHD_PID"
	local i
	for ((i = 0; i < 100; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$SSHD_PORT") 2>/dev/null && return 0
		kill -0 "$SSHD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "sshd did not start: $(tail -n 3 "$SSHD_DIR/log" 2>/dev/null)" >&2
	return 1
}

sshd_kill() {
	[[ -n $SSHD_PID ]] || return 0
	local kids
	kids=$(pgrep -P "$SSHD_PID" 2>/dev/null || true)
	kill -9 "$SSHD_PID" $kids 2>/dev/null
	sshd_wait_dead
}

# sshd_wait_dead: until the sshd of SSHD_PID is gone (killed elsewhere).
sshd_wait_dead() {
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$SSHD_PID" 2>/dev/null || break
		sleep 0.05
	done
	SSHD_PID=
}

sshd_new_host_key() {
	rm -f "$SSHD_DIR/host_ed25519" "$SSHD_DIR/host_ed25519.pub"
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/host_ed25519"
}
