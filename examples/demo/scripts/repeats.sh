# Counts the words of a made-up text (seed $SEED, $WORDS words) that occur more than once, and
# the distinct words.
set -e
awk -v seed="$SEED" -v words="$WORDS" -f in/gen-text.awk in/syllables.txt | tr -s ' ' '\n' > words.txt
sort words.txt | uniq -d | wc -l | tr -d ' ' > out/repeated.txt
sort -u words.txt | wc -l | tr -d ' ' > out/distinct.txt
