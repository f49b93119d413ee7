"""``embviz.notebook.setup_notebook``: the first cell of every curated notebook."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from embviz.notebook import setup_notebook, warnings_summary


@pytest.fixture
def restored_options():
    """Undo the global pandas options and warnings filters that setup_notebook sets."""
    with warnings.catch_warnings():
        yield
    pd.reset_option("display.precision")
    pd.reset_option("display.max_colwidth")


def test_creates_folder_and_sets_pandas_options(tmp_path, monkeypatch, restored_options):
    monkeypatch.setitem(sys.modules, "transformers", None)  # also runs without transformers
    folder = setup_notebook(tmp_path / "out" / "figures", precision=3, max_colwidth=90)
    assert folder == tmp_path / "out" / "figures" and folder.is_dir()
    assert pd.get_option("display.precision") == 3
    assert pd.get_option("display.max_colwidth") == 90
    assert setup_notebook(folder) == folder  # an existing folder is fine


def test_default_folder_is_relative_to_working_directory(tmp_path, monkeypatch,
                                                         restored_options):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "transformers", None)
    assert setup_notebook() == Path("figures")
    assert (tmp_path / "figures").is_dir()
    assert pd.get_option("display.precision") == 4


def test_shows_each_kind_of_warning_once_and_silences_the_listed(tmp_path, monkeypatch,
                                                                  restored_options, capsys):
    monkeypatch.setitem(sys.modules, "transformers", None)
    setup_notebook(tmp_path)
    warnings.warn("IProgress not found. Please update jupyter and ipywidgets.")
    warnings.warn("The kopts argument is deprecated")
    warnings.warn("Widget.name is deprecated", PendingDeprecationWarning)
    for excluded in range(36):  # the same warning from 36 calls, numbers aside
        warnings.warn(f"twonn: excluded {excluded} of 5000 points", UserWarning)
    warnings.warn("something else", RuntimeWarning)
    shown = capsys.readouterr().err
    assert shown.count("twonn: excluded") == 1 and "excluded 0 of 5000" in shown
    assert "RuntimeWarning: something else" in shown
    assert "IProgress" not in shown and "kopts" not in shown and "Widget" not in shown
    summary = warnings_summary()
    assert summary.to_dict("list") == {
        "category": ["UserWarning", "RuntimeWarning"], "times": [36, 1],
        "first": ["twonn: excluded 0 of 5000 points", "something else"]}


def test_import_is_light_and_hf_progress_bars_are_disabled(tmp_path):
    code = ("import sys, embviz.notebook; "
            "assert not {'torch', 'transformers', 'panel'} & set(sys.modules); "
            "embviz.notebook.setup_notebook(sys.argv[1]); "
            "from transformers.utils import logging; "
            "assert not logging.is_progress_bar_enabled(); "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "figures")], check=True)


def test_summarised_messages_prints_each_message_once(capsys):
    import logging
    import warnings

    from embviz.notebook import summarised_messages

    with summarised_messages() as collected:
        for n in (3, 5):
            logging.getLogger("embviz.embed.encoder").warning("%d texts were truncated", n)
        warnings.warn("slow", UserWarning)
        warnings.warn("slow", UserWarning)
        for n in (656, 1_730):  # the same warning with other counts: one kind
            warnings.warn(f"excluded {n:,} point(s) with a duplicate", UserWarning)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(collected) == 6
    assert out == ["2 × (embviz.embed.encoder) 3 texts were truncated (the first of them)",
                   "2 × (UserWarning) slow (the first of them)",
                   "2 × (UserWarning) excluded 656 point(s) with a duplicate (the first of them)"]
