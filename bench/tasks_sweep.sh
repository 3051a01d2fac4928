#!/bin/sh
# The selection runs behind the configurations of bench/tasks_compare.sh and
# the side figures in docs/RESULTS.md (recur only, 1 thread, seed 1 unless
# said): one JSON line per run, prefixed by its name, on stdout.
#   bench/tasks_sweep.sh music|music_sets|classify|forecast [OUTDIR]
# Environment: RECUR (default build/recur).
set -eu
what=$1
out=${2:-build/results}/sweep_$what
data=${RECUR_DATA:-../shared/data}
recur=${RECUR:-build/recur}
mkdir -p "$out"

# one NAME TASK OPTIONS...: one training, its JSON line printed as "NAME {...}"
one() {
    name=$1 task=$2
    shift 2
    echo "$name $($recur train --task "$task" "$@" --threads 1 --json --quiet \
        --save "$out/$name.safetensors")"
}

case $what in
music)  # learning rates at ~21K parameters, then larger models (JSB)
    jsb="--data $data/jsb_chorales --batch 8 --epochs 400 --patience 20 --clip 1 --seed 1"
    for lr in 1e-3 3e-3 1e-2; do
        one "lstm_$lr" music $jsb --cell lstm --hidden 36 --lr $lr
        one "gru_$lr" music $jsb --cell gru --hidden 43 --lr $lr
        one "rnn_$lr" music $jsb --cell rnn --hidden 82 --lr $lr
    done
    one lstm256_d3 music $jsb --cell lstm --hidden 256 --dropout 0.3 --lr 1e-3
    one lstm256_d5 music $jsb --cell lstm --hidden 256 --dropout 0.5 --lr 1e-3
    one gru256_d3 music $jsb --cell gru --hidden 256 --dropout 0.3 --lr 1e-3
    one gru2x192_d4 music $jsb --cell gru --hidden 192 --layers 2 --dropout 0.4 --lr 1e-3
    ;;
music_sets)  # the large configuration on the other three sets
    for set in nottingham musedata piano_midi; do
        one "$set" music --data "$data/$set" --cell lstm --hidden 256 --dropout 0.3 \
            --lr 1e-3 --batch 8 --epochs 400 --patience 20 --clip 1 --seed 1 --max-len 200
    done
    ;;
classify)  # seven configurations on the sentiment sets, seeds on yelp, the sets pooled
    s=$data/sentiment_labelled_sentences
    base="--label-column last --min-count 1 --bidirectional --hidden 64 --embed 64 --lr 2e-3 --batch 32 --epochs 40 --patience 6 --clip 5"
    for cfg in "last|--pool last --dropout 0.3" "mean|--pool mean --dropout 0.3" \
        "max|--pool max --dropout 0.3" "max_d5|--pool max --dropout 0.5" \
        "mean_d5_e32|--pool mean --dropout 0.5 --embed 32 --hidden 32" \
        "max_gru_d5|--cell gru --pool max --dropout 0.5" \
        "max_mc2|--pool max --dropout 0.5 --min-count 2"; do
        for set in amazon_cells imdb yelp; do
            # shellcheck disable=SC2086  # the options are meant to split
            one "${cfg%%|*}_$set" classify --data "$s/${set}_labelled.txt" $base --seed 1 ${cfg#*|}
        done
    done
    for seed in 1 2 3 4 5; do
        one "yelp_seed$seed" classify --data "$s/yelp_labelled.txt" $base --min-count 2 \
            --pool max --dropout 0.5 --seed $seed
    done
    cat "$s/amazon_cells_labelled.txt" "$s/imdb_labelled.txt" "$s/yelp_labelled.txt" > "$out/all3.txt"
    for cfg in "last|--pool last --dropout 0.3" "gru_max|--pool max --dropout 0.5 --cell gru" \
        "mean|--pool mean --dropout 0.5"; do
        one "all3_${cfg%%|*}" classify --data "$out/all3.txt" $base --seed 1 ${cfg#*|}
    done
    ;;
forecast)  # look-backs and transforms, chosen by validation loss
    ts=$data/timeseries
    base="--cell lstm --hidden 32 --lr 3e-3 --batch 16 --epochs 300 --patience 30 --clip 1 --seed 1"
    for lb in 24 60 132; do
        one "sunspots_lb$lb" forecast --data "$ts/monthly-sunspots.csv" --date Month --lookback $lb --season 132 $base
        one "sunspots_lb${lb}_diff" forecast --data "$ts/monthly-sunspots.csv" --date Month --lookback $lb --season 132 --difference $base
    done
    for opt in plain --calendar --difference; do
        # shellcheck disable=SC2046
        one "temperatures_${opt#--}" forecast --data "$ts/daily-min-temperatures.csv" --date Date \
            --lookback 30 --season 365 $base $( [ "$opt" = plain ] || echo "$opt" )
    done
    ;;
*)
    echo "usage: $0 music|music_sets|classify|forecast [OUTDIR]" >&2
    exit 2
    ;;
esac
