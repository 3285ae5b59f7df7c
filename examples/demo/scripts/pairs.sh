# Finds the twenty most common pairs of neighbouring words in a made-up text (seed $SEED,
# $WORDS words).
set -e
awk -v seed="$SEED" -v words="$WORDS" -f in/gen-text.awk in/syllables.txt |
  awk '{ for (i = 1; i < NF; i++) print $i, $(i + 1) }' |
  sort | uniq -c | sort -k1,1nr -k2 | head -n 20 > out/top-pairs.txt
