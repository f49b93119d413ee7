"""Every curated notebook runs end to end at small sizes and writes its figures.

Select with ``pytest -k notebooks``. Each notebook is executed by papermill in a temporary
working directory (so ``figures/`` lands there), with the parameters below injected over the
notebook's own (already small) defaults. Embeddings come from the shared on-disk cache, so a
second run skips the models' forward passes.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path

import pytest
from conftest import needs_chromium

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

#: Parameters per notebook for CI (smaller than or equal to each notebook's defaults).
SMALL = {
    "01_quickstart": {"N": 600, "LOCAL_K": 32},
    "02_hubness_reduction": {"N": 300, "N_RESAMPLES": 200},
    "03_redundancy_isotropy_id": {"N": 400, "DIMS": [8, 64, 384], "N_DRAWS": 2,
                                  "N_SEEDS": 2, "N_RESAMPLES": 200},
    "04_whitening": {"MODELS": {"minilm": ["mean", "cls", "max"]}, "WHITEN_KS": [32],
                     "SENTENCE_FIT": {"minilm": ["mean"]}, "N_RESAMPLES": 200},
    "05_local_id_training": {"N_TRAIN": 100, "N_VAL": 60, "N_OOD": 60, "SEEDS": [0],
                             "STEPS": 8, "EVAL_EVERY": 2, "LOCAL_K": 20, "MAX_TOKENS": 400,
                             "N_PERMUTATIONS": 999, "SMOL_TEXTS": 20,
                             "SMOL_LAYERS": [1, 30], "TOKEN_LOCAL_K": 24},
    "06_sae_concepts": {"WORDNET_N": 4000, "STEPS": 200, "BIBLE_VERSES": 1000,
                        "BIBLE_STEPS": 300, "N_PERMUTATIONS": 5, "N_RESAMPLES": 200},
    "07_drift": {"N_VERSES": 1000, "N_PERMUTATIONS": 200, "POWER_SIZES": [10, 40],
                 "POWER_SHARES": [0.0, 0.5, 1.0], "N_RESAMPLES": 6, "PERIODS": 5,
                 "PER_PERIOD": 60, "ICL_QUERIES": 10, "ICL_POOL": 20, "K_SHOT": 1},
    "08_model_comparison": {"N": 300, "K": 10, "N_ANCHORS": 100, "N_PERMUTATIONS": 20,
                            "MAP": "pca"},
    "09_layerwise_geometry": {"N": 300, "LOCAL_K": 32,
                              "LAYERS": {"minilm": [0, 3, 6], "smollm2-135m": [0, 15, 30]},
                              "DIMS": [32, 128, 384], "N_DRAWS": 2, "N_RESAMPLES": 100,
                              "N_TOKEN_TEXTS": 20},
    "10_unsupervised_alignment": {"N_FIT": 300, "N_TEST": 300, "DIMS": [8, 16],
                                  "MAX_ITER": 20, "SIZES": [], "N_RESAMPLES": 20},
    "11_embedding_limits": {"DIMS": [3, 4, 5], "REPEAT_DIMS": [3], "N_SEEDS": 2,
                            "PATIENCE": 200, "MAX_STEPS": 2000, "POLYTOPE_N": 30,
                            "N_PEOPLE": 10, "N_QUERIES": 45, "N_DISTRACTORS": 40,
                            "MODELS": ["minilm"]},
}


def _kernel() -> str:
    from jupyter_client.kernelspec import KernelSpecManager

    return "embviz" if "embviz" in KernelSpecManager().find_kernel_specs() else "python3"


def test_every_notebook_has_small_parameters():
    assert sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) == sorted(SMALL)


def _parameters_cell_names(name: str) -> set[str]:
    notebook = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if "parameters" in c["metadata"].get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    return {target.id for node in tree.body if isinstance(node, ast.Assign)
            for target in ast.walk(node) if isinstance(target, ast.Name)
            and isinstance(target.ctx, ast.Store)}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_injected_parameters_exist_in_parameters_cell(name):
    """papermill silently injects unknown names: a renamed parameter must be renamed here too."""
    spec = importlib.util.spec_from_file_location("run_full_size", NOTEBOOKS / "run_full_size.py")
    run_full_size = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run_full_size)
    known = _parameters_cell_names(name)
    assert set(SMALL[name]) <= known, set(SMALL[name]) - known
    assert set(run_full_size.FULL[name]) <= known, set(run_full_size.FULL[name]) - known


@needs_chromium
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebooks_run_and_export_figures(name, tmp_path):
    import papermill

    papermill.execute_notebook(str(NOTEBOOKS / f"{name}.ipynb"), str(tmp_path / f"{name}.ipynb"),
                               parameters=SMALL[name], kernel_name=_kernel(), cwd=str(tmp_path),
                               progress_bar=False)
    pdfs = sorted((tmp_path / "figures").glob(f"{name[:2]}_*.pdf"))
    assert pdfs, f"{name} wrote no PDF figure"
    for pdf in pdfs:
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.with_suffix(".png").stat().st_size
