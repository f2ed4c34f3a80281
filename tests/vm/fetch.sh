#!/usr/bin/env bash
# Fetch what the pure-v2 guest tier needs, once, into VMDIR (default build/vm):
#   - host tools: qemu-system-x86 (no recommends), busybox-static, cpio, xz-utils, lz4, zstd,
#     installed with apt-get only when missing (CI starts clean);
#   - Debian's stock kernel: the package linux-image-amd64 depends on, *downloaded* with
#     `apt-get download` and unpacked with `dpkg-deb -x` into VMDIR. It is never installed on
#     the host. From it: the ELF vmlinux (extracted from the xz bzImage once, so every boot
#     skips ~3 s of decompression under TCG and boots through PVH) and the modules 9p needs.
# Re-running is cheap: a stamp file names the kernel package that is unpacked (and the
# modules taken from it); a newer package replaces it, and without network the cached
# kernel is used.
set -euo pipefail

VMDIR=${1:-build/vm}
mkdir -p "$VMDIR"
VMDIR=$(cd "$VMDIR" && pwd)

# The 9p modules of Debian's 6.1 kernel, in load order (the package has no modules.dep
# that busybox insmod could use), and sock_diag's families (`corral sockets`; a host loads
# them on demand, the guest has no modprobe).
MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache
	9pnet 9pnet_virtio 9p inet_diag tcp_diag udp_diag unix_diag)

say() { echo "vm-fetch: $*"; }

host_tools() {
	local need=()
	command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
	[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx switch_root ||
		need+=(busybox-static)
	command -v cpio >/dev/null || need+=(cpio)
	command -v xz >/dev/null || need+=(xz-utils)
	command -v lz4 >/dev/null || need+=(lz4)
	command -v zstd >/dev/null || need+=(zstd)
	[ ${#need[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		say "missing ${need[*]}: run as root (apt-get)" >&2
		exit 1
	fi
	say "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y --no-install-recommends "${need[@]}" ||
		{ apt-get update && apt-get install -y --no-install-recommends "${need[@]}"; }
}

# The concrete kernel package behind the linux-image-amd64 metapackage.
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# bzImage -> ELF vmlinux: find the xz stream after the setup code and decompress it (the
# kernel's scripts/extract-vmlinux does the same for every compressor; Debian uses xz).
extract_vmlinux() {
	local bz=$1 out=$2 off
	for off in $(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$bz" | cut -d: -f1); do
		# xz stops with an error at the trailing data after the stream: judge by the output
		tail -c +$((off + 1)) "$bz" | xz -dc >"$out.tmp" 2>/dev/null || true
		if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			mv "$out.tmp" "$out"
			return 0
		fi
	done
	rm -f "$out.tmp"
	say "no xz-compressed ELF kernel found in $bz" >&2
	return 1
}

host_tools

pkg=$(kernel_pkg || true)
if [ -z "$pkg" ]; then
	apt-get update >/dev/null 2>&1 || true
	pkg=$(kernel_pkg || true)
fi
stamp="$VMDIR/kernel.stamp"
if [ -z "$pkg" ]; then
	if [ -s "$stamp" ] && [ -s "$VMDIR/vmlinux" ]; then
		say "cannot resolve linux-image-amd64; using the cached $(cat "$stamp")"
		exit 0
	fi
	say "cannot resolve the package behind linux-image-amd64 (apt-get update?)" >&2
	exit 1
fi
if [ -s "$stamp" ] && [ "$(cat "$stamp")" = "$pkg ${MODULES[*]}" ] && [ -s "$VMDIR/vmlinux" ]; then
	say "kernel $pkg already unpacked in $VMDIR"
	exit 0
fi

say "downloading $pkg (not installing it)"
rm -rf "$VMDIR/deb" "$VMDIR/kroot" "$VMDIR/modules" "$VMDIR/vmlinux" "$stamp"
mkdir -p "$VMDIR/deb"
# _apt cannot write into a root-owned build tree; the download itself is still apt's.
(cd "$VMDIR/deb" && apt-get download "$pkg" 2>&1 | grep -v 'couldn.t be accessed by user' || true)
deb=$(ls "$VMDIR"/deb/"$pkg"_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || { say "apt-get download $pkg produced no .deb" >&2; exit 1; }
dpkg-deb -x "$deb" "$VMDIR/kroot"

kver=${pkg#linux-image-}
extract_vmlinux "$VMDIR/kroot/boot/vmlinuz-$kver" "$VMDIR/vmlinux"
mkdir -p "$VMDIR/modules"
for m in "${MODULES[@]}"; do
	f=$(find "$VMDIR/kroot/lib/modules/$kver" -name "$m.ko*" | head -n1)
	[ -n "$f" ] || { say "module $m not found in $pkg" >&2; exit 1; }
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$VMDIR/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$VMDIR/modules/$m.ko" ;;
	*) cp "$f" "$VMDIR/modules/$m.ko" ;;
	esac
done
printf '%s\n' "${MODULES[@]}" >"$VMDIR/modules/order"
cp "$VMDIR/kroot/boot/config-$kver" "$VMDIR/config"
# The unpacked tree (400 MB) is not needed any more; the .deb stays as the cache.
rm -rf "$VMDIR/kroot"
echo "$pkg ${MODULES[*]}" >"$stamp"
say "kernel $pkg: $(du -h "$VMDIR/vmlinux" | cut -f1) vmlinux, ${#MODULES[@]} modules"
