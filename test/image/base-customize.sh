#!/bin/sh
# mmdebstrap customize hook for the emulator image's base (run by test/image/base.ts; $1 = the
# new root, with /proc, /sys and /dev mounted by mmdebstrap). Makes the base small and quick to
# boot under QEMU TCG:
#  - kernel modules: only what the image uses (virtio disk and network, the USB stack and
#    mass storage, ext4, FAT), which takes /usr/lib/modules from about 400 MB to about 60 MB;
#  - an initramfs with MODULES=list (virtio disk + ext4 only): 6 MiB instead of 35 MiB;
#  - no timers or gettys that would run during a test boot;
#  - fstab for the root disk (/dev/vda) and a persistent journal.
set -eu
R=$1
K=$(ls "$R/usr/lib/modules")
M="$R/usr/lib/modules/$K/kernel"

keep_only() { # keep_only DIR NAME... : removes every entry of DIR not named
	dir=$1
	shift
	for entry in "$dir"/*; do
		name=${entry##*/}
		keep=no
		for k in "$@"; do [ "$name" = "$k" ] && keep=yes; done
		[ "$keep" = yes ] || rm -rf "$entry"
	done
}
rm -rf "$M/sound" "$R/usr/lib/firmware"
keep_only "$M/drivers" virtio block scsi usb char net
keep_only "$M/drivers/net" virtio_net.ko net_failover.ko tun.ko
keep_only "$M/drivers/usb" host storage core common
keep_only "$M/drivers/scsi" sd_mod.ko scsi_mod.ko scsi_common.ko sg.ko virtio_scsi.ko
keep_only "$M/fs" ext4 jbd2 mbcache.ko fat nls
rm -rf "$M/net/wireless" "$M/net/mac80211" "$M/net/bluetooth" "$M/lib/test_bpf.ko"
chroot "$R" depmod -a "$K"

printf 'MODULES=list\nCOMPRESS=gzip\n' >"$R/etc/initramfs-tools/conf.d/sztp-image.conf"
printf 'virtio_pci\nvirtio_blk\next4\n' >>"$R/etc/initramfs-tools/modules"
chroot "$R" update-initramfs -u -k "$K"

printf '/dev/vda / ext4 rw,relatime 0 1\n' >"$R/etc/fstab"
printf 'sztp-image\n' >"$R/etc/hostname"
mkdir -p "$R/var/log/journal"
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
	getty@tty1.service serial-getty@ttyS0.service systemd-timesyncd.service; do
	ln -sf /dev/null "$R/etc/systemd/system/$unit"
done
