#!/usr/bin/env bash
# Prints, from the log hack/step-shell.sh wrote, each make target's
# `figure: test-step <target> start +<s> s, wall <s> s, cpu <s> s` in the
# order they started: start is from the first line any step ran, wall from
# the target's first recipe line starting to its last ending (a step
# waiting on a tool another step builds shows wall without CPU), cpu the
# sum over its lines. A target made by a step's own sub-make is listed
# too, and its time is inside that step's.
set -euo pipefail
log=${1:?usage: step-times.sh LOG}
[ -s "$log" ] || exit 0
awk '
  { if (!($1 in first) || $2 < first[$1]) first[$1] = $2
    if ($3 > last[$1]) last[$1] = $3
    cpu[$1] += $4
    if (t0 == "" || $2 < t0) t0 = $2 }
  END { for (t in first) printf "%.0f %s %.0f %.0f\n", first[t] - t0, t, last[t] - first[t], cpu[t] }
' "$log" | sort -n | while read -r start target wall cpu; do
  echo "figure: test-step $target start +$start s, wall $wall s, cpu $cpu s"
done
