# shellcheck shell=bash
# The network the egress tests run in (sourced; needs root, ip, nft, python3). Nothing here
# touches the real host's network: "the host" is a network namespace of its own.
#
#   $EG_H "host": where mvm runs. 198.51.100.1/24, 2001:db8:1::1/64 on hs0; forwarding on;
#         a listener on 198.51.100.1:9000 (a service of the host itself); a route to
#         169.254.169.254 through the server side (so only the rules can keep it away).
#   $EG_S "servers": 198.51.100.2, .3, .4/24, 2001:db8:1::2/64 on sh0, 169.254.169.254 on lo;
#         10.222.255.252 on lo (inside the sandbox pool, but routed here: the network address of
#         the last slot, never a sandbox's or the host's); TCP listeners (see EG_LISTEN), a UDP echo on 198.51.100.2:7, and two DNS servers
#         (tests/dns_server.py) on 198.51.100.2:53 (the pinned resolver) and 198.51.100.3:53
#         (another server), both answering from $EG_ZONE, which a test may rewrite.
EG_LISTEN="tcp/198.51.100.2/8080 tcp/198.51.100.2/8081 tcp/198.51.100.2/80 tcp/198.51.100.3/8080
tcp/198.51.100.3/80 tcp/198.51.100.3/53 tcp/198.51.100.4/8080 tcp/2001:db8:1::2/8080 tcp/169.254.169.254/80
udp/198.51.100.2/7 tcp/10.222.255.252/7000"
EG_PIDS=""

eg_wait_ready() { # FILE: until the server started in the background says "ready" (5 s at most)
	for _ in $(seq 100); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.05; done
	echo "egress topology: a server did not start: $(cat "$1")" >&2
	return 1
}

egress_up() { # NAME (unique per test run); sets EG_H, EG_S, EG_ZONE
	EG_H=$1-h EG_S=$1-s EG_ZONE=$TMP/zone
	: >"$EG_ZONE"
	ip netns add "$EG_H" && ip netns add "$EG_S" || return 1
	ip -n "$EG_H" link set lo up && ip -n "$EG_S" link set lo up &&
	ip -n "$EG_H" link add hs0 type veth peer name sh0 netns "$EG_S" &&
	ip -n "$EG_H" addr add 198.51.100.1/24 dev hs0 &&
	ip -n "$EG_H" addr add 2001:db8:1::1/64 dev hs0 nodad &&
	ip -n "$EG_S" addr add 198.51.100.2/24 dev sh0 &&
	ip -n "$EG_S" addr add 198.51.100.3/24 dev sh0 &&
	ip -n "$EG_S" addr add 198.51.100.4/24 dev sh0 &&
	ip -n "$EG_S" addr add 2001:db8:1::2/64 dev sh0 nodad &&
	ip -n "$EG_S" addr add 169.254.169.254/32 dev lo &&
	ip -n "$EG_S" addr add 10.222.255.252/32 dev lo &&
	ip -n "$EG_H" link set hs0 up && ip -n "$EG_S" link set sh0 up &&
	ip -n "$EG_S" route add default via 198.51.100.1 &&
	ip -n "$EG_S" -6 route add default via 2001:db8:1::1 &&
	ip -n "$EG_H" route add 169.254.169.254/32 via 198.51.100.2 &&
	ip -n "$EG_H" route add 10.222.255.252/32 via 198.51.100.2 &&
	ip netns exec "$EG_H" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
	local dir
	dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	# shellcheck disable=SC2086
	ip netns exec "$EG_S" python3 "$dir/listen.py" $EG_LISTEN >"$TMP/listen.out" 2>&1 &
	EG_PIDS="$EG_PIDS $!"
	ip netns exec "$EG_H" python3 "$dir/listen.py" tcp/198.51.100.1/9000 >"$TMP/listen-h.out" 2>&1 &
	EG_PIDS="$EG_PIDS $!"
	ip netns exec "$EG_S" python3 "$dir/../dns_server.py" 198.51.100.2 53 "$EG_ZONE" >"$TMP/dns1.out" 2>&1 &
	EG_PIDS="$EG_PIDS $!"
	ip netns exec "$EG_S" python3 "$dir/../dns_server.py" 198.51.100.3 53 "$EG_ZONE" >"$TMP/dns2.out" 2>&1 &
	EG_PIDS="$EG_PIDS $!"
	eg_wait_ready "$TMP/listen.out" && eg_wait_ready "$TMP/listen-h.out" &&
		eg_wait_ready "$TMP/dns1.out" && eg_wait_ready "$TMP/dns2.out" || return 1
	# IPv6 between the two is usable once duplicate address detection is over on both ends.
	for _ in $(seq 60); do
		[ -z "$(ip -n "$EG_H" -6 addr show tentative)$(ip -n "$EG_S" -6 addr show tentative)" ] && return 0
		sleep 0.05
	done
	return 1
}

egress_down() {
	local p
	for p in $EG_PIDS; do kill "$p" 2>/dev/null; done
	for p in $EG_PIDS; do wait "$p" 2>/dev/null; done
	EG_PIDS=""
	[ -n "${EG_H:-}" ] && ip netns del "$EG_H" 2>/dev/null
	[ -n "${EG_S:-}" ] && ip netns del "$EG_S" 2>/dev/null
	return 0
}

# expect_checks NAME FILE LINE...: every "CHECK ok" line must be in FILE exactly, and for
# every "CHECK fail" a line starting so.
expect_checks() {
	local name=$1 file=$2 bad="" line
	shift 2
	for line in "$@"; do
		case "$line" in
		*" ok") grep -qxF -- "$line" "$file" || bad="$bad; want '$line'" ;;
		*" fail") grep -q -- "^${line//./\\.}" "$file" || bad="$bad; want '$line'" ;;
		esac
	done
	if [ -z "$bad" ]; then ok "$name"; else fail "$name" "${bad#; }; got: $(tr '\n' '|' <"$file")"; fi
}
