"""``embviz.notebook.setup_notebook``: the first cell of every curated notebook."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

from embviz.notebook import setup_notebook


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


def test_silences_only_the_listed_warnings(tmp_path, monkeypatch, restored_options):
    monkeypatch.setitem(sys.modules, "transformers", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        setup_notebook(tmp_path)  # its filters go in front of "always"
        warnings.warn("IProgress not found. Please update jupyter and ipywidgets.")
        warnings.warn("The kopts argument is deprecated")
        warnings.warn("something else")
    assert [str(w.message) for w in caught] == ["something else"]


def test_import_is_light_and_hf_progress_bars_are_disabled(tmp_path):
    code = ("import sys, embviz.notebook; "
            "assert not {'torch', 'transformers', 'panel'} & set(sys.modules); "
            "embviz.notebook.setup_notebook(sys.argv[1]); "
            "from transformers.utils import logging; "
            "assert not logging.is_progress_bar_enabled(); "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "figures")], check=True)


def test_collect_warnings_summarises_once(capsys):
    import logging
    import warnings

    from embviz.notebook import collect_warnings

    with collect_warnings("block") as caught:
        for _ in range(3):
            warnings.warn("repeated")
        logging.getLogger("embviz.embed").warning("5 of 9 texts were truncated")
    assert sorted(caught) == ["5 of 9 texts were truncated"] + ["repeated"] * 3
    assert capsys.readouterr().out.strip() == (
        "block: 4 warnings (2 distinct): [3×] repeated; [1×] 5 of 9 texts were truncated")
    with collect_warnings("quiet"):
        pass
    assert capsys.readouterr().out.strip() == "quiet: no warnings"
