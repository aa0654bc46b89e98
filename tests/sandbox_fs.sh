#!/usr/bin/env bash
# Claims 1 and 2 on the sandbox backend, with real namespaces (tests/sandbox_driver):
#   1. no host-fs access beyond explicit shares: host canaries outside the shares cannot be
#      read; an ro share can be read and not written; only an rw share can be written;
#   2. no workload binary can elevate to uid 0: a setuid-root binary in a share does not
#      elevate, setuid(0) fails, every capability set is empty.
# Also the shape of the view the workload gets: read-only root, private /tmp, fresh /proc,
# minimal /dev, and a rootfs directory instead of the host's /.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sandbox/common.sh"
sandbox_preflight sandbox_fs
# Claims 1 and 2 are about the kernel's view, not about the filter: the unrestricted tier lets
# every call reach the kernel (a setuid(0) refused by the filter would prove nothing).
build_filter open unrestricted
OPEN=$FILTER

uid=1000
mkdir -p "$TMP/ro" "$TMP/rw"
echo "ro-share-content" >"$TMP/ro/file"
chmod 755 "$TMP" "$TMP/ro" && chmod 644 "$TMP/ro/file"
chmod 777 "$TMP/rw"
run() { "$DRIVER" --filter "$OPEN" --uid $uid --gid $uid --share "$TMP/ro:/share/ro:ro" --share "$TMP/rw:/share/rw:rw" "$@"; }

# ---- claim 1 ----
# Canaries the workload's uid could read on the host (0644), outside every share.
echo "canary-tmp" >"$TMP/canary" && chmod 644 "$TMP/canary"
canary_run=/run/mvm-canary-$$
{ echo "canary-run" >"$canary_run" && chmod 644 "$canary_run"; } 2>/dev/null
trap 'rm -rf "$TMP" "$canary_run" "${canary_var:-}"' EXIT
[ "$(cat "$TMP/canary")" = canary-tmp ] || fail canary_setup "cannot read my own canary"

out=$(run -- /bin/cat "$TMP/canary" 2>&1); rc=$?
t claim1_host_tmp_canary_outside_shares_is_unreadable "rc=$rc out=$out" '[ $rc -ne 0 ] && ! grep -q canary-tmp <<<"$out"'
if [ -e "$canary_run" ]; then
	out=$(run -- /bin/cat "$canary_run" 2>&1); rc=$?
	t claim1_host_run_canary_is_unreadable "rc=$rc out=$out" '[ $rc -ne 0 ] && ! grep -q canary-run <<<"$out"'
else
	skip claim1_host_run_canary_is_unreadable "uid $(id -u) cannot create a canary in /run"
fi
out=$(run -- /bin/cat /share/ro/file 2>&1); rc=$?
t claim1_ro_share_is_readable "rc=$rc out=$out" '[ $rc -eq 0 ] && [ "$out" = ro-share-content ]'
out=$(run -- /bin/sh -c 'echo x > /share/ro/new' 2>&1); rc=$?
t claim1_ro_share_write_fails "rc=$rc out=$out" '[ $rc -ne 0 ] && [ ! -e "$TMP/ro/new" ] && grep -qi "read-only" <<<"$out"'
out=$(run -- /bin/sh -c 'echo written > /share/rw/new && cat /share/rw/new' 2>&1); rc=$?
t claim1_rw_share_is_writable "rc=$rc out=$out" '[ $rc -eq 0 ] && [ "$(cat "$TMP/rw/new" 2>/dev/null)" = written ]'
for p in / /usr/mvm-x /etc/mvm-x /var/tmp/mvm-x-$$ /share/mvm-x /dev/mvm-x /proc/sys/kernel/hostname; do
	out=$(run -- /bin/sh -c "echo x > $p" 2>&1); rc=$?
	t "claim1_write_outside_rw_shares_fails:$p" "rc=$rc out=$out" '[ $rc -ne 0 ]'
