# Shell helpers for the script tests: source it.
#
# pa_free_range N: prints "FIRST-LAST", N ports in a row on which no socket
# of this network namespace sits now (checked with ss), picked at random in
# the registered range below the usual ephemeral ranges.  In a private
# namespace (tests/netns.sh) every range is free; on a shared host this
# keeps the test off ports that other programs hold.
pa_free_range() {
  local n=$1 try first last busy
  for try in $(seq 1 50); do
    first=$(( (RANDOM % 400) * 50 + 12000 ))
    last=$(( first + n - 1 ))
    busy=$(ss -Htuan "( sport >= :$first and sport <= :$last )" 2>/dev/null |
      wc -l)
    if [ "$busy" -eq 0 ]; then
      echo "$first-$last"
      return 0
    fi
  done
  echo "pa_free_range: no $n free ports in a row found" >&2
  return 1
}
