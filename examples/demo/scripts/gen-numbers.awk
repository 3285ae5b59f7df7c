# Prints `count` pseudo-random whole numbers below one million, one a line.
# Usage: awk -v seed=7 -v count=1000 -f gen-numbers.awk
# The generator is Park-Miller, as in gen-text.awk: the same numbers on every machine.
BEGIN {
  x = seed
  for (i = 1; i <= count; i++) {
    x = (x * 16807) % 2147483647
    print x % 1000000
  }
}
