#!/usr/bin/env bash
# The pure cgroup v2 tier: boot Debian's stock kernel under QEMU (TCG) with the host's root
# shared read-only over virtio-9p, run the privileged suites in the guest (tests/vm/stage2.sh)
# and turn its "STATUS: N" console line into our exit status. A guest that hangs is killed
# by `timeout -k` and fails; a guest that never prints its status fails. See tests/vm/README.md.
#
# usage: tests/vm/run.sh [BUILD [VMDIR]]     (after tests/vm/fetch.sh VMDIR and the build)
# environment:
#   VM_ACCEL=tcg|kvm        accelerator (kvm on these PVM-based hosts dies in early boot)
#   VM_MEM=768              guest RAM in MiB (128 at least: below ~96 the global OOM killer
#                           fires instead of the memcg one)
#   VM_TIMEOUT=1260         seconds until the whole guest is killed
#   VM_SUITES=...           comma-separated test programs (default: the privileged suites)
#   VM_SLOWDOWN=10          CORRAL_TEST_SLOWDOWN (and CK_TIMEOUT_MULTIPLIER) in the guest
#   VM_SUITES_TIMEOUT=600   seconds for the suites together inside the guest (under
#                           VM_TIMEOUT, so that a hung suite still gets a STATUS line out)
#   VM_ROOTLESS_SUITES=...  the second pass's programs, run as uid 1000 in a cgroup delegated
#                           to it (tests/vm/rootless.sh; "none": the pass without suites)
#   VM_ROOTLESS_TIMEOUT=420 seconds for them together (their stated budget)
#   VM_EXTRA_CMDLINE=...    more kernel arguments (e.g. corral.stage2=/bin/true shows that a
#                           guest which never prints its status fails)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$(pwd)
BUILD=${1:-build}
VMDIR=${2:-$BUILD/vm}
BUILD=$(cd "$BUILD" && pwd)
VMDIR=$(cd "$VMDIR" && pwd)

VM_ACCEL=${VM_ACCEL:-tcg}
VM_MEM=${VM_MEM:-768}
VM_TIMEOUT=${VM_TIMEOUT:-1260}
VM_SUITES=${VM_SUITES:-test_ns_priv,test_run,test_limits,test_confine,test_surface,test_trees,test_cancel,test_paths,test_live,test_admin}
VM_SLOWDOWN=${VM_SLOWDOWN:-10}
VM_SUITES_TIMEOUT=${VM_SUITES_TIMEOUT:-600}
VM_ROOTLESS_SUITES=${VM_ROOTLESS_SUITES:-test_run,test_limits,test_confine,test_trees}
VM_ROOTLESS_TIMEOUT=${VM_ROOTLESS_TIMEOUT:-420}

say() { echo "check-vm: $*"; }

for f in "$VMDIR/vmlinux" "$VMDIR/modules/order" /bin/busybox; do
	[ -e "$f" ] || { say "missing $f: run make vm-fetch" >&2; exit 1; }
done
# The paths travel on the kernel command line (space-separated) and in QEMU options
# (comma-separated): neither may appear in them.
case "$REPO$BUILD" in
*[,\ ]*) say "the repository and build paths must not contain commas or spaces" >&2; exit 1 ;;
esac

# The initramfs: busybox, stage 1, the 9p modules. Rebuilt every run (it takes milliseconds).
ird=$VMDIR/initramfs
rm -rf "$ird"
mkdir -p "$ird"/{bin,dev,proc,sys,newroot,modules}
cp /bin/busybox "$ird/bin/busybox"
cp tests/vm/init "$ird/init"
chmod 0755 "$ird/init"
cp "$VMDIR"/modules/*.ko "$VMDIR/modules/order" "$ird/modules/"
(cd "$ird" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$VMDIR/initramfs.cpio.gz"

log=$VMDIR/console.log
: >"$log"
cmdline="console=ttyS0 panic=-1 loglevel=4"
cmdline+=" corral.stage2=$REPO/tests/vm/stage2.sh corral.repo=$REPO corral.build=$BUILD"
cmdline+=" corral.suites=$VM_SUITES corral.slowdown=$VM_SLOWDOWN"
cmdline+=" corral.suites_timeout=$VM_SUITES_TIMEOUT"
cmdline+=" corral.rootless_suites=${VM_ROOTLESS_SUITES/#none/} corral.rootless_timeout=$VM_ROOTLESS_TIMEOUT"
cmdline+=" ${VM_EXTRA_CMDLINE:-}"

say "booting $(cat "$VMDIR/kernel.stamp") under QEMU ($VM_ACCEL, 1 vCPU, ${VM_MEM} MiB)," \
	"killed after ${VM_TIMEOUT}s; console: $log"
t0=$(date +%s)
set +e
# One vCPU: fork-heavy work under TCG with -smp 2 is ~100x slower than native, not ~20x.
# -M pc, not microvm (which hung in TSC calibration on a busy host). The ELF vmlinux boots
# through PVH, skipping the bzImage's decompressor.
timeout -k 10 "$VM_TIMEOUT" qemu-system-x86_64 \
	-accel "$VM_ACCEL" -cpu max -M pc -smp 1 -m "$VM_MEM" \
	-nodefaults -display none -no-reboot \
	-serial "file:$log" \
	-kernel "$VMDIR/vmlinux" -initrd "$VMDIR/initramfs.cpio.gz" -append "$cmdline" \
	-fsdev local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot &
qemu=$!
# Show the console as it comes (the suites take minutes).
tail -n +1 -f --pid=$qemu "$log" | grep -a --line-buffered -v '^\[ *[0-9.]*\] ' &
follower=$!
wait $qemu
rc=$?
wait $follower 2>/dev/null
set -e
elapsed=$(($(date +%s) - t0))

status=$(grep -a -o '^STATUS: [0-9]*' "$log" | tail -n1 | cut -d' ' -f2 || true)
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	say "FAIL: the guest did not finish within ${VM_TIMEOUT}s and was killed; console tail:"
	tail -n 40 "$log" | sed 's/^/    /'
	exit 1
fi
if [ -z "$status" ]; then
	say "FAIL: the guest never printed its status (QEMU exited $rc after ${elapsed}s); console tail:"
	tail -n 40 "$log" | sed 's/^/    /'
	exit 1
fi
if [ "$status" -ne 0 ]; then
	say "FAIL: $status step(s) failed in the guest (${elapsed}s); full console: $log"
	exit 1
fi
say "pure cgroup v2 guest: all steps passed in ${elapsed}s"