done
[ ! -e "/var/tmp/mvm-x-$$" ] || fail claim1_no_host_file_created "/var/tmp/mvm-x-$$ appeared on the host"
out=$(run -- /bin/sh -c "echo private > /tmp/mvm-private-$$ && cat /tmp/mvm-private-$$" 2>&1); rc=$?
t claim1_tmp_is_private_and_writable "rc=$rc out=$out" '[ $rc -eq 0 ] && [ "$out" = private ] && [ ! -e "/tmp/mvm-private-$$" ]'
out=$(run -- /bin/ls /proc 2>&1)
t claim1_proc_shows_only_the_sandboxs_processes "$out" '[ "$(grep -cE "^[0-9]+$" <<<"$out")" -le 3 ]'
out=$(run -- /bin/ls /dev 2>&1)
want="fd full null ptmx pts random shm stderr stdin stdout tty urandom zero"
t claim1_dev_is_minimal "got: $(echo $out)" '[ "$(echo $out)" = "$want" ]'
out=$(run -- /bin/sh -c 'ls /sys | wc -l; ls /run | wc -l' 2>&1)
t claim1_sys_and_run_are_empty "got: $out" '[ "$(echo $out)" = "0 0" ]'

# A rootfs directory instead of the host's /: only what it holds is visible. Built from busybox
# and the libraries it links.
canary_var=/var/tmp/mvm-canary-$$
echo "canary-var" >"$canary_var" && chmod 644 "$canary_var"
rootfs="$TMP/rootfs"
if command -v busybox >/dev/null && command -v ldd >/dev/null; then
	mkdir -p "$rootfs/bin" "$rootfs/usr"
	cp "$(command -v busybox)" "$rootfs/bin/busybox"
	for lib in $(ldd "$(command -v busybox)" | grep -oE '/[^ ]+'); do cp --parents -L "$lib" "$rootfs/"; done
	chmod -R a+rX "$rootfs"
	out=$("$DRIVER" --filter "$OPEN" --uid $uid --gid $uid --rootfs "$rootfs" -- /bin/busybox cat "$canary_var" 2>&1); rc=$?
	t claim1_rootfs_hides_host_var_tmp_canary "rc=$rc out=$out" '[ $rc -ne 0 ] && ! grep -q canary-var <<<"$out"'
	out=$("$DRIVER" --filter "$OPEN" --uid $uid --gid $uid --rootfs "$rootfs" -- /bin/busybox ls / 2>&1); rc=$?
	t claim1_rootfs_is_the_whole_view "rc=$rc out=$(echo $out)" '[ $rc -eq 0 ] && [ "$(echo $out)" = "bin dev lib lib64 proc run sys tmp usr" ]'
	out=$("$DRIVER" --filter "$OPEN" --uid $uid --gid $uid --rootfs "$rootfs" -- /bin/busybox touch /bin/x 2>&1); rc=$?
	t claim1_rootfs_is_read_only "rc=$rc out=$out" '[ $rc -ne 0 ] && [ ! -e "$rootfs/bin/x" ]'
else
	skip claim1_rootfs "busybox or ldd is missing (tools/install-deps.sh installs busybox)"
fi
# With the host's / as the root, the rest of the host's files are visible read-only: that is
# the documented meaning of `root: ro` without a rootfs (docs/sandbox.md), checked here so
# that the documentation cannot drift.
out=$(run -- /bin/cat "$canary_var" 2>&1)
t host_root_view_exposes_world_readable_host_files_read_only "out=$out" '[ "$out" = canary-var ]'

out=$(run -- /bin/cat /proc/self/mountinfo 2>&1)
opts() { awk -v m="$1" '$5 == m { print $6 }' <<<"$out"; }
t claim1_ro_share_is_mounted_ro_nosuid_nodev "$(opts /share/ro)" '[[ "$(opts /share/ro)" == ro,nosuid,nodev* ]]'
t claim1_rw_share_is_mounted_rw_nosuid_nodev "$(opts /share/rw)" '[[ "$(opts /share/rw)" == rw,nosuid,nodev* ]]'
t claim1_root_entries_are_mounted_ro_nosuid_nodev "$(opts /usr)" '[[ "$(opts /usr)" == ro,nosuid,nodev* ]] && [[ "$(opts /)" == ro,nosuid,nodev* ]]'

# Likewise a world-connectable unix socket of a host daemon outside /run and /tmp: a read-only
# mount does not stop connect(), and path sockets ignore network namespaces (documented).
sock=/var/tmp/mvm-sock-$$
python3 -c "import os,socket,sys,time
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(); time.sleep(10)" "$sock" &
spid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
connect='import socket,sys
s=socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1]); print("connected")
except OSError as e:
    print("failed", e.errno)'
