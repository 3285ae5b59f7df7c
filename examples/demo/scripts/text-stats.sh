# Makes up $WORDS words of text from seed $SEED, then counts its words, lines and bytes.
set -e
awk -v seed="$SEED" -v words="$WORDS" -f in/gen-text.awk in/syllables.txt > out/text.txt
tr -s ' ' '\n' < out/text.txt | sort | uniq -c | sort -k1,1nr -k2 | head -n 20 > out/top-words.txt
wc < out/text.txt > out/wc.txt
cksum < out/text.txt > out/cksum.txt
