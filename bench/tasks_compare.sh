#!/bin/sh
# The supervised tasks' results in docs/RESULTS.md: each configuration
# trained by recur (`recur train --task ... --json --export-data`) and then
# by PyTorch on exactly the examples recur prepared (tools/seq_torch.py,
# same model, same loop and hyperparameters), one after the other, one
# thread each, on this machine.
#   bench/tasks_compare.sh music|classify|forecast [OUTDIR]  (default build/results)
# Environment: RECUR (the binary, default build/recur), TORCH=0 to skip
# PyTorch, THREADS (default 1), ONLY (a configuration name, e.g. gru).
set -eu
task=$1
out=${2:-build/results}/$task
data=${RECUR_DATA:-../shared/data}
recur=${RECUR:-build/recur}
threads=${THREADS:-1}
mkdir -p "$out"
{
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
    echo "recur: $($recur --version)  compiler: $(cc --version | head -1)"
    echo "torch: $(python3 -c 'import torch; print(torch.__version__)')"
    echo "started: $(date -u)"
} >> "$out/machine.txt"

# run NAME "RECUR OPTIONS" "SHARED MODEL/TRAINING OPTIONS"
run() {
    name=$1
    [ -n "${ONLY:-}" ] && [ "$ONLY" != "$name" ] && return 0
    start=$(date +%s.%N)
    $recur train --task "$task" $2 $3 --threads "$threads" --json --quiet \
        --save "$out/$name.safetensors" --export-data "$out/$name.data.safetensors" \
        > "$out/$name.recur.json"
    end=$(date +%s.%N)
    echo "{\"seconds\": $(echo "$end - $start" | bc)}" > "$out/$name.recur.time.json"
    torch=${TORCH:-1}
    [ "${4:-}" = notorch ] && torch=0
    if [ "$torch" != 0 ]; then
        python3 tools/seq_torch.py --task "$task" --data "$out/$name.data.safetensors" \
            $3 --threads "$threads" > "$out/$name.torch.json"
    fi
    echo "$name: recur $(cat "$out/$name.recur.json") $(cat "$out/$name.recur.time.json")"
    [ "$torch" != 0 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d.pop('history'); print('$name: torch', json.dumps(d))" "$out/$name.torch.json"
    return 0
}

case $task in
music)
    # Chung et al. 2014's comparison at ~20K parameters (their Table 2, JSB
    # test NLL per frame: tanh 9.10, GRU 8.54, LSTM 8.67), then larger
    # regularised models. Whole pieces, Adam, early stopping on validation.
    # Learning rates chosen by validation NLL among 1e-3, 3e-3 and 1e-2
    # (docs/RESULTS.md gives the sweep).
    jsb="--data $data/jsb_chorales"
    common="--batch 8 --epochs 400 --patience 20 --clip 1 --seed 1"
    run lstm "$jsb" "--cell lstm --hidden 36 --lr 3e-3 $common"
    run gru "$jsb" "--cell gru --hidden 43 --lr 1e-3 $common"
    run rnn "$jsb" "--cell rnn --hidden 82 --lr 1e-3 $common"
    run lstm_large "$jsb" "--cell lstm --hidden 256 --dropout 0.3 --lr 1e-3 $common"
    ;;
classify)
    common="--cell lstm --bidirectional --hidden 64 --embed 64 --lr 2e-3 --batch 32 --epochs 40 --patience 6 --clip 5 --seed 1"
    run sms_spam "--data $data/sms_spam/SMSSpamCollection --label-column first" "--pool last --dropout 0.3 $common"
    # The small sentiment sets: max pooling, dropout 0.5 and tokens seen
    # twice, chosen by the mean validation loss over the three sets.
    for s in amazon_cells imdb yelp; do
        run "$s" "--data $data/sentiment_labelled_sentences/${s}_labelled.txt --label-column last --min-count 2" "--pool max --dropout 0.5 $common"
    done
    ;;
forecast)
    ts=$data/timeseries
    common="--cell lstm --hidden 32 --lr 3e-3 --batch 16 --epochs 300 --patience 30 --clip 1 --seed 1"
    # Transforms and look-backs chosen by validation loss (docs/RESULTS.md).
    run airline "--data $ts/airline-passengers.csv --date Month --lookback 12 --horizon 1 --season 12 --test 24 --val 12 --log --difference" "$common"
    run airline_h12 "--data $ts/airline-passengers.csv --date Month --lookback 12 --horizon 12 --season 12 --test 35 --val 12 --log --difference" "$common"
    # Recursive: a one-step model fed back 12 times (the twin has no
    # recursion: recur only).
    run airline_h12_recursive "--data $ts/airline-passengers.csv --date Month --lookback 12 --horizon 12 --strategy recursive --season 12 --test 35 --val 12 --log --difference" "$common" notorch
    run temperatures "--data $ts/daily-min-temperatures.csv --date Date --lookback 30 --horizon 1 --season 365 --calendar" "$common"
    run sunspots "--data $ts/monthly-sunspots.csv --date Month --lookback 60 --horizon 1 --season 132 --difference" "$common"
    ;;
*)
    echo "usage: $0 music|classify|forecast [OUTDIR]" >&2
    exit 2
    ;;
esac
