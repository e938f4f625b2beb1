#!/usr/bin/env bash
# Prints, from the log hack/step-shell.sh wrote, each make target's
# `figure: test-step <target> start +<s> s, wall <s> s, cpu <s> s[, made <n> times]`
# in the order they started: start is from the first line any step ran
# to the target's first line; wall and cpu are summed over its recipe
# lines, which run one after the other (a step waiting on a tool another
# step builds shows wall without CPU). A target that several steps' own
# sub-makes make again (bin/function: make xpkg, make ci-example) is
# counted once per time it was made, and its time is inside theirs.
set -euo pipefail
log=${1:?usage: step-times.sh LOG}
[ -s "$log" ] || exit 0
awk '
  { if (!($1 in first) || $2 < first[$1]) first[$1] = $2
    wall[$1] += $3 - $2
    cpu[$1] += $4
    lines[$1]++
    if (t0 == "" || $2 < t0) t0 = $2 }
  END { for (t in first) printf "%.0f %s %.0f %.0f %d\n", first[t] - t0, t, wall[t], cpu[t], lines[t] }
' "$log" | sort -n | while read -r start target wall cpu lines; do
  echo "figure: test-step $target start +$start s, wall $wall s, cpu $cpu s$( [ "$lines" -gt 1 ] && echo ", $lines recipe lines")"
done
