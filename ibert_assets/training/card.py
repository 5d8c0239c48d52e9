"""The model card written beside a fine-tuned model: what it was trained on, how, how it went."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ibert_assets.training.report import TrainingReport, TrainingSettings


def model_card(report: TrainingReport, settings: TrainingSettings) -> str:
    """A Hugging Face model card (YAML front matter + Markdown) naming data and settings."""
    first, last = report.curve[0], report.curve[-1]
    rows = "\n".join(
        f"| {p['step']:g} | {p['train_loss']} | {p['validation_loss']} | {p['tokens']:g} | "
        f"{p['tokens_per_second']} |"
        for p in report.curve
    )
    tasks = ", ".join(settings.tasks) or "all six tasks"
    fingerprint = report.data_fingerprint or "unknown"
    return f"""---
library_name: transformers
base_model: {report.base_model}
tags: [ibis, sql, code, ibert]
---

# Fine-tuned on iBERT verified Ibis examples

- Base model: `{report.base_model}`
- Training data: `train_complete` (train split), fingerprint `{fingerprint}`; validated on
  the validation split; tasks: {tasks}
- Method: {report.method} fine-tuning ({report.trainable_parameters:,} of {report.parameters:,}
  parameters trained), on {report.device} with mixed precision `{report.precision}`
- Prompts: those of `ibert_inference.model.prompts`, the ones the tasks send when serving
- Ran {report.steps} steps, {report.tokens:,} tokens in {report.seconds:.0f} s
  ({report.tokens_per_second:.1f} tokens/s in training steps); stopped at {report.stopped_because}
- Validation loss: {first["validation_loss"]} before, {last["validation_loss"]} after

| step | train loss | validation loss | tokens | tokens/s |
|---:|---:|---:|---:|---:|
{rows}

## Settings

```json
{json.dumps(asdict(settings), indent=2)}
```

## Examples kept and dropped

```json
{json.dumps(report.counts, indent=2, sort_keys=True)}
```
"""
