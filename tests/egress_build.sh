#!/usr/bin/env bash
# mvmc build and egress.nft (docs/egress.md, docs/artifacts.md): written only for a profile
# with network.egress, bound in plan.json, byte-reproducible, verified like every artifact
# (a tampered egress.nft is refused before anything runs); the consistency checks warn, and
# --strict makes them errors.
set -u
. "$(dirname "$0")/lib.sh"
MVM=${MVM:-$BUILD/bin/mvm}
export MVM_HOME="$TMP/home"
unset MVM_HOST_KEY MVM_TENANT MVM_MAX_WINDOW MVM_CLOCK_SKEW SOURCE_DATE_EPOCH
mkdir -p -m 0700 "$MVM_HOME" "$TMP/keys"
"$MVMC" keygen --role publisher -o "$TMP/keys/ci" >/dev/null
"$MVMC" keygen --role host -o "$MVM_HOME/host" >/dev/null
"$MVM" trust add "$TMP/keys/ci.pub" "$MVM_HOME/host.pub" >/dev/null

cat >"$TMP/eg.yaml" <<'YAML'
mvm: 1
name: eg
intent: agent:web-research
extends: network
network:
  egress:
    resolver: 192.0.2.53
    allow:
      - {host: api.example.com, proto: tcp, ports: [443]}
      - {cidr: 198.51.100.0/24, proto: tcp, ports: [443, "8000-8080"]}
      - {cidr: "2001:db8::/32", proto: udp, ports: [443]}
YAML
"$MVMC" build "$TMP/eg.yaml" -o "$TMP/a" 2>"$TMP/err" && "$MVMC" build "$TMP/eg.yaml" -o "$TMP/b" 2>>"$TMP/err" ||
	fail build_with_egress "$(cat "$TMP/err")"
[ -s "$TMP/a/egress.nft" ] && cmp -s "$TMP/a/egress.nft" "$TMP/b/egress.nft" && ok egress_nft_is_written_and_reproducible ||
	fail egress_nft_is_written_and_reproducible "$(ls "$TMP/a")"
digest="sha256:$(sha256sum "$TMP/a/egress.nft" | cut -d' ' -f1)"
grep -qF "\"egress.nft\":\"$digest\"" "$TMP/a/plan.json" && ok plan_binds_egress_nft_by_digest ||
	fail plan_binds_egress_nft_by_digest "$(cat "$TMP/a/plan.json")"
[ ! -s "$TMP/err" ] && ok a_consistent_profile_builds_silently || fail a_consistent_profile_builds_silently "$(cat "$TMP/err")"

printf 'mvm: 1\nname: none\nextends: standard\n' >"$TMP/none.yaml"
"$MVMC" build "$TMP/none.yaml" -o "$TMP/none" 2>/dev/null
[ ! -e "$TMP/none/egress.nft" ] && ! grep -q egress.nft "$TMP/none/plan.json" && ok no_egress_section_no_egress_nft ||
	fail no_egress_section_no_egress_nft "$(ls "$TMP/none")"

# The runtime verifies egress.nft like every artifact, before anything else happens.
"$MVMC" build "$TMP/eg.yaml" -o "$TMP/signed" --sign-key "$TMP/keys/ci.key" 2>/dev/null
"$MVMC" verify "$TMP/signed" --trust "$MVM_HOME/trust" >/dev/null 2>&1 && ok signed_bundle_with_egress_nft_verifies ||
	fail signed_bundle_with_egress_nft_verifies "$("$MVMC" verify "$TMP/signed" --trust "$MVM_HOME/trust" 2>&1)"
sed -i 's/counter drop/accept/' "$TMP/signed/egress.nft"
out=$("$MVM" admit "$TMP/signed" --json 2>&1)
grep -q '"reason":"artifact-digest"' <<<"$out" && ok a_tampered_egress_nft_is_refused ||
	fail a_tampered_egress_nft_is_refused "$out"

# Consistency: warnings by default, errors with --strict.
cat >"$TMP/nosock.yaml" <<'YAML'
mvm: 1
name: nosock
extends: standard
network:
  egress:
    allow:
      - {cidr: 198.51.100.0/24, proto: tcp, ports: [443]}
YAML
"$MVMC" build "$TMP/nosock.yaml" -o "$TMP/ns" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] && grep -q "nosock.yaml:6:5: warning: network.egress allows destinations, but seccomp allows no AF_INET" "$TMP/err" &&
	ok inconsistency_is_a_warning || fail inconsistency_is_a_warning "exit $rc: $(cat "$TMP/err")"
"$MVMC" build "$TMP/nosock.yaml" -o "$TMP/ns2" --strict 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && grep -q "error: network.egress allows destinations" "$TMP/err" && [ ! -e "$TMP/ns2" ] &&
	ok strict_makes_it_an_error || fail strict_makes_it_an_error "exit $rc: $(cat "$TMP/err")"
printf 'mvm: 1\nname: r\nintent: code:execute\nextends: standard\nnetwork:\n  egress:\n    resolver: 192.0.2.53\n' >"$TMP/r.yaml"
"$MVMC" build "$TMP/r.yaml" -o "$TMP/r" 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] && grep -q "error: intent 'code:execute' allows no network egress, but network.egress names a resolver" "$TMP/err" &&
	ok a_resolver_under_a_deny_intent_does_not_compile || fail a_resolver_under_a_deny_intent_does_not_compile "exit $rc: $(cat "$TMP/err")"
# Egress needs root: an unprivileged runtime refuses the launch (fail closed) and nothing runs.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	u="$TMP/unpriv"
	chmod 0711 "$TMP"
	mkdir -p "$u" && chown 65534:65534 "$u"
	setpriv --reuid=65534 --regid=65534 --clear-groups env HOME="$u" MVM_HOME="$u/h" MVM_ACK_DOCKER_TIER=1 bash -c '
		cd "$HOME" && mkdir -m 0700 h k && "$0" keygen --role publisher -o k/ci >/dev/null &&
		"$0" keygen --role host -o h/host >/dev/null && "$1" trust add k/ci.pub h/host.pub >/dev/null &&
		"$0" build "$2" -o b --sign-key k/ci.key 2>/dev/null && "$1" run --profile b -- /bin/echo RAN' \
		"$PWD/$MVMC" "$PWD/$MVM" "$TMP/eg.yaml" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	[ $rc -eq 125 ] && ! grep -q RAN "$TMP/out" && grep -q "egress needs the runtime to run as root" "$TMP/err" &&
		ok unprivileged_runtime_refuses_egress_and_runs_nothing ||
		fail unprivileged_runtime_refuses_egress_and_runs_nothing "exit $rc: $(cat "$TMP/out" "$TMP/err")"
else
	skip unprivileged_runtime_refuses_egress_and_runs_nothing "needs root and setpriv"
fi
finish
