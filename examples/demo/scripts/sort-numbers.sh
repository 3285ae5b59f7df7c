# Sorts $COUNT pseudo-random numbers from seed $SEED and reports on them. The sorted list itself
# stays in the sandbox: only what is under out/ is kept.
set -e
awk -v seed="$SEED" -v count="$COUNT" -f in/gen-numbers.awk > numbers.txt
sort -n numbers.txt > sorted.txt
head -n 10 sorted.txt > out/smallest.txt
tail -n 10 sorted.txt > out/largest.txt
lines=$(wc -l < sorted.txt)
sed -n "$(( (lines + 1) / 2 ))p" sorted.txt > out/median.txt
uniq sorted.txt | wc -l | tr -d ' ' > out/distinct.txt
cksum < sorted.txt > out/cksum.txt
