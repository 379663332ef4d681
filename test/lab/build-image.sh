#!/usr/bin/env bash
# Build the lab's base VM image from Debian packages only:
#   $LAB_DIR/image/{disk.img,vmlinuz,initrd.img,kver,recipe}
# Cached by a recipe hash (scripts + package list + mirror + lab SSH key): a re-run
# with nothing changed returns in about a second. Set LAB_FORCE_BUILD=1 to rebuild.
set -euo pipefail
source "$(dirname "$0")/common.sh"

# Guest packages. docker.io: database hosts run containers; python3-apt: Ansible's apt module.
PACKAGES=(
  linux-image-amd64 busybox-static
  lvm2 thin-provisioning-tools open-iscsi targetcli-fb python3-rtslib-fb drbd-utils
  openssh-server iproute2 kmod udev e2fsprogs xfsprogs rsync procps arping
  python3 python3-apt dbus docker.io iptables quota
)
IMAGE_SIZE="${LAB_IMAGE_SIZE:-4G}"   # sparse; the filled part is ~1 GiB

# The Debian mirror comes from this machine's apt configuration (deb822 first, then
# one-line format): never a host name written in this repo.
debian_mirror() {
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$LAB_SUITE" 'BEGIN{RS="";FS="\n"} {
        u=""; ok=0
        for(i=1;i<=NF;i++){ if($i ~ /^URIs:/){sub(/^URIs:[ \t]*/,"",$i); split($i,a,/[ \t]+/); u=a[1]}
          if($i ~ /^Suites:/){ n=split($i,s,/[ \t]+/); for(j=2;j<=n;j++) if(s[j]==suite) ok=1 } }
        if(ok && u!=""){print u; exit} }' "$f")
    [[ -n $uri ]] && { echo "$uri"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    uri=$(awk -v suite="$LAB_SUITE" '$1=="deb" { i=2; if($2 ~ /^\[/){ while($i !~ /\]$/) i++; i++ }
          if($(i+1)==suite){print $i; exit} }' "$f")
    [[ -n $uri ]] && { echo "$uri"; return; }
  done
  return 1
}

need_host_pkgs debootstrap busybox-static cpio e2fsprogs openssh-client kmod rsync
MIRROR=$(debian_mirror) || die "no $LAB_SUITE entry in /etc/apt/sources.list{,.d}"

mkdir -p "$LAB_DIR/ssh" "$LAB_IMAGE_DIR" "$LAB_DIR/build"
# One lab key pair, generated once; its public half is baked into the image.
if [[ ! -f $LAB_KEY ]]; then
  ssh-keygen -q -t ed25519 -N '' -C dbaas-lab -f "$LAB_KEY"
  log "generated lab SSH key $LAB_KEY"
fi

