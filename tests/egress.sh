#!/usr/bin/env bash
# Egress with real traffic (docs/egress.md): `mvm run` in a "host" network namespace, servers
# in another, the workload's connections allowed or refused by the rules the runtime applied
# from the signed egress.nft. Positive controls: every target answers when tried from the host
# itself, so a refusal below is the rules' doing. Needs root, ip, nft and python3.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/egress/topology.sh"
MVM=${MVM:-$BUILD/bin/mvm}
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v ip >/dev/null; then
	skip egress "needs root, nft and ip"
	exit 0
fi
trap 'egress_down; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM
export MVM_HOME="$TMP/home" MVM_ACK_DOCKER_TIER=1
unset MVM_HOST_KEY MVM_TENANT MVM_MAX_WINDOW MVM_CLOCK_SKEW SOURCE_DATE_EPOCH
mkdir -p -m 0700 "$MVM_HOME" "$TMP/keys"
"$MVMC" keygen --role publisher -o "$TMP/keys/ci" >/dev/null
"$MVMC" keygen --role host -o "$MVM_HOME/host" >/dev/null
"$MVM" trust add "$TMP/keys/ci.pub" "$MVM_HOME/host.pub" >/dev/null
mkdir -p "$TMP/share" && chmod 0777 "$TMP/share"
cp "$(dirname "$0")/egress/probe.py" "$TMP/share/"
egress_up "mvmt$$" || { fail topology "could not build the test network"; finish; }
printf 'svc.test A 2 198.51.100.3\nmeta.test A 2 169.254.169.254\n' >"$EG_ZONE"

profile() { # NAME, then the egress section's lines: builds and signs $TMP/NAME
	local name=$1
	shift
	{
		printf 'mvm: 1\nname: %s\nintent: agent:web-research\nextends: network\nnetwork:\n  egress:\n' "$name"
		printf '    %s\n' "$@"
	} >"$TMP/$name.yaml"
	"$MVMC" build "$TMP/$name.yaml" -o "$TMP/$name" --sign-key "$TMP/keys/ci.key" 2>"$TMP/$name.build" ||
		fail "build_$name" "$(cat "$TMP/$name.build")"
}

run_in_host() { # PROFILE_DIR CHECK...: the probe in a sandbox, run from the host namespace
	local dir=$1
	shift
	ip netns exec "$EG_H" "$MVM" run --profile "$dir" --share "$TMP/share:/share:rw" -- \
		/usr/bin/python3 /share/probe.py "$@"
}

# Positive control: from the host namespace itself, everything the tests refuse answers.
ip netns exec "$EG_H" python3 "$TMP/share/probe.py" tcp/198.51.100.2/8080 tcp/198.51.100.2/8081 tcp/198.51.100.3/8080 \
	tcp/2001:db8:1::2/8080 dns/198.51.100.2/svc.test dns/198.51.100.3/svc.test tcp/198.51.100.3/53 \
	tcp/169.254.169.254/80 tcp/198.51.100.1/9000 tcp/198.51.100.4/8080 udp/198.51.100.2/7 >"$TMP/control" 2>&1
if [ "$(grep -c ' ok$' "$TMP/control")" -eq 11 ]; then ok every_target_answers_from_the_host; else
	fail every_target_answers_from_the_host "$(cat "$TMP/control")"; fi

# IPv4 only: one port on one address, a /24 on port 80, the pinned resolver.
profile v4 "resolver: 198.51.100.2" "allow:" \
	"  - {cidr: 198.51.100.2/32, proto: tcp, ports: [8080]}" \
	"  - {cidr: 198.51.100.0/24, proto: tcp, ports: [80, 9000]}"
grep -q "^egress.nft$" <(ls "$TMP/v4") && grep -q '"egress.nft":"sha256:' "$TMP/v4/plan.json" &&
	ok build_binds_egress_nft_in_the_plan || fail build_binds_egress_nft_in_the_plan "$(ls "$TMP/v4")"
start=$(date +%s%N)
run_in_host "$TMP/v4" tcp/198.51.100.2/8080 tcp/198.51.100.2/8081 tcp/198.51.100.3/8080 tcp/2001:db8:1::2/8080 \
	tcp/198.51.100.3/80 dns/198.51.100.2/svc.test dns/198.51.100.3/svc.test tcp/198.51.100.3/53 \
	tcp/198.51.100.1/9000 udp/198.51.100.2/7 devices/eth0,lo >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail v4_run "exit $rc: $(cat "$TMP/err")"
expect_checks allowed_tcp_port_on_allowed_address_connects "$TMP/out" "tcp/198.51.100.2/8080 ok" "tcp/198.51.100.3/80 ok"
expect_checks another_port_is_refused "$TMP/out" "tcp/198.51.100.2/8081 fail"
expect_checks another_address_is_refused "$TMP/out" "tcp/198.51.100.3/8080 fail"
expect_checks ipv6_is_refused_when_only_ipv4_is_allowed "$TMP/out" "tcp/2001:db8:1::2/8080 fail"
expect_checks udp_dns_reaches_the_pinned_resolver_only "$TMP/out" "dns/198.51.100.2/svc.test ok" \
	"dns/198.51.100.3/svc.test fail" "tcp/198.51.100.3/53 fail"
