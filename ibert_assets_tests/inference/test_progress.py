"""Progress shows on a terminal only, and clears its line when the work ends."""

import io

from ibert_inference.model.progress import report, reporting_to, terminal_progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_one_rewritten_line_cleared_at_the_end():
    stream = Terminal()
    with terminal_progress(stream):
        report("loading model")
        report("generating: 3 tokens")
    text = stream.getvalue()
    assert text == "\r\x1b[Kloading model\r\x1b[Kgenerating: 3 tokens\r\x1b[K"


def test_a_pipe_or_file_gets_nothing():
    stream = io.StringIO()
    with terminal_progress(stream):
        report("loading model")
    assert stream.getvalue() == ""


def test_reporters_nest_and_are_restored():
    outer: list[str] = []
    inner: list[str] = []
    with reporting_to(outer.append):
        with reporting_to(inner.append):
            report("a")
        report("b")
    report("c")
    assert (outer, inner) == (["b"], ["a"])