pkg_hash=$( { echo "rootfs-v1 $LAB_SUITE $MIRROR"; printf '%s\n' "${PACKAGES[@]}"; } | sha256sum | cut -c1-16)
recipe=$( { echo "$pkg_hash"; cat "$0" "$LAB_SRC/common.sh" "$LAB_SRC"/guest/* "$LAB_KEY.pub"; } | sha256sum | cut -c1-16)
if [[ -z ${LAB_FORCE_BUILD:-} && -f $LAB_IMAGE_DIR/recipe && $(cat "$LAB_IMAGE_DIR/recipe") == "$recipe" \
      && -f $LAB_IMAGE_DIR/disk.img && -f $LAB_IMAGE_DIR/vmlinuz && -f $LAB_IMAGE_DIR/initrd.img ]]; then
  log "image up to date (recipe $recipe): $LAB_IMAGE_DIR"
  exit 0
fi
log "building image, recipe $recipe (packages $pkg_hash), mirror from apt config"

# Stage 1: debootstrap, cached separately by package list (the slow part, ~2-4 min).
base="$LAB_DIR/build/rootfs-$pkg_hash"
if [[ ! -f $base/.complete ]]; then
  rm -rf "$base" "$base.tmp"
  log "debootstrap --variant=minbase $LAB_SUITE (${#PACKAGES[@]} extra packages)"
  t=${EPOCHREALTIME/./}
  nice -n 19 debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    "$LAB_SUITE" "$base.tmp" "$MIRROR" > "$LAB_DIR/build/debootstrap.log" 2>&1 \
    || die "debootstrap failed, see $LAB_DIR/build/debootstrap.log"
  mv "$base.tmp" "$base" && touch "$base/.complete"
  log "debootstrap done in $(elapsed_since "$t")s"
  # Drop older package-list caches.
  find "$LAB_DIR/build" -maxdepth 1 -name 'rootfs-*' ! -name "rootfs-$pkg_hash" -exec rm -rf {} +
fi

# Stage 2: a working copy that we trim and configure.
root="$LAB_DIR/build/rootfs-work"
log "preparing rootfs copy"
nice -n 19 rsync -aHAX --delete --exclude=/.complete "$base/" "$root/"

kver=$(find "$root/lib/modules/" -mindepth 1 -maxdepth 1 -printf "%f\n" | sort -V | tail -1)
[[ -n $kver && -f $root/boot/vmlinuz-$kver ]] || die "no kernel in rootfs"
cp "$root/boot/vmlinuz-$kver" "$LAB_IMAGE_DIR/vmlinuz.new"

# Trim what a headless VM never uses (keeps the image and per-VM copies small).
rm -rf "${root:?}"/boot/* "$root"/usr/share/{doc,man,info,locale}/* "$root"/var/cache/apt/*.bin \
       "$root"/var/lib/apt/lists/* "$root"/usr/lib/firmware
for d in drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging \
         drivers/bluetooth drivers/iio drivers/isdn drivers/input/touchscreen drivers/hid \
         drivers/usb drivers/net/ethernet sound net/wireless net/mac80211 net/bluetooth; do
  rm -rf "$root/lib/modules/$kver/kernel/$d"
done
depmod -b "$root" "$kver"

# Guest configuration.
install -m 0755 "$LAB_SRC/guest/lab-init" "$root/sbin/lab-init"
install -m 0755 "$LAB_SRC/guest/lab-shutdown" "$root/sbin/lab-shutdown"
install -m 0644 "$LAB_SRC/guest/inittab" "$root/etc/inittab"
ln -sf /bin/busybox "$root/sbin/init"
for c in poweroff reboot halt; do ln -sf /bin/busybox "$root/sbin/$c"; done
mkdir -p "$root/etc/lab/rc.d" "$root/root/.ssh" "$root/etc/modules-load.d" "$root/etc/sysctl.d"
install -m 0600 "$LAB_KEY.pub" "$root/root/.ssh/authorized_keys"
chmod 0700 "$root/root/.ssh"
# Per-VM identities are generated at first boot, not shared through the image.
rm -f "$root"/etc/ssh/ssh_host_* "$root/etc/iscsi/initiatorname.iscsi" "$root/var/lib/dbus/machine-id"
: > "$root/etc/machine-id"
cat > "$root/etc/ssh/sshd_config.d/lab.conf" <<'CONF'
PermitRootLogin prohibit-password
PasswordAuthentication no
UseDNS no
CONF
cat > "$root/etc/fstab" <<'CONF'
/dev/vda / ext4 rw,errors=remount-ro 0 1
CONF
# iSCSI sessions are opened explicitly by the tests/agents, never automatically.
sed -i 's/^node.startup = .*/node.startup = manual/' "$root/etc/iscsi/iscsid.conf"
echo 'root:*' | chroot "$root" chpasswd -e

# Small initramfs: busybox + the virtio/ext4 modules (with dependencies, in order).
ird="$LAB_DIR/build/initramfs"
rm -rf "$ird" && mkdir -p "$ird"/{bin,dev,proc,sys,newroot,lib/modules}
cp /bin/busybox "$ird/bin/busybox"
install -m 0755 "$LAB_SRC/guest/initramfs-init" "$ird/init"
: > "$ird/modules.order"
for m in virtio_pci virtio_blk ext4; do
  modprobe -d "$base" -S "$kver" --show-depends "$m" | awk '$1=="insmod"{print $2}'
done | awk '!seen[$0]++' | while read -r path; do
  rel=${path#"$base/lib/modules/"}
  mkdir -p "$ird/lib/modules/$(dirname "$rel")"
  cp "$path" "$ird/lib/modules/$rel"
  echo "$rel" >> "$ird/modules.order"
done
grep -q . "$ird/modules.order" || die "no initramfs modules found"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) > "$LAB_IMAGE_DIR/initrd.img.new"
log "initramfs: $(wc -l < "$ird/modules.order") modules, $(du -k "$LAB_IMAGE_DIR/initrd.img.new" | cut -f1) KiB"

# Root disk straight from the directory: no loop mount needed.
rm -f "$LAB_IMAGE_DIR/disk.img.new"
t=${EPOCHREALTIME/./}
nice -n 19 mkfs.ext4 -q -F -L labroot -d "$root" "$LAB_IMAGE_DIR/disk.img.new" "$IMAGE_SIZE" >/dev/null
log "mkfs.ext4 -d done in $(elapsed_since "$t")s ($(du -h "$LAB_IMAGE_DIR/disk.img.new" | cut -f1) used of $IMAGE_SIZE)"

for f in disk.img vmlinuz initrd.img; do mv "$LAB_IMAGE_DIR/$f.new" "$LAB_IMAGE_DIR/$f"; done
echo "$kver" > "$LAB_IMAGE_DIR/kver"
echo "$recipe" > "$LAB_IMAGE_DIR/recipe"
rm -rf "$root" "$ird"
log "image ready: $LAB_IMAGE_DIR (kernel $kver)"