expect_checks the_host_itself_stays_closed_even_inside_an_allowed_cidr "$TMP/out" "tcp/198.51.100.1/9000 fail"
expect_checks udp_without_a_rule_is_refused "$TMP/out" "udp/198.51.100.2/7 fail"
expect_checks the_sandbox_has_eth0_and_lo "$TMP/out" "devices/eth0,lo ok"
echo "  (v4 run: $(( ($(date +%s%N) - start) / 1000000 )) ms)"

# IPv6: the same server over IPv6 once a v6 rule allows it (so the refusal above was the rules').
profile v6 "allow:" "  - {cidr: 2001:db8:1::2/128, proto: tcp, ports: [8080]}"
run_in_host "$TMP/v6" tcp/2001:db8:1::2/8080 tcp/198.51.100.2/8080 >"$TMP/out" 2>"$TMP/err"
expect_checks ipv6_rule_connects_over_ipv6_only "$TMP/out" "tcp/2001:db8:1::2/8080 ok" "tcp/198.51.100.2/8080 fail"

# Cloud metadata: dropped even under a rule for every IPv4 address, reachable only when named.
profile anyv4 "allow:" "  - {cidr: 0.0.0.0/0, proto: tcp, ports: [80]}"
run_in_host "$TMP/anyv4" tcp/169.254.169.254/80 tcp/198.51.100.2/80 >"$TMP/out" 2>"$TMP/err"
expect_checks metadata_is_dropped_under_an_allow_all_rule "$TMP/out" "tcp/169.254.169.254/80 fail" "tcp/198.51.100.2/80 ok"
profile meta "allow:" "  - {cidr: 169.254.169.254/32, proto: tcp, ports: [80]}"
grep -q "warning: this rule opens an always-dropped range" "$TMP/meta.build" &&
	ok explicit_metadata_exception_warns_at_build || fail explicit_metadata_exception_warns_at_build "$(cat "$TMP/meta.build")"
run_in_host "$TMP/meta" tcp/169.254.169.254/80 >"$TMP/out" 2>"$TMP/err"
expect_checks explicit_metadata_exception_connects "$TMP/out" "tcp/169.254.169.254/80 ok"

# Host names, resolved by the pinned resolver: their addresses only; a name that does not
# resolve opens nothing; a name that resolves to metadata stays dropped; a changed answer
# takes effect after the TTL (2 s). The workload and the test take turns through the share.
profile names "resolver: 198.51.100.2" "allow:" \
	"  - {host: svc.test, proto: tcp, ports: [8080]}" \
	"  - {host: nx.test, proto: tcp, ports: [8080]}" \
	"  - {host: meta.test, proto: tcp, ports: [80]}"
rm -f "$TMP/share/phase1" "$TMP/share/go"
run_in_host "$TMP/names" tcp/198.51.100.3/8080 tcp/198.51.100.2/8080 tcp/198.51.100.4/8080 tcp/169.254.169.254/80 -- \
	touch/share/phase1 wait/share/go sleep/3 -- tcp/198.51.100.3/8080 tcp/198.51.100.4/8080 >"$TMP/out" 2>"$TMP/err" &
wl=$!
for _ in $(seq 200); do [ -e "$TMP/share/phase1" ] && break; sleep 0.05; done
printf 'svc.test A 2 198.51.100.4\nmeta.test A 2 169.254.169.254\n' >"$EG_ZONE"
touch "$TMP/share/go"
wait $wl
head -4 "$TMP/out" >"$TMP/out1"
tail -2 "$TMP/out" >"$TMP/out2"
expect_checks host_name_addresses_are_reachable_others_not "$TMP/out1" "tcp/198.51.100.3/8080 ok" \
	"tcp/198.51.100.2/8080 fail" "tcp/198.51.100.4/8080 fail"
expect_checks a_name_resolving_to_metadata_stays_dropped "$TMP/out1" "tcp/169.254.169.254/80 fail"
expect_checks a_changed_answer_takes_effect_after_the_ttl "$TMP/out2" "tcp/198.51.100.3/8080 fail" "tcp/198.51.100.4/8080 ok"
"$MVM" audit show --json >"$TMP/audit" 2>/dev/null
pins=$(python3 -c '
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)["entry"]
    if e["event"].startswith("dns."):
        d = json.loads(e["detail"])
        print(e["event"], d["host"], ",".join(d.get("addrs", [])), d.get("ttl", ""), d.get("error", ""))
