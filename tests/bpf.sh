#!/usr/bin/env bash
# The BPF commands end to end: `mvmc import oci` on Docker's default profile, `mvmc build
# --report/--weights`, `mvmc disasm` and `mvmc sim`, with their error paths and exit codes.
set -u
. "$(dirname "$0")/lib.sh"

docker_json=${MVM_DOCKER_JSON:-../shared/data/moby/default.json}
if [ ! -r "$docker_json" ]; then
	fail docker_default_json_present "$docker_json is missing (set MVM_DOCKER_JSON)"
	finish
fi

# Import: compiles, is deterministic, keeps Docker's argument rules, and --caps selects entries.
if "$MVMC" import oci "$docker_json" -o "$TMP/docker.yaml" 2>"$TMP/err"; then ok import_docker_default_writes_a_profile; else fail import_docker_default_writes_a_profile "$(cat "$TMP/err")"; fi
"$MVMC" import oci "$docker_json" --name docker >"$TMP/docker2.yaml" 2>/dev/null
if cmp -s "$TMP/docker.yaml" "$TMP/docker2.yaml"; then ok import_is_deterministic_and_stdout_matches_file; else fail import_is_deterministic_and_stdout_matches_file "outputs differ"; fi
if grep -q '^name: docker$' "$TMP/docker.yaml" && grep -q 'when: \[{arg: domain, in: \[38, 40\]}\]' "$TMP/docker.yaml" &&
	grep -q 'when: \[{arg: flags, mask: 0x7e020000, eq: 0}\]' "$TMP/docker.yaml" && grep -q '^    - enosys: \[clone3\]' "$TMP/docker.yaml"; then
	ok import_keeps_docker_argument_rules
else
	fail import_keeps_docker_argument_rules "$(grep -n 'when\|clone3' "$TMP/docker.yaml")"
fi
"$MVMC" import oci "$docker_json" --caps docker-default,sys_admin -o "$TMP/admin.yaml" 2>/dev/null
"$MVMC" build "$TMP/admin.yaml" -o "$TMP/admin" 2>/dev/null
if grep -q 'CAP_SYS_ADMIN' "$TMP/admin.yaml" &&
	"$MVMC" sim "$TMP/admin" --arch x86_64 --syscall mount | grep -q ': allow' &&
	"$MVMC" sim "$TMP/admin" --arch x86_64 --syscall chroot | grep -q ': allow'; then
	ok import_caps_select_docker_includes
else
	fail import_caps_select_docker_includes "SYS_ADMIN entries not selected"
fi
printf '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_NOTIFY"}]}' >"$TMP/notify.json"
"$MVMC" import oci "$TMP/notify.json" -o "$TMP/notify.yaml" 2>"$TMP/err"; rc=$?
if [ $rc -eq 1 ] && grep -q 'SCMP_ACT_NOTIFY has no equivalent' "$TMP/err" && [ ! -e "$TMP/notify.yaml" ]; then ok import_refuses_notify_and_writes_nothing; else fail import_refuses_notify_and_writes_nothing "rc=$rc $(cat "$TMP/err")"; fi
printf '{"defaultAction": ' >"$TMP/broken.json"
"$MVMC" import oci "$TMP/broken.json" 2>"$TMP/err"; rc=$?
if [ $rc -eq 1 ] && grep -qE "broken.json:1:[0-9]+: error:" "$TMP/err"; then ok import_invalid_json_names_line_and_column; else fail import_invalid_json_names_line_and_column "rc=$rc $(cat "$TMP/err")"; fi
"$MVMC" import oci 2>/dev/null; rc=$?
if [ $rc -eq 2 ]; then ok import_usage_error_exits_2; else fail import_usage_error_exits_2 "rc=$rc"; fi

# Build with --report: one line per arch, every unconditional allow cache-eligible.
if "$MVMC" build "$TMP/docker.yaml" -o "$TMP/dock" --report >"$TMP/report" 2>"$TMP/err"; then
	n=$(grep -cE '^(x86_64|aarch64): [0-9]+ instructions; [0-9]+ allowed syscalls: instructions executed mean [0-9.]+' "$TMP/report")
	same=$(grep -oE 'cache-eligible [0-9]+ of [0-9]+' "$TMP/report" | awk '$2 == $4' | wc -l)
	if [ "$n" -eq 2 ] && [ "$same" -eq 2 ]; then ok build_report_prints_figures_per_arch; else fail build_report_prints_figures_per_arch "$(cat "$TMP/report")"; fi
else
	fail build_report_prints_figures_per_arch "$(cat "$TMP/err")"
fi
if "$BUILD/tests/json_vs_bpf" "$TMP/dock" >"$TMP/jvb" 2>&1; then ok imported_docker_json_means_bpf; else fail imported_docker_json_means_bpf "$(tail -n 3 "$TMP/jvb")"; fi

# The kernel accepts the generated Docker filter and real programs run under it.
host_bpf="$TMP/dock/seccomp.$(uname -m).bpf"
if [ -e "$host_bpf" ]; then
	out=$("$BUILD/tests/run_with_filter" "$host_bpf" -- /usr/bin/python3 -c 'import json; print(json.dumps([1]))' 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ "$out" = "[1]" ]; then ok kernel_runs_python_under_imported_docker_filter; else fail kernel_runs_python_under_imported_docker_filter "rc=$rc $out"; fi
	out=$("$BUILD/tests/run_with_filter" "$host_bpf" -- "$BUILD/tests/probe" mount 2>&1)
	if [ "$out" = "errno=1" ]; then ok kernel_refuses_mount_under_imported_docker_filter; else fail kernel_refuses_mount_under_imported_docker_filter "got '$out'"; fi
