#!/usr/bin/env bash
# Tune xgb and lgb on all nine targets (accuracy + eight device targets) with do_hpo.py, then
# install the tuned model configs into configs/model_configs/gradient_boosting/.
#
# Budget per run: WALLTIME_XGB=120 s for xgb and WALLTIME_LGB=75 s for lgb (or WALLTIME for both),
# on SMAC's own local Dask cluster of N_WORKERS=2 workers with one thread per trial. A run also
# spends ~10 s starting and finishes the trials still running when its budget ends, so the 18
# runs take about 9 x 150 + 9 x 100 s, i.e. ~40 minutes on a 2-core machine (the committed sweep
# took 47 minutes on a busy shared one; see docs/hpo.md).
#
#   shell/hpo_all.sh                                  # everything, defaults below
#   WALLTIME=300 FAMILIES=xgb shell/hpo_all.sh        # 300 s per run, xgb only
#   INSTALL=0 shell/hpo_all.sh                        # tune, but leave configs/ alone
#   LOG_DIR=experiments/hpo_pass2 TARGETS="tpuv3:throughput" WALLTIME=300 N_INITIAL=4 shell/hpo_all.sh
#                                                     # a second pass from the installed configs
#
# The search spaces are frozen into $LOG_DIR/search_spaces on the first call (copied from the
# configs/ in place then), so a sweep that is interrupted and started again resumes every run
# with the same space even after configs/ was updated. Each run resumes from its directory.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python}
WALLTIME_XGB=${WALLTIME_XGB:-${WALLTIME:-120}}
WALLTIME_LGB=${WALLTIME_LGB:-${WALLTIME:-75}}
N_WORKERS=${N_WORKERS:-2}
N_TRIALS=${N_TRIALS:-1000}     # walltime is the binding limit
SEED=${SEED:-0}
FAMILIES=${FAMILIES:-"xgb lgb"}
LOG_DIR=${LOG_DIR:-$ROOT/experiments/hpo_all}
SPLIT_DIR=${SPLIT_DIR:-}       # default: do_hpo.py's default (the published split if available)
INSTALL=${INSTALL:-1}
TARGETS=${TARGETS:-"accuracy a100:throughput 3090:throughput tpuv2:throughput tpuv3:throughput zcu102:throughput zcu102:latency vck190:throughput vck190:latency"}
N_INITIAL=${N_INITIAL:-}       # Sobol initial design size (default: do_hpo.py's, 10 here)
CONFIGS=$ROOT/configs/model_configs/gradient_boosting
SPACES=$LOG_DIR/search_spaces

mkdir -p "$SPACES"
extra_args=()
if [[ -n $SPLIT_DIR ]]; then extra_args=(--data_splits_root "$SPLIT_DIR"); fi
if [[ -n $N_INITIAL ]]; then extra_args+=(--n-initial "$N_INITIAL"); fi

config_name() {  # family target -> file name, as anb.model_config.config_file_name
    if [[ $2 == accuracy ]]; then echo "$1_configspace.json"; else echo "$1_accel_${2%%:*}_${2##*:}_configspace.json"; fi
}

sweep_start=$SECONDS
for family in $FAMILIES; do
    case $family in xgb) walltime=$WALLTIME_XGB ;; lgb) walltime=$WALLTIME_LGB ;; *) walltime=${WALLTIME:-120} ;; esac
    for target in $TARGETS; do
        name=$(config_name "$family" "$target")
        [[ -f $SPACES/$name ]] || cp "$CONFIGS/$name" "$SPACES/$name"
        if [[ $target == accuracy ]]; then
            model=$family; target_args=(); run_dir=$LOG_DIR/$model/seed-$SEED
        else
            model=${family}_accel; target_args=(--device "${target%%:*}" --metric "${target##*:}")
            run_dir=$LOG_DIR/$model/${target%%:*}/${target##*:}/seed-$SEED
        fi
        start=$SECONDS
        echo "== $model $target (walltime ${walltime}s, ${N_WORKERS} worker(s))"
        "$PYTHON" "$ROOT/do_hpo.py" --model "$model" "${target_args[@]}" "${extra_args[@]}" \
            --model_config_path "$SPACES/$name" --log_dir "$LOG_DIR" --seed "$SEED" \
            --n-trials "$N_TRIALS" --walltime "$walltime" --n-workers "$N_WORKERS" --quiet
        echo "   $(( SECONDS - start )) s, $(( $(wc -l < "$run_dir/runhistory.csv") - 1 )) trials"
        if [[ $INSTALL == 1 ]]; then cp "$run_dir/$name" "$CONFIGS/$name"; fi
    done
done
echo "sweep done in $(( SECONDS - sweep_start )) s; logs in $LOG_DIR"
