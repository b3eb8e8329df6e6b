# SPDX-License-Identifier: LGPL-2.1-or-later
# bash completion for kexdump(8): the commands of src/main.c and the options
# of each command's getopt table (tests/pkg/check-deb.sh fails when one is
# missing here).

_kexdump()
{
	local cur prev words cword
	_init_completion || return

	local commands="info dmesg report bt symbols save pages read load
		unload exec status setup test list capture initramfs ps mod"
	if ((cword == 1)); then
		COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
		return
	fi
	local cmd=${words[1]} opts args=file

	case $cmd in
	info) opts="--json --vmcoreinfo --system-map --help" ;;
	dmesg) opts="--caller-id --system-map --help" ;;
	report) opts="--json --log-lines --system-map --help" ;;
	bt) opts="--all --cpu --json --system-map --help" ;;
	symbols) opts="--system-map --help" ;;
	ps | mod) opts="--json --system-map --help" ;;
	read) opts="--string --raw --phys --system-map --help" ;;
	pages) opts="--dump-level --json --help" ;;
	save) opts="--dump-level --format --compress --threads --mem-limit --force
		--buffered --json --progress --no-progress --help" ;;
	load)
		opts="--crash --reboot --kernel --initrd --no-initrd --append
			--reuse-cmdline --command-line --config --dry-run --help"
		args=none ;;
	unload) opts="--crash --reboot --help" args=none ;;
	exec) opts="" args=none ;;
	status) opts="--json --config --help" args=none ;;
	setup)
		opts="--config --apply-bootloader --no-systemd --boot --print-units
			--dry-run --kernel"
		args=none ;;
	test) opts="--json --yes-crash-now --config --help" args=none ;;
	list) opts="--json --config --help" args=dir ;;
	capture) opts="--config --vmcore --target-dir --no-action --help" args=none ;;
	initramfs)
		opts="--output --config --release --moddir --init --sysfs --dev
			--no-compress --module --list --help"
		args=none ;;
	*) return ;;
	esac

	# The argument of the option before the cursor. Short options mean
	# different things in different commands (-c: --cpu in bt, --compress
	# in save, --command-line in load, --config elsewhere).
	case $cmd:$prev in
	initramfs:--release | setup:--kernel)
		COMPREPLY=($(compgen -W "$(command ls /lib/modules 2>/dev/null)" -- "$cur"))
		return ;;
	*:--system-map | *:-m | *:--config | setup:-c | test:-c | list:-c | \
	capture:-c | load:-f | status:-f | *:--vmcore | capture:-v | \
	*:--output | initramfs:-o | *:--kernel | load:-k | *:--initrd | \
	load:-i | *:--init)
		[[ $cmd:$prev == save:-m ]] && return
		_filedir
		return ;;
	*:--target-dir | capture:-t | *:--moddir | *:--sysfs | *:--dev)
		_filedir -d
		return ;;
	save:--format | save:-f)
		COMPREPLY=($(compgen -W "kdump elf flat" -- "$cur"))
		return ;;
	save:--compress | save:-c)
		COMPREPLY=($(compgen -W "auto zstd zstd: lz4 zlib zlib: lzo snappy none" -- "$cur"))
		return ;;
	*:--dump-level | *:-d)
		[[ $cmd == load ]] && return
		COMPREPLY=($(compgen -W "0 1 3 7 15 17 19 23 31" -- "$cur"))
		return ;;
	*:--cpu | bt:-c | *:--threads | save:-j | *:--mem-limit | save:-m | \
	*:--append | load:-a | *:--command-line | load:-c | *:--module)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$opts" -- "$cur"))
		return
	fi
	case $args in
	file) _filedir ;;
	dir) _filedir -d ;;
	esac
} &&
	complete -F _kexdump kexdump

# ex: filetype=sh
