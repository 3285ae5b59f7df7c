# Prints `words` made-up words, twelve to a line, built from the syllables it reads (one a line).
# Usage: awk -v seed=7 -v words=1000 -f gen-text.awk syllables.txt
# The generator is Park-Miller (x = 16807 x mod 2^31 - 1): exact in the doubles of every awk, so a
# seed gives the same text on every machine.
{ syllable[++n] = $1 }
END {
  x = seed
  for (i = 1; i <= words; i++) {
    x = (x * 16807) % 2147483647
    parts = x % 3 + 1
    word = ""
    for (j = 0; j < parts; j++) {
      x = (x * 16807) % 2147483647
      r = x % n
      # Half the time pick among the first eight syllables: some words become far more common.
      if (x % 2 == 0) r = r % 8
      word = word syllable[r + 1]
    }
    printf "%s%s", word, (i % 12 == 0 || i == words ? "\n" : " ")
  }
}