else
	skip kernel_runs_imported_docker_filter "no filter for host arch $(uname -m)"
fi

# --weights: another table changes the bytes, never the meaning; a bad table is a located error.
printf 'mvm: 1\ncounts:\n  getppid: 1000000\n  personality: 500000\n' >"$TMP/w.yaml"
"$MVMC" build "$TMP/docker.yaml" -o "$TMP/dockw" --weights "$TMP/w.yaml" 2>"$TMP/err"
if ! cmp -s "$TMP/dock/seccomp.x86_64.bpf" "$TMP/dockw/seccomp.x86_64.bpf" && "$BUILD/tests/json_vs_bpf" "$TMP/dockw" >/dev/null 2>&1; then
	ok weights_change_shape_not_meaning
else
	fail weights_change_shape_not_meaning "$(cat "$TMP/err")"
fi
hot=$("$MVMC" sim "$TMP/dockw" --arch x86_64 --syscall getppid | grep -oE '[0-9]+ instructions')
cold=$("$MVMC" sim "$TMP/dock" --arch x86_64 --syscall getppid | grep -oE '[0-9]+ instructions')
if [ "${hot%% *}" -le "${cold%% *}" ] && [ "${hot%% *}" -le 6 ]; then ok weights_shorten_the_hot_path "($hot vs $cold)"; else fail weights_shorten_the_hot_path "$hot vs $cold"; fi
printf 'mvm: 1\ncounts:\n  getppid: 10\n  nosuchcall: 1\n' >"$TMP/bad.yaml"
"$MVMC" build "$TMP/docker.yaml" -o "$TMP/nope" --weights "$TMP/bad.yaml" 2>"$TMP/err"; rc=$?
if [ $rc -eq 1 ] && grep -q "bad.yaml:4:3: error: counts: unknown syscall 'nosuchcall'" "$TMP/err" && [ ! -e "$TMP/nope" ]; then ok bad_weights_file_is_a_located_error; else fail bad_weights_file_is_a_located_error "rc=$rc $(cat "$TMP/err")"; fi

# sim: decisions, instructions executed and path.
expect_sim() { # NAME WANT ARGS...
	local name=$1 want=$2 out
	shift 2
	out=$("$MVMC" sim "$@" 2>&1)
	if printf '%s' "$out" | grep -qE -- "$want"; then ok "$name"; else fail "$name" "got: $out"; fi
}
expect_sim sim_allows_read ': allow, [0-9]+ instructions executed' "$TMP/dock" --arch x86_64 --syscall read
expect_sim sim_refuses_mount_with_eperm ': errno\(1\)' "$TMP/dock" --arch aarch64 --syscall mount
expect_sim sim_checks_socket_family ': errno\(1\)' "$TMP/dock" --arch x86_64 --syscall socket --arg0 40
expect_sim sim_allows_unix_sockets ': allow' "$TMP/dock" --arch x86_64 --syscall socket --arg0 1
expect_sim sim_32bit_argument_ignores_high_half ': errno\(1\)' "$TMP/dock" --arch x86_64 --syscall socket --arg0 0x1200000028
expect_sim sim_kills_foreign_arch ': kill-process' "$TMP/dock/seccomp.x86_64.bpf" --syscall read --audit-arch 0x40000003
expect_sim sim_kills_x32_calls ': kill-process' "$TMP/dock" --arch x86_64 --syscall 0x40000000
expect_sim sim_prints_path '^path: 0 1 2 ' "$TMP/dock" --arch x86_64 --syscall read
"$MVMC" sim "$TMP/dock" --syscall read >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok sim_directory_needs_arch; else fail sim_directory_needs_arch "rc=$rc"; fi
"$MVMC" sim "$TMP/dock" --arch x86_64 --syscall nosuchcall >/dev/null 2>&1; rc=$?
if [ $rc -eq 2 ]; then ok sim_unknown_syscall_is_a_usage_error; else fail sim_unknown_syscall_is_a_usage_error "rc=$rc"; fi

# disasm: labels, field and syscall names, decoded actions; refuses what is not a filter.
"$MVMC" disasm "$TMP/dock/seccomp.aarch64.bpf" >"$TMP/dis" 2>"$TMP/err"; rc=$?
if [ $rc -eq 0 ] && grep -q '^; [0-9]* instructions, aarch64' "$TMP/dis" && grep -q 'ld   \[4\] .*; arch' "$TMP/dis" &&
	grep -q 'AUDIT_ARCH_AARCH64' "$TMP/dis" && grep -qE '; nr [0-9]+ [a-z_0-9]+$' "$TMP/dis" && grep -q '; errno(1)' "$TMP/dis" &&
	grep -qE '^L[0-9]+:$' "$TMP/dis" && grep -q 'args\[0\].lo' "$TMP/dis"; then
	ok disasm_lists_labels_names_and_actions
else
	fail disasm_lists_labels_names_and_actions "rc=$rc $(head -n 5 "$TMP/dis") $(cat "$TMP/err")"
fi
printf 'abc' >"$TMP/odd.bpf"
"$MVMC" disasm "$TMP/odd.bpf" >/dev/null 2>"$TMP/err"; rc=$?
if [ $rc -eq 1 ] && grep -q 'not a struct sock_filter array' "$TMP/err"; then ok disasm_refuses_a_non_filter; else fail disasm_refuses_a_non_filter "rc=$rc $(cat "$TMP/err")"; fi
"$MVMC" disasm "$TMP/missing.bpf" >/dev/null 2>&1; rc=$?
if [ $rc -eq 3 ]; then ok disasm_missing_file_exits_3; else fail disasm_missing_file_exits_3 "rc=$rc"; fi
finish
