#!/usr/bin/env bash
# Train on a lent GPU machine in one command, inside a wall-clock budget:
#   scripts/train_gpu.sh CONFIG[,CONFIG...] [BUDGET_MIN] [vidiac-train arguments...]
# BUDGET_MIN (default 9) covers everything from this script's start: installing, reading the
# segment tables, training, the final evaluation on dev and saving each model directory.
# Several configs train in turn (a curriculum; a later stage's model.init_from names an earlier
# one's output) and share the budget in proportion to their train.max_minutes. Where vidiac is
# not installed (a bare machine, no network), it is installed from wheels/ (scripts/fetch_wheels.sh).
# Each config's train.table must be there (vidiac-train CONFIG --build-table, where the corpus is).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
usage="usage: scripts/train_gpu.sh CONFIG[,CONFIG...] [BUDGET_MIN] [vidiac-train arguments...]"
IFS=, read -ra configs <<< "${1:?$usage}"
shift
budget=9
if [[ ${1-} =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    budget=$1
    shift
fi

if ! "$python" -c 'import importlib.util as u, sys; sys.exit(not all(map(u.find_spec, ("vidiac", "datasets", "rapidfuzz"))))'; then
    if [[ ! -f wheels/requirements.txt ]]; then
        echo "train_gpu.sh: vidiac is not installed and wheels/ is missing: run scripts/fetch_wheels.sh" \
             "where PyPI is reachable and bring wheels/ along" >&2
        exit 1
    fi
    "$python" -m pip install -q --no-index --no-deps --find-links wheels -r wheels/requirements.txt
    "$python" -m pip install -q --no-index --no-deps --find-links wheels -e .
fi

# The machine has no network: nothing may wait on a hub. Logs go out as they come, so that a
# run stopped at its limit still shows how far it got.
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 PYTHONUNBUFFERED=1
# Seconds already spent (installing) come off the budget; vidiac-train counts from its own start.
left=$(awk -v b="$budget" -v s="$SECONDS" 'BEGIN { printf "%.3f", b - s / 60 }')
exec "$python" -m vidiac.train.run "${configs[@]}" --budget "$left" "$@"
