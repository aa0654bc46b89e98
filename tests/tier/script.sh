#!/bin/sh
# A general shell workload for the tier tests, meant for `busybox sh script.sh`: it exercises
# pipes, subshells, command substitution, redirections, loops, arithmetic and a few coreutils on
# files in a private temp dir. The last line it prints is fixed: "tier-script: ok".
set -eu

dir=$(mktemp -d "${TMPDIR:-/tmp}/mvm-tier.XXXXXX")
trap 'rm -rf "$dir"' EXIT INT TERM

# Redirections: create, append, read back.
printf 'pear\napple\nfig\n' > "$dir/fruit.txt"
echo banana >> "$dir/fruit.txt"
exec 3< "$dir/fruit.txt"
read -r first <&3
exec 3<&-
[ "$first" = pear ]

# Loops and arithmetic.
i=0
sum=0
while [ "$i" -lt 10 ]; do
	i=$((i + 1))
	sum=$((sum + i * i))
done
[ "$sum" -eq 385 ]
for n in 1 2 3; do
	echo "line $n" >> "$dir/lines.txt"
done

# Pipes through external (applet) commands, command substitution.
count=$(cat "$dir/fruit.txt" | sort | wc -l)
[ "$count" -eq 4 ]
sorted=$(sort "$dir/fruit.txt" | sed -n '1p')
[ "$sorted" = apple ]
words=$(sed 's/line/row/' "$dir/lines.txt" | grep -c '^row ')
[ "$words" -eq 3 ]

# Subshells: a change of directory and variable does not leak out.
x=outer
(cd "$dir" && x=inner && [ -f fruit.txt ] && echo "$x" > sub.txt)
[ "$x" = outer ]
[ "$(cat "$dir/sub.txt")" = inner ]

# Background job and wait, a here-document, stderr redirection.
(sleep 0 && echo bg > "$dir/bg.txt") &
wait
[ "$(cat "$dir/bg.txt")" = bg ]
cat > "$dir/here.txt" <<HERE
sum=$sum
HERE
grep -q '^sum=385$' "$dir/here.txt"
ls "$dir/does-not-exist" 2> "$dir/err.txt" || true
[ -s "$dir/err.txt" ]

# A pipeline whose exit status comes from its last command.
if echo abc | grep -q zzz; then
	exit 1
fi

echo "tier-script: ok"
