#!/usr/bin/env bash
# A small but complete slice of the graph through the real `dagster asset materialize` CLI, on a
# fresh DAGSTER_HOME: one template, a git repository made here, one synthetic world (12 queries),
# the six tasks, the three splits, a few fine-tuning steps of a tiny model built here (the loss
# must go down and the model must load as the default), and model evaluation of base, base +
# retrieval and fine-tuned. Any failed step or blocking check fails CI.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export DAGSTER_HOME="$work/home" IBERT_DATA_DIR="$work/data" IBERT_REPO_CACHE="$work/cache"
export IBERT_REPOS_FILE="$work/repos.txt" IBERT_MIN_TASK_EXAMPLES=1
mkdir -p "$DAGSTER_HOME"

.venv/bin/python - "$work" <<'PY'
import sys
from pathlib import Path
from ibert_assets_tests.mining_repo import make_mining_repo
from ibert_assets_tests.tiny_model import build_tiny_model
work = Path(sys.argv[1])
repo = make_mining_repo(work / "demo", marker=work / "code-ran")
(work / "repos.txt").write_text(f"{repo.working_dir}|demo\n")
build_tiny_model(work / "tiny-model")
PY
export IBERT_MODEL_NAME="$work/tiny-model" IBERT_LOCAL_FILES_ONLY=true IBERT_MAX_NEW_TOKENS=8

materialize() {
  echo "== $1 [$2]"
  .venv/bin/dagster asset materialize -m ibert_assets.definitions --select "$1" --partition "$2" \
    "${@:3}" > "$work/last.log" 2>&1 || { tail -40 "$work/last.log"; exit 1; }
}
materialize template_examples retail_orders
materialize augmented_examples retail_orders
materialize repo_snapshots,mined_examples,docs_examples demo
materialize synthetic_examples world-0000 --config-json \
  '{"ops": {"synthetic_examples": {"config": {"queries_per_world": 12}}}}'
for task in sql_to_ibis ibis_to_sql code_completion error_resolution qa documentation; do
  materialize multitask_examples "$task"
done
echo "== train_complete"
.venv/bin/dagster asset materialize -m ibert_assets.definitions --select train_complete \
  > "$work/last.log" 2>&1 || { tail -40 "$work/last.log"; exit 1; }
echo "== fine_tuned_model"
export IBERT_BASE_MODEL="$work/tiny-model"
.venv/bin/dagster asset materialize -m ibert_assets.definitions --select fine_tuned_model \
  --config-json '{"ops": {"fine_tuned_model": {"config": {"max_steps": 6, "eval_every": 3,
    "batch_size": 2, "learning_rate": 0.003, "max_length": 1024, "eval_examples": 8,
    "device": "cpu"}}}}' > "$work/last.log" 2>&1 || { tail -40 "$work/last.log"; exit 1; }
IBERT_MODEL_NAME="" .venv/bin/python - <<'PY'
import json
from ibert_inference.model.language_model import Model
from ibert_inference.settings import InferenceSettings
settings = InferenceSettings.from_environment()  # as the `ibert` command reads them
folder = settings.store.fine_tuned("tiny-model")
curve = json.loads((folder / "training.json").read_text())["report"]["curve"]
before, after = curve[0]["validation_loss"], curve[-1]["validation_loss"]
assert after < before, f"validation loss did not go down: {before} -> {after}"
resource = Model.from_settings(settings, device="cpu", max_new_tokens=4)
assert resource.choice().location == str(folder), resource.choice()
resource.generate([[{"role": "user", "content": "hello"}]])
print(f"fine-tuned: validation loss {before} -> {after}; loads as the default model")
PY
evaluation='{"ops": {"model_evaluation": {"config": {"sample_size": 10}}}}'
for task in sql_to_ibis ibis_to_sql code_completion error_resolution qa documentation; do
  materialize model_evaluation "$task" --config-json "$evaluation"
done
test ! -e "$work/code-ran"
echo "graph slice materialized: $(cat "$IBERT_DATA_DIR"/train_complete/*.jsonl | wc -l) training examples"
