#!/usr/bin/env bash
# Claim 10, "no network unless the profile allows it", as a gate with real traffic: a sandbox
# whose profile has no egress section (and whose seccomp filter allows IP sockets) cannot open
# any non-loopback connection: TCP and UDP, IPv4 and IPv6, to servers, to the host it runs on
# and to cloud metadata, and it has no network device but loopback. Positive controls, so the
# gate cannot pass vacuously: every target answers from the host namespace, and the same probe
# in a sandbox whose profile allows everything reaches them.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/egress/topology.sh"
MVM=${MVM:-$BUILD/bin/mvm}
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null || ! command -v ip >/dev/null; then
	skip egress_claim10 "needs root, nft and ip"
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
egress_up "mvmg$$" || { fail topology "could not build the test network"; finish; }
printf 'svc.test A 60 198.51.100.3\n' >"$EG_ZONE"

TARGETS="tcp/198.51.100.2/8080 tcp/198.51.100.3/80 tcp/2001:db8:1::2/8080 dns/198.51.100.2/svc.test udp/198.51.100.2/7
tcp/198.51.100.1/9000 tcp/169.254.169.254/80"
# shellcheck disable=SC2086
ip netns exec "$EG_H" python3 "$TMP/share/probe.py" $TARGETS >"$TMP/control" 2>&1
[ "$(grep -c ' ok$' "$TMP/control")" -eq 7 ] && ok control_every_target_answers_from_the_host ||
	fail control_every_target_answers_from_the_host "$(cat "$TMP/control")"

build() { # NAME YAML
	printf '%s' "$2" >"$TMP/$1.yaml"
	"$MVMC" build "$TMP/$1.yaml" -o "$TMP/$1" --sign-key "$TMP/keys/ci.key" 2>/dev/null || fail "build_$1" "mvmc build failed"
}
build none 'mvm: 1
name: no-egress
extends: network
'
build all 'mvm: 1
name: all-egress
extends: network
network:
  egress:
    resolver: 198.51.100.2
    allow:
      - {cidr: 0.0.0.0/0, proto: tcp, ports: ["1-65535"]}
      - {cidr: 0.0.0.0/0, proto: udp, ports: ["1-65535"]}
      - {cidr: "::/0", proto: tcp, ports: ["1-65535"]}
      - {cidr: 169.254.169.254/32, proto: tcp, ports: [80]}
'
[ -e "$TMP/none/egress.nft" ] && fail no_egress_section_no_ruleset "egress.nft was written" || ok no_egress_section_no_ruleset

# shellcheck disable=SC2086
ip netns exec "$EG_H" "$MVM" run --profile "$TMP/none" --share "$TMP/share:/share:rw" -- \
	/usr/bin/python3 /share/probe.py $TARGETS devices/lo >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail claim10_run "exit $rc: $(cat "$TMP/err")"
if [ "$(grep -c ' fail ' "$TMP/out")" -eq 7 ] && grep -qx "devices/lo ok" "$TMP/out"; then
	ok claim10_no_egress_section_opens_no_connection
else
	fail claim10_no_egress_section_opens_no_connection "$(tr '\n' '|' <"$TMP/out")"
fi
"$MVM" audit show --json | grep '"posture.verified"' | tail -1 | grep -q 'expected\\":\\"lo\\",\\"name\\":\\"net.devices' &&
	ok claim10_posture_checks_loopback_only || fail claim10_posture_checks_loopback_only "no net.devices=lo check in the audit"
[ -z "$(ip netns exec "$EG_H" nft list tables | grep mvm_)" ] && ok claim10_no_rules_were_needed ||
	fail claim10_no_rules_were_needed "a table exists"

# The control: the same probe, in a sandbox whose profile allows all of it, reaches every
# target except the host itself (never reachable from a sandbox).
# shellcheck disable=SC2086
ip netns exec "$EG_H" "$MVM" run --profile "$TMP/all" --share "$TMP/share:/share:rw" -- \
	/usr/bin/python3 /share/probe.py $TARGETS devices/eth0,lo >"$TMP/out" 2>"$TMP/err"
if [ "$(grep -c ' ok$' "$TMP/out")" -eq 7 ] && grep -q "^tcp/198.51.100.1/9000 fail" "$TMP/out"; then
	ok control_the_probe_detects_connectivity_from_a_sandbox
else
	fail control_the_probe_detects_connectivity_from_a_sandbox "$(tr '\n' '|' <"$TMP/out") $(cat "$TMP/err")"
fi
finish