out=$(run -- /usr/bin/python3 -c "$connect" "$sock" 2>&1)
t host_root_view_reaches_world_connectable_unix_sockets "out=$out" '[ "$out" = connected ]'
if [ -d "$rootfs/bin" ]; then
	out=$("$DRIVER" --filter "$OPEN" --uid $uid --gid $uid --rootfs "$rootfs" -- /bin/busybox ls "$sock" 2>&1); rc=$?
	t claim1_rootfs_hides_host_unix_sockets "rc=$rc out=$out" '[ $rc -ne 0 ]'
fi
kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -f "$sock"

# ---- claim 2 ----
if [ "$(id -u)" -eq 0 ]; then
	cp /usr/bin/id "$TMP/ro/id-setuid" && chown 0:0 "$TMP/ro/id-setuid" && chmod 4755 "$TMP/ro/id-setuid"
	cp /usr/bin/id "$TMP/rw/id-setuid" && chown 0:0 "$TMP/rw/id-setuid" && chmod 4755 "$TMP/rw/id-setuid"
	[ "$("$TMP/ro/id-setuid" -u)" = 0 ] || fail claim2_setup "the setuid copy does not run as root on the host"
	for s in ro rw; do
		out=$(run -- "/share/$s/id-setuid" -u 2>&1); rc=$?
		t "claim2_setuid_root_binary_in_${s}_share_does_not_elevate" "rc=$rc out=$out" '[ $rc -eq 0 ] && [ "$out" = $uid ]'
	done
else
	skip claim2_setuid_binary "creating a setuid-root binary needs root"
fi
# setuid(0) fails: EPERM without CAP_SETUID; EINVAL in an unprivileged user namespace, where 0
# is not even mapped. Either way the uid stays.
out=$(run -- /usr/bin/python3 -c 'import os
try:
    os.setuid(0); print("elevated")
except OSError as e:
    print("failed", e.errno, os.getuid(), os.geteuid())' 2>&1); rc=$?
if [ "$(id -u)" -eq 0 ]; then want="failed 1 $uid $uid"; else want="failed 22 $uid $uid"; fi
t claim2_setuid0_fails "rc=$rc out=$out want=$want" '[ "$out" = "$want" ]'
out=$(run -- /bin/grep -E '^Cap(Inh|Prm|Eff|Bnd|Amb):' /proc/self/status 2>&1)
t claim2_every_capability_set_is_empty "out=$out" '[ "$(grep -c '\'':\s0000000000000000$'\'' <<<"$out")" -eq 5 ]'
out=$(run -- /bin/grep -E '^(NoNewPrivs|Uid|Gid|Groups):' /proc/self/status 2>&1)
t claim2_no_new_privs_is_set "out=$out" 'grep -qE '\''^NoNewPrivs:\s1$'\'' <<<"$out"'
t claim2_uid_and_gid_are_the_configured_ones "out=$out" 'grep -qE "^Uid:\s+1000\s+1000\s+1000\s+1000$" <<<"$out" && grep -qE "^Gid:\s+1000\s+1000\s+1000\s+1000$" <<<"$out"'
out=$("$DRIVER" --filter "$OPEN" -- /usr/bin/id -u 2>&1)
t claim2_default_uid_is_not_root "out=$out" '[ "$out" = 65534 ]'
# uid 0 inside (a profile may ask for it): still no capability, and nothing can be gained.
out=$("$DRIVER" --filter "$OPEN" --uid 0 --gid 0 -- /bin/grep -E '^Cap(Prm|Eff|Bnd)' /proc/self/status 2>&1)
t claim2_uid0_inside_has_no_capabilities "out=$out" '[ "$(grep -c '\'':\s0000000000000000$'\'' <<<"$out")" -eq 3 ]'
out=$("$DRIVER" --filter "$OPEN" --uid 0 --gid 0 -- /bin/sh -c 'echo 1 > /proc/sys/kernel/ns_last_pid' 2>&1); rc=$?
t claim2_uid0_inside_cannot_write_proc_sys "rc=$rc out=$out" '[ $rc -ne 0 ]'
finish
