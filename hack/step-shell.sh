#!/usr/bin/env bash
# make's SHELL while `make test` runs its steps (Makefile: PAVED_STEP_LOG).
# Runs one recipe line as make would (bash -euo pipefail -c LINE; make
# passes the target first: .SHELLFLAGS = $@ ...) and appends to the log
# the target, the line's start and end (seconds since the epoch) and the
# CPU (user + system) of what it ran, so that hack/step-times.sh can say
# which step held make test up and what it cost. bash's `times` (second
# line: the children waited for) needs nothing a CI machine lacks.
target=$1
shift
start=$(date +%s.%N)
rc=0
bash "$@" || rc=$?
end=$(date +%s.%N)
# times in this shell, not in $(...) or <(...): a subshell's times
# reports the subshell's children, none.
tmp=$PAVED_STEP_LOG.$$
times >"$tmp"
{ read -r _ _; read -r u s; } <"$tmp"
rm -f "$tmp"
cpu=$(awk -v u="$u" -v s="$s" 'function sec(t, m) { m = t; sub(/m.*/, "", m); sub(/^[0-9]+m/, "", t); sub(/s$/, "", t); return m * 60 + t }
  BEGIN { printf "%.1f", sec(u) + sec(s) }')
printf '%s %s %s %s\n' "$target" "$start" "$end" "$cpu" >>"$PAVED_STEP_LOG"
exit $rc