' "$TMP/audit")
grep -q "^dns.pin svc.test 198.51.100.3 2 $" <<<"$pins" && grep -q "^dns.pin svc.test 198.51.100.4 2 $" <<<"$pins" &&
	ok each_pin_is_audited_with_its_ttl || fail each_pin_is_audited_with_its_ttl "$pins"
grep -q "^dns.refused nx.test" <<<"$pins" && ! grep -q "^dns.pin nx.test" <<<"$pins" &&
	ok a_name_that_does_not_resolve_is_audited_as_a_refusal || fail a_name_that_does_not_resolve_is_audited_as_a_refusal "$pins"

# One sandbox never reaches another, even under a rule that covers its address: sandbox A
# listens, the host reaches it (control), sandbox B (allowed 10.0.0.0/8:7000) does not. Two
# things stop it, each tested: A's table lets nothing in, and B's drops the whole sandbox pool
# (10.222.255.252 is in the pool but served by the server namespace, not by a sandbox).
cp "$(dirname "$0")/egress/listen.py" "$TMP/share/"
profile listener "allow:" "  - {cidr: 192.0.2.1/32, proto: tcp, ports: [1]}"
profile neighbour "allow:" "  - {cidr: 10.0.0.0/8, proto: tcp, ports: [7000]}"
before=$("$MVM" audit show --json 2>/dev/null | grep -c '"egress.applied"')
ip netns exec "$EG_H" "$MVM" run --profile "$TMP/listener" --share "$TMP/share:/share:rw" -- \
	/usr/bin/python3 /share/listen.py tcp/0.0.0.0/7000 >"$TMP/lout" 2>"$TMP/lerr" &
lpid=$!
for _ in $(seq 100); do grep -q ready "$TMP/lout" && break; sleep 0.05; done
a_addr=$("$MVM" audit show --json 2>/dev/null | grep '"egress.applied"' | sed -n "$((before + 1))p" |
	sed -n 's/.*device mvm[0-9]*, \(10\.222\.[0-9.]*\) and.*/\1/p')
ip netns exec "$EG_H" python3 "$TMP/share/probe.py" "tcp/$a_addr/7000" tcp/10.222.255.252/7000 >"$TMP/control" 2>&1
run_in_host "$TMP/neighbour" "tcp/$a_addr/7000" tcp/10.222.255.252/7000 >"$TMP/out" 2>"$TMP/err"
kill -TERM $lpid 2>/dev/null
wait $lpid 2>/dev/null
if [ -n "$a_addr" ] && [ "$(grep -c ' ok$' "$TMP/control")" -eq 2 ]; then
	expect_checks a_sandbox_never_reaches_another_even_under_a_rule_for_it "$TMP/out" "tcp/$a_addr/7000 fail"
	expect_checks the_sandbox_pool_is_dropped_wherever_it_is_routed "$TMP/out" "tcp/10.222.255.252/7000 fail"
else
	fail a_sandbox_never_reaches_another_even_under_a_rule_for_it "control failed, A at '$a_addr': $(tr '\n' '|' <"$TMP/control") $(cat "$TMP/lerr")"
fi

# The ruleset in force is checked at the exec stop (posture) and while the workload runs:
# a rule slipped into the sandbox's table kills it.
"$MVM" audit show --json | grep '"posture.verified"' | tail -1 | grep -q 'egress.ruleset' &&
	ok posture_check_compares_the_ruleset_in_force || fail posture_check_compares_the_ruleset_in_force "no egress.ruleset check"
start=$(date +%s)
rm -f "$TMP/share/started"
run_in_host "$TMP/v4" touch/share/started sleep/20 >"$TMP/out" 2>"$TMP/err" &
wl=$!
for _ in $(seq 200); do [ -e "$TMP/share/started" ] && break; sleep 0.05; done
table=$(ip netns exec "$EG_H" nft list tables | sed -n 's/^table inet \(mvm_[0-9]*\)$/\1/p' | head -1)
ip netns exec "$EG_H" nft insert rule inet "$table" from_sandbox accept
wait $wl
rc=$?
took=$(( $(date +%s) - start ))
if [ $rc -eq 124 ] && [ $took -lt 10 ] && grep -q "egress rules changed" "$TMP/err"; then ok a_changed_ruleset_kills_the_workload
else fail a_changed_ruleset_kills_the_workload "exit $rc after ${took}s: $(cat "$TMP/err")"; fi
"$MVM" audit show --json | grep -q '"egress.violated"' && ok the_violation_is_audited || fail the_violation_is_audited "no egress.violated"

# Nothing is left behind by these runs.
left=$(ip netns exec "$EG_H" nft list tables | grep -c 'mvm_'; ip -n "$EG_H" -o link | grep -c ' mvm[0-9]')
[ "$(echo $left)" = "0 0" ] && ok no_table_or_device_left_after_runs || fail no_table_or_device_left_after_runs "$left"
"$MVM" audit verify >/dev/null 2>&1 && ok audit_log_verifies || fail audit_log_verifies "mvm audit verify failed"
finish
