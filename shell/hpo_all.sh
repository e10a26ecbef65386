#!/usr/bin/env bash
# Tune xgb and lgb on all nine targets (accuracy + eight device targets) with do_hpo.py, for
# validation Kendall tau and prediction cost together, then install the picked model configs (the
# cheapest whose tau, for the candidates a 5-fold cross-validation mean, is within --tolerance of the best) into
# configs/model_configs/gradient_boosting/.
#
# Budget per run: WALLTIME_XGB=150 s for xgb and WALLTIME_LGB=100 s for lgb (or WALLTIME for both),
# on SMAC's own local Dask cluster of N_WORKERS=2 workers with one thread per trial. A run also
# spends ~10 s starting and finishes the trials still running when its budget ends.
#
#   shell/hpo_all.sh                                  # everything, defaults below
#   WALLTIME=300 FAMILIES=xgb shell/hpo_all.sh        # 300 s per run, xgb only
#   INSTALL=0 shell/hpo_all.sh                        # tune, but leave configs/ alone
#   TOLERANCE=0.005 shell/hpo_all.sh                  # another pick tolerance (a finished run is only re-picked)
#
# File names and run directories come from the package (do_hpo.py --print-paths). The search
# spaces are frozen into $LOG_DIR/search_spaces on the first call (copied from configs/ then), so a
# sweep that is interrupted and started again resumes every run with the same space even after
# configs/ was updated. Each run resumes from its directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python}
WALLTIME_XGB=${WALLTIME_XGB:-${WALLTIME:-150}}
WALLTIME_LGB=${WALLTIME_LGB:-${WALLTIME:-100}}
N_WORKERS=${N_WORKERS:-2}
N_TRIALS=${N_TRIALS:-1000}     # walltime is the binding limit
SEED=${SEED:-0}
TOLERANCE=${TOLERANCE:-}       # the pick's tau tolerance (default: do_hpo.py's)
FAMILIES=${FAMILIES:-"xgb lgb"}
LOG_DIR=${LOG_DIR:-$ROOT/experiments/hpo_all}
# The published split when the dataset copy has it (tuning never sees its test side), else do_hpo.py's default.
PUBLISHED_SPLIT=${ANB_DATA_DIR:+$ANB_DATA_DIR/default_split}
SPLIT_DIR=${SPLIT_DIR:-$( [[ -n $PUBLISHED_SPLIT && -f $PUBLISHED_SPLIT/train_paths.json ]] && echo "$PUBLISHED_SPLIT" || true )}
INSTALL=${INSTALL:-1}
TARGETS=${TARGETS:-"accuracy a100:throughput 3090:throughput tpuv2:throughput tpuv3:throughput zcu102:throughput zcu102:latency vck190:throughput vck190:latency"}
N_INITIAL=${N_INITIAL:-}       # Sobol initial design size (default: do_hpo.py's, 10 here)
SPACES=$LOG_DIR/search_spaces

mkdir -p "$SPACES"
extra_args=()
if [[ -n $TOLERANCE ]]; then extra_args+=(--tolerance "$TOLERANCE"); fi
if [[ -n $SPLIT_DIR ]]; then extra_args+=(--data_splits_root "$SPLIT_DIR"); fi
if [[ -n $N_INITIAL ]]; then extra_args+=(--n-initial "$N_INITIAL"); fi

sweep_start=$SECONDS
for family in $FAMILIES; do
    case $family in xgb) walltime=$WALLTIME_XGB ;; lgb) walltime=$WALLTIME_LGB ;; *) walltime=${WALLTIME:-120} ;; esac
    for target in $TARGETS; do
        if [[ $target == accuracy ]]; then
            model=$family; target_args=()
        else
            model=${family}_accel; target_args=(--device "${target%%:*}" --metric "${target##*:}")
        fi
        run_args=(--model "$model" "${target_args[@]}" --log_dir "$LOG_DIR" --seed "$SEED")
        declare -A path=()
        while IFS=$'\t' read -r key value; do path[$key]=$value; done < <("$PYTHON" "$ROOT/do_hpo.py" "${run_args[@]}" --print-paths)
        name=$(basename "${path[config_file]}")
        [[ -f $SPACES/$name ]] || cp "${path[default_config]}" "$SPACES/$name"
        start=$SECONDS
        echo "== $model $target (walltime ${walltime}s, ${N_WORKERS} worker(s))"
        "$PYTHON" "$ROOT/do_hpo.py" "${run_args[@]}" "${extra_args[@]}" --model_config_path "$SPACES/$name" \
            --n-trials "$N_TRIALS" --walltime "$walltime" --n-workers "$N_WORKERS" --quiet | grep '^picked'
        echo "   $(( SECONDS - start )) s, $(( $(wc -l < "${path[run_dir]}/runhistory.csv") - 1 )) trials"
        if [[ $INSTALL == 1 ]]; then cp "${path[config_file]}" "${path[package_config]}"; fi
        unset path
    done
done
echo "sweep done in $(( SECONDS - sweep_start )) s; logs in $LOG_DIR"
