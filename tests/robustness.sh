#!/usr/bin/env bash
# Bad inputs, class by class (docs/robustness.md): each gets a clear message, a defined exit code
# and no output (no directory, no temporary file, a previous output left as it was). The
# decoders' library-level behaviour for the same classes is in tests/test_robustness.c.
. "$(dirname "$0")/lib.sh"
MVMC=$(realpath "$MVMC")
REPO=$PWD
W=$TMP/w
mkdir -p "$W"
cd "$W" || exit 1
GOOD=$REPO/profiles/python-runner.yaml

# NAME EXIT PATTERN -- COMMAND...: the exit code, a message matching PATTERN on stderr, and
# nothing left in $W/out* or as a temporary file.
expect() {
	local name=$1 code=$2 pattern=$3
	shift 4
	"$@" >"$TMP/$name.stdout" 2>"$TMP/$name.err"
	local rc=$?
	if [ "$rc" -ne "$code" ]; then
		fail "$name" "exit $rc, expected $code: $(head -c 600 "$TMP/$name.err")"
	elif ! grep -qE -- "$pattern" "$TMP/$name.err"; then
		fail "$name" "message does not match /$pattern/: $(head -c 600 "$TMP/$name.err")"
	elif compgen -G "$W/out*" >/dev/null || compgen -G "$W/.*.tmp.*" >/dev/null || compgen -G "$W/*.tmp.*" >/dev/null; then
		fail "$name" "output left behind: $(ls -a "$W" | grep -E 'out|tmp' | tr '\n' ' ')"
	else
		ok "$name"
	fi
	rm -rf "$W"/out* "$W"/.*.tmp.* "$W"/*.tmp.* 2>/dev/null
}
build() { "$MVMC" build "$1" -o "$W/out"; }
import() { "$MVMC" import oci "$1" -o "$W/out.yaml"; }

# ---- empty file ----
: >empty.yaml
: >empty.mvm
: >empty.json
: >empty.bpf
expect empty_yaml_profile_exits_1 1 'empty.yaml:1:1: error: empty file' -- build empty.yaml
expect empty_dsl_profile_exits_1 1 "empty.mvm:1:1: error: missing 'mvm 1;'" -- build empty.mvm
expect empty_oci_json_import_exits_1 1 'empty.json:1:0: error: .* expected near end of file' -- import empty.json
expect empty_bpf_disasm_exits_1 1 'not a struct sock_filter array \(0 bytes' -- "$MVMC" disasm empty.bpf

# ---- binary garbage (fixed bytes: the same run every time) ----
for f in garbage.yaml garbage.mvm garbage.json; do
	printf '\x7fELF\x02\x01\x01\x00\xff\xfe\x00\x9d\x80garbage\x01\x02' >"$f"
done
head -c 20 garbage.json >garbage.bpf
expect garbage_yaml_profile_exits_1 1 'garbage.yaml:1:1: error: control character U\+007F is not allowed' -- build garbage.yaml
expect garbage_dsl_profile_exits_1 1 'garbage.mvm:1:1: error: character U\+007F is not allowed' -- build garbage.mvm
expect garbage_oci_json_import_exits_1 1 'garbage.json:1:[0-9]+: error:' -- import garbage.json
expect garbage_bpf_disasm_exits_1 1 'not a struct sock_filter array \(20 bytes' -- "$MVMC" disasm garbage.bpf

# ---- invalid UTF-8: a lone byte, an overlong form, a surrogate; and an escape making one ----
printf 'mvm: 1\nname: "caf\xe9"\n' >latin1.yaml
printf 'mvm 1;\nprofile caf\xe9 { }\n' >latin1.mvm
printf 'mvm: 1\nname: "a\xc0\xafb"\n' >overlong.yaml
printf 'mvm 1;\n# \xc0\xaf\nprofile x { }\n' >overlong.mvm
printf 'mvm 1;\n# \xed\xa0\x80\nprofile x { }\n' >surrogate.mvm
printf 'mvm 1;\nprofile x { tools allow "py\\xff"; }\n' >escape.mvm
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["caf\xe9"],"action":"SCMP_ACT_ALLOW"}]}' >latin1.json
expect invalid_utf8_yaml_exits_1 1 'latin1.yaml:2:[0-9]+: error: invalid UTF-8' -- build latin1.yaml
expect invalid_utf8_dsl_exits_1 1 'latin1.mvm:2:12: error: invalid UTF-8' -- build latin1.mvm
expect overlong_utf8_yaml_exits_1 1 'overlong.yaml:2:9: error: invalid UTF-8' -- build overlong.yaml
expect overlong_utf8_dsl_exits_1 1 'overlong.mvm:2:3: error: invalid UTF-8' -- build overlong.mvm
expect surrogate_utf8_dsl_exits_1 1 'surrogate.mvm:2:3: error: invalid UTF-8' -- build surrogate.mvm
expect dsl_escape_making_invalid_utf8_exits_1 1 'escape.mvm:2:25: error: the string is not valid UTF-8' -- build escape.mvm
expect invalid_utf8_oci_json_import_exits_1 1 'latin1.json:1:[0-9]+: error: unable to decode byte 0xe9' -- import latin1.json
# control characters: refused by both front ends, so that `mvmc fmt` can carry every comment over
printf 'mvm: 1\n# a \x01 b\nname: x\n' >control.yaml
printf 'mvm 1;\n# a \x01 b\nprofile x { }\n' >control.mvm
printf 'mvm 1;\n# a \r b\nprofile x { }\n' >lone-cr.mvm
expect control_character_yaml_exits_1 1 'control.yaml:2:5: error: control character U\+0001 is not allowed' -- build control.yaml
expect control_character_dsl_exits_1 1 'control.mvm:2:5: error: character U\+0001 is not allowed' -- build control.mvm
expect lone_carriage_return_dsl_exits_1 1 'lone-cr.mvm:2:5: error: a carriage return not followed by a line feed' -- build lone-cr.mvm

# ---- a 100 MB file (sparse: no disk used) ----
for f in big.yaml big.mvm big.json big.bpf; do truncate -s 100M "$f"; done
expect huge_yaml_profile_exits_1 1 'big.yaml: error: cannot read profile: file is larger than 1 MiB' -- build big.yaml
expect huge_dsl_profile_exits_1 1 'big.mvm: error: cannot read profile: file is larger than 1 MiB' -- build big.mvm
expect huge_oci_json_import_exits_1 1 'big.json: cannot read: file is larger than 4 MiB' -- import big.json
expect huge_bpf_disasm_exits_1 1 'big.bpf: larger than 4096 instructions' -- "$MVMC" disasm big.bpf
expect huge_profile_through_fmt_exits_1 1 'big.yaml: cannot read: file is larger than 1 MiB' -- "$MVMC" fmt --check big.yaml
mkdir -p huge-include
printf 'mvm 1;\ninclude "lib.mvm";\nprofile x { }\n' >huge-include/p.mvm
truncate -s 100M huge-include/lib.mvm
expect huge_include_exits_1 1 "p.mvm:2:9: error: cannot read include 'lib.mvm': file is larger than 1 MiB" -- build huge-include/p.mvm
rm -f big.* huge-include/lib.mvm

# ---- nesting 10,000 deep ----
python3 -c "print('mvm: 1\nname: ' + '[' * 10000 + ']' * 10000)" >deep-seq.yaml
python3 -c "print('mvm: 1\nname: ' + '{a: ' * 10000 + '1' + '}' * 10000)" >deep-map.yaml
python3 -c "print('mvm 1;\nconst A = ' + '(' * 10000 + '1' + ')' * 10000 + ';')" >deep-parens.mvm
python3 -c "print('mvm 1;\nprofile x {' + ' seccomp {' * 10000 + '}' * 10000 + '}')" >deep-blocks.mvm
python3 -c "print('[' * 10000 + ']' * 10000)" >deep.json
expect deep_yaml_sequence_exits_1 1 'deep-seq.yaml:2:[0-9]+: error: nesting deeper than 32 levels' -- build deep-seq.yaml
expect deep_yaml_mapping_exits_1 1 'deep-map.yaml:2:[0-9]+: error: nesting deeper than 32 levels' -- build deep-map.yaml
expect deep_dsl_parentheses_exit_1 1 "deep-parens.mvm:2:11: error: unexpected '\('" -- build deep-parens.mvm
expect deep_dsl_blocks_exit_1 1 "deep-blocks.mvm:2:23: error: unexpected 'seccomp'" -- build deep-blocks.mvm
expect deep_oci_json_import_exits_1 1 'deep.json:1:[0-9]+: error: maximum parsing depth reached' -- import deep.json

# ---- YAML alias bomb ("billion laughs": 9^10 strings if expanded) ----
python3 - >bomb.yaml <<'EOF'
print('mvm: 1')
print('a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]')
for i in range(1, 10):
    print('a%d: &a%d [%s]' % (i, i, ', '.join(['*a%d' % (i - 1)] * 9)))
EOF
expect yaml_alias_bomb_exits_1_at_once 1 'bomb.yaml:2:[0-9]+: error: YAML anchors are not allowed' -- timeout 10 "$MVMC" build bomb.yaml -o "$W/out"
printf 'mvm: 1\nname: *x\n' >alias.yaml
expect yaml_alias_exits_1 1 'alias.yaml:2:7: error: YAML aliases are not allowed' -- build alias.yaml

# ---- duplicate keys ----
printf 'mvm: 1\nname: a\nname: b\n' >dup.yaml
printf 'mvm: 1\nprocess: {uid: 1, uid: 0}\n' >dup-nested.yaml
printf 'mvm 1;\nprofile a { intent code:execute; intent vm:run; }\n' >dup.mvm
printf 'mvm 1;\nprofile a { audit labels team = "a", team = "b"; }\n' >dup-label.mvm
printf '{"defaultAction":"SCMP_ACT_ERRNO","defaultAction":"SCMP_ACT_ALLOW"}' >dup.json
expect duplicate_yaml_key_exits_1 1 "dup.yaml:3:1: error: duplicate key 'name' \(first at line 2\)" -- build dup.yaml
expect duplicate_nested_yaml_key_exits_1 1 "dup-nested.yaml:2:19: error: duplicate key 'uid'" -- build dup-nested.yaml
expect duplicate_dsl_statement_exits_1 1 "dup.mvm:2:34: error: duplicate 'intent' \(first at line 2\)" -- build dup.mvm
expect duplicate_dsl_label_exits_1 1 "dup-label.mvm:2:[0-9]+: error: .*label 'team'" -- build dup-label.mvm
expect duplicate_oci_json_key_exits_1 1 'dup.json:1:[0-9]+: error: duplicate object key' -- import dup.json

# ---- integer overflow: constants, ports, uids, errno, durations ----
yaml_rule() { printf 'mvm: 1\nextends: standard\nseccomp:\n  rules:\n    - action: allow\n      syscalls: [lseek]\n      when: [{arg: offset, eq: %s}]\n' "$1"; }
printf 'mvm: 1\nconstants: {BIG: 18446744073709551616}\n' >const.yaml
printf 'mvm 1;\nconst BIG = 18446744073709551616;\nprofile x { }\n' >const.mvm
printf 'mvm 1;\nconst BIG = 0xffffffffffffffff | 0x1_0000_0000_0000_0000;\nprofile x { }\n' >const-hex.mvm
yaml_rule 0x10000000000000000 >value.yaml
yaml_rule -9223372036854775809 >negative.yaml
printf 'mvm: 1\nextends: network\nnetwork:\n  egress:\n    default: deny\n    allow: [{cidr: 192.0.2.0/24, proto: tcp, ports: [65536]}]\n' >port.yaml
printf 'mvm: 1\nextends: network\nnetwork:\n  egress:\n    default: deny\n    allow: [{cidr: 192.0.2.0/24, proto: tcp, ports: ["1-18446744073709551617"]}]\n' >port-range.yaml
printf 'mvm 1;\nprofile x extends tier network { egress default deny { allow tcp 192.0.2.1 port 65536; } }\n' >port.mvm
printf 'mvm: 1\nprocess: {uid: 4294967296}\n' >uid.yaml
printf 'mvm: 1\nprocess: {gid: -1}\n' >gid.yaml
printf 'mvm 1;\nprofile x { process { uid 18446744073709551616; } }\n' >uid.mvm
printf 'mvm: 1\nseccomp: {default: errno(4096)}\n' >errno.yaml
printf 'mvm 1;\nprofile x { seccomp default errno(18446744073709551617) { } }\n' >errno.mvm
printf 'mvm: 1\nadmission: {valid-for: 99999999999999999999d}\n' >duration.yaml
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551616,"op":"SCMP_CMP_EQ"}]}]}' >value.json
printf '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":4096}' >errno.json
expect constant_over_64_bits_yaml_exits_1 1 "const.yaml:2:[0-9]+: error: value '18446744073709551616' does not fit in 64 bits" -- build const.yaml
expect constant_over_64_bits_dsl_exits_1 1 "const.mvm:2:13: error: value '18446744073709551616' does not fit in 64 bits" -- build const.mvm
expect constant_hex_over_64_bits_dsl_exits_1 1 "const-hex.mvm:2:[0-9]+: error: .*does not fit in 64 bits" -- build const-hex.mvm
expect condition_value_over_64_bits_exits_1 1 "value.yaml:7:[0-9]+: error: value '0x10000000000000000' does not fit in 64 bits" -- build value.yaml
expect negative_condition_value_exits_1 1 "negative.yaml:7:[0-9]+: error: .*-9223372036854775809" -- build negative.yaml
expect port_over_65535_yaml_exits_1 1 "port.yaml:6:[0-9]+: error: port: '65536' is out of range 1..65535" -- build port.yaml
expect port_range_overflow_yaml_exits_1 1 "port-range.yaml:6:[0-9]+: error: port: bad range" -- build port-range.yaml
expect port_over_65535_dsl_exits_1 1 "port.mvm:2:[0-9]+: error: port: '65536' is out of range 1..65535" -- build port.mvm
expect uid_over_32_bits_yaml_exits_1 1 'uid.yaml:2:[0-9]+: error: process.uid: 4294967296 is out of range' -- build uid.yaml
expect negative_gid_yaml_exits_1 1 'gid.yaml:2:[0-9]+: error: process.gid: -1 is out of range' -- build gid.yaml
expect uid_over_64_bits_dsl_exits_1 1 'uid.mvm:2:[0-9]+: error: .*18446744073709551616' -- build uid.mvm
expect errno_over_4095_yaml_exits_1 1 "errno.yaml:2:[0-9]+: error: seccomp.default: 'errno\(4096\)': errno value must be an integer in 1..4095" -- build errno.yaml
expect errno_over_64_bits_dsl_exits_1 1 "errno.mvm:2:[0-9]+: error: 'errno\(18446744073709551617\)': errno value must be" -- build errno.mvm
expect duration_overflow_exits_1 1 "duration.yaml:2:[0-9]+: error: admission.valid-for: '99999999999999999999d'" -- build duration.yaml
expect oci_value_over_64_bits_exits_1 1 'value.json:1:[0-9]+: error: too big integer' -- import value.json
expect oci_errno_over_4095_exits_1 1 'errno.json: error: defaultAction: errnoRet must be an integer in 1..4095' -- import errno.json

# ---- NUL in a name ----
printf 'mvm: 1\nname: "a\\0b"\n' >nul-escape.yaml
printf 'mvm: 1\nextends: standard\nseccomp:\n  rules:\n    - allow: ["read\\0write"]\n' >nul-syscall.yaml
printf 'mvm: 1\nname: a\0b\n' >nul-raw.yaml
printf 'mvm 1;\nprofile "a\\x00b" { }\n' >nul-escape.mvm
printf 'mvm 1;\nprofile a\0b { }\n' >nul-raw.mvm
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["re\\u0000ad"],"action":"SCMP_ACT_ALLOW"}]}' >nul.json
expect nul_escape_in_yaml_name_exits_1 1 'nul-escape.yaml:2:7: error: NUL byte in a string' -- build nul-escape.yaml
expect nul_escape_in_yaml_syscall_exits_1 1 'nul-syscall.yaml:5:[0-9]+: error: NUL byte in a string' -- build nul-syscall.yaml
expect raw_nul_in_yaml_exits_1 1 'nul-raw.yaml:2:[0-9]+: error: NUL byte in input' -- build nul-raw.yaml
expect nul_escape_in_dsl_name_exits_1 1 'nul-escape.mvm:2:11: error: bad escape: \\x00 would put a NUL byte' -- build nul-escape.mvm
expect raw_nul_in_dsl_exits_1 1 'nul-raw.mvm:2:10: error: NUL byte in input' -- build nul-raw.mvm
expect nul_in_oci_syscall_name_exits_1 1 'nul.json:1:[0-9]+: error: \\u0000 is not allowed' -- import nul.json
# a newline in an OCI syscall name must not write YAML into the imported profile
printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read","x\\nprocess: {uid: 0}\\n#"],"action":"SCMP_ACT_ALLOW"}]}' >inject.json
if "$MVMC" import oci inject.json -o "$W/inject.yaml" 2>"$TMP/inject.err" && ! grep -q '^process:' "$W/inject.yaml" &&
	grep -q 'x\\x0aprocess' "$W/inject.yaml"; then
	ok newline_in_oci_name_stays_in_its_comment
else
	fail newline_in_oci_name_stays_in_its_comment "$(cat "$TMP/inject.err" "$W/inject.yaml" 2>/dev/null | head -20)"
fi
rm -f "$W/inject.yaml"

# ---- path traversal: includes, shares, rootfs ----
mkdir -p tree/lib
printf 'mvm 1;\nconst A = 1;\n' >tree/lib/ok.mvm
ln -sfn /etc tree/lib/etc
printf 'mvm 1;\ninclude "../../../../../etc/passwd";\nprofile x { }\n' >tree/dotdot.mvm
printf 'mvm 1;\ninclude "/etc/passwd";\nprofile x { }\n' >tree/absolute.mvm
printf 'mvm: 1\ninclude: [lib/../../outside.yaml]\n' >tree/dotdot.yaml
printf 'mvm 1;\ninclude "lib/etc/passwd";\nprofile x { }\n' >tree/symlink.mvm
printf 'mvm 1;\ninclude "lib/ok.mvm";\nprofile x { }\n' >tree/inside.mvm
printf 'mvm 1;\nprofile x { filesystem { share "/srv/../etc" -> "/data" ro; } }\n' >share-host.mvm
printf 'mvm 1;\nprofile x { filesystem { share "/srv/data" -> "/data/../../etc" rw; } }\n' >share-guest.mvm
printf 'mvm: 1\nfilesystem: {shares: [{host: /srv/data/.., guest: /data}]}\n' >share-host.yaml
printf 'mvm: 1\nfilesystem: {shares: [{host: /srv/data, guest: "/../etc"}]}\n' >share-guest.yaml
printf 'mvm: 1\nfilesystem: {rootfs: "/srv/rootfs/../../"}\n' >rootfs.yaml
expect include_with_dotdot_exits_1 1 "dotdot.mvm:2:9: error: include '../../../../../etc/passwd' leaves the profile's directory" -- build tree/dotdot.mvm
expect absolute_include_exits_1 1 "absolute.mvm:2:9: error: include '/etc/passwd' leaves the profile's directory" -- build tree/absolute.mvm
expect yaml_include_with_dotdot_exits_1 1 "dotdot.yaml:2:[0-9]+: error: include 'lib/../../outside.yaml' leaves" -- build tree/dotdot.yaml
expect include_through_symlink_out_exits_1 1 "symlink.mvm:2:9: error: include 'lib/etc/passwd' leaves the profile's directory \(a symbolic link" -- build tree/symlink.mvm
if "$MVMC" build tree/inside.mvm -o "$W/out" 2>"$TMP/inside.err"; then ok include_inside_the_tree_is_read; else fail include_inside_the_tree_is_read "$(cat "$TMP/inside.err")"; fi
rm -rf "$W/out"
expect share_host_with_dotdot_dsl_exits_1 1 "share-host.mvm:2:[0-9]+: error: share host: '/srv/../etc' must not contain '..'" -- build share-host.mvm
expect share_guest_with_dotdot_dsl_exits_1 1 "share-guest.mvm:2:[0-9]+: error: share guest: '/data/../../etc' must not contain '..'" -- build share-guest.mvm
expect share_host_with_dotdot_yaml_exits_1 1 "share-host.yaml:2:[0-9]+: error: share.host: '/srv/data/..' must not contain '..'" -- build share-host.yaml
expect share_guest_with_dotdot_yaml_exits_1 1 "share-guest.yaml:2:[0-9]+: error: share.guest: '/../etc' must not contain '..'" -- build share-guest.yaml
expect rootfs_with_dotdot_exits_1 1 "rootfs.yaml:2:[0-9]+: error: filesystem.rootfs: '/srv/rootfs/../../' must not contain '..'" -- build rootfs.yaml

# ---- the output directory is (or becomes) a symbolic link ----
mkdir -p victim && echo precious >victim/keep.txt
ln -sfn "$W/victim" "$W/link-out"
expect output_symlink_exits_3 3 'link-out is a symbolic link; refusing to write through it' -- "$MVMC" build "$GOOD" -o "$W/link-out"
[ "$(ls victim)" = keep.txt ] && ok output_symlink_target_untouched || fail output_symlink_target_untouched "$(ls victim)"
ln -sfn "$W/nowhere" "$W/dangling"
expect dangling_output_symlink_exits_3 3 'dangling is a symbolic link' -- "$MVMC" build "$GOOD" -o "$W/dangling"
[ ! -e "$W/nowhere" ] && ok dangling_output_symlink_creates_nothing || fail dangling_output_symlink_creates_nothing "nowhere exists"
rm -f "$W/link-out" "$W/dangling"
# The race: the directory is swapped for a symlink after mvmc checked it and before it moves
# the new output into place (an LD_PRELOAD shim does the swap inside renameat2). The files the
# link points to must survive; the new output lands as a real directory.
CC=${CC:-cc}
if "$CC" -shared -fPIC -o "$TMP/swap.so" "$REPO/tests/robustness_swap.c" -ldl 2>"$TMP/swap.cc"; then
	"$MVMC" build "$GOOD" -o "$W/race" 2>/dev/null
	MVM_SWAP_TARGET="$W/race" MVM_SWAP_LINK_TO="$W/victim" LD_PRELOAD="$TMP/swap.so" \
		ASAN_OPTIONS=verify_asan_link_order=0 "$MVMC" build "$GOOD" -o "$W/race" 2>"$TMP/race.err"
	rc=$?
	if [ ! -e "$W/race.moved" ]; then
		fail output_swapped_for_symlink_deletes_nothing "the shim did not swap the directory: $(cat "$TMP/race.err")"
	elif [ "$(cat victim/keep.txt 2>/dev/null)" != precious ]; then
		fail output_swapped_for_symlink_deletes_nothing "files behind the link were removed (exit $rc)"
	elif [ -L "$W/race" ] || ! [ -s "$W/race/plan.json" ] || compgen -G "$W/.race.tmp.*" >/dev/null; then
		fail output_swapped_for_symlink_deletes_nothing "exit $rc; $(ls -la "$W" | grep race)"
	else
		ok output_swapped_for_symlink_deletes_nothing
	fi
	rm -rf "$W/race" "$W/race.moved"
else
	fail output_swapped_for_symlink_deletes_nothing "cannot build the shim: $(cat "$TMP/swap.cc")"
fi

# ---- a read-only or full output disk (a tmpfs of our own; needs root) ----
if [ "$(id -u)" -eq 0 ] && mkdir -p "$TMP/mnt" && mount -t tmpfs -o size=64k,mode=0755 mvm-test "$TMP/mnt" 2>/dev/null; then
	# a first build fits; then a file fills the disk and the next build cannot write
	"$MVMC" build "$GOOD" -o "$TMP/mnt/out" 2>/dev/null
	before=$(cd "$TMP/mnt/out" 2>/dev/null && sha256sum * | sha256sum)
	head -c 1M /dev/zero >"$TMP/mnt/filler" 2>/dev/null
	"$MVMC" build "$REPO/profiles/web-research.yaml" -o "$TMP/mnt/out" 2>"$TMP/full.err"
	rc=$?
	after=$(cd "$TMP/mnt/out" 2>/dev/null && sha256sum * | sha256sum)
	if [ $rc -eq 3 ] && grep -q 'No space left on device' "$TMP/full.err" && [ -n "$before" ] && [ "$before" = "$after" ] &&
		! compgen -G "$TMP/mnt/.out.tmp.*" >/dev/null; then
		ok full_output_disk_exits_3_and_keeps_previous_output
	else
		fail full_output_disk_exits_3_and_keeps_previous_output "exit $rc, $(cat "$TMP/full.err"); $(ls -a "$TMP/mnt")"
	fi
	printf '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}' >small.json
	"$MVMC" import oci small.json -o "$TMP/mnt/imported.yaml" 2>"$TMP/full-import.err"
	rc=$?
	if [ $rc -eq 3 ] && [ ! -e "$TMP/mnt/imported.yaml" ] && ! compgen -G "$TMP/mnt/imported.yaml.tmp.*" >/dev/null; then
		ok full_output_disk_import_writes_nothing
	else
		fail full_output_disk_import_writes_nothing "exit $rc: $(cat "$TMP/full-import.err"); $(ls -a "$TMP/mnt")"
	fi
	rm -f "$TMP/mnt/filler"
	mount -o remount,ro "$TMP/mnt"
	"$MVMC" build "$GOOD" -o "$TMP/mnt/new" 2>"$TMP/ro.err"
	rc=$?
	if [ $rc -eq 3 ] && grep -q 'Read-only file system' "$TMP/ro.err" && [ ! -e "$TMP/mnt/new" ]; then
		ok read_only_output_disk_exits_3
	else
		fail read_only_output_disk_exits_3 "exit $rc: $(cat "$TMP/ro.err")"
	fi
	"$MVMC" build "$GOOD" -o "$TMP/mnt/out" 2>"$TMP/ro2.err"
	rc=$?
	after=$(cd "$TMP/mnt/out" 2>/dev/null && sha256sum * | sha256sum)
	if [ $rc -eq 3 ] && [ -n "$before" ] && [ "$before" = "$after" ]; then
		ok read_only_output_disk_keeps_previous_output
	else
		fail read_only_output_disk_keeps_previous_output "exit $rc: $(cat "$TMP/ro2.err")"
	fi
	umount "$TMP/mnt"
else
	skip full_and_read_only_output_disk "needs root and a tmpfs mount"
fi
finish
