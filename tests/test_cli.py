"""The `embviz` command end to end (a real subprocess, a real model, a small corpus)."""

import os
import subprocess
import sys

import pandas as pd
import pytest
from conftest import HAS_CHROMIUM

from embviz import EmbeddingSet


def run(*args, cache, check=True):
    env = {**os.environ, "EMBVIZ_CACHE": str(cache), "HF_HUB_OFFLINE": "1"}
    out = subprocess.run([sys.executable, "-m", "embviz.cli", *args], capture_output=True,
                         text=True, env=env)
    if check:
        assert out.returncode == 0, out.stderr
    return out


def test_help_explains_itself(tmp_path):
    out = run("--help", cache=tmp_path).stdout
    assert "embed" in out and "examples:" in out
    assert "--layers" in run("embed", "--help", cache=tmp_path).stdout


def test_models_and_datasets(tmp_path):
    assert "minilm" in run("models", cache=tmp_path).stdout
    assert "wordnet" in run("datasets", cache=tmp_path).stdout


def test_embed_bundled_corpus(tmp_path):
    out = run("embed", "lee", "--device", "cpu", "--out", str(tmp_path / "lee"),
              cache=tmp_path / "cache")
    es = EmbeddingSet.load(tmp_path / "lee")
    assert es.vectors.shape == (50, 384) and "wrote" in out.stdout
    assert es.provenance["model"]["name"] == "minilm" and es.provenance["pooling"] == "mean"


def test_embed_user_file_with_layers_and_prompt(tmp_path):
    pd.DataFrame({"body": ["one text", "another text", "a third"], "topic": list("xyx")}
                 ).to_csv(tmp_path / "my.csv", index=False)
    run("embed", str(tmp_path / "my.csv"), "--text-column", "body", "--label-column", "topic",
        "--layers", "0,-1", "--prompt", "query: ", "--pooling", "cls", "--out",
        str(tmp_path / "out"), cache=tmp_path / "cache")
    first, last = (EmbeddingSet.load(tmp_path / "out" / f"layer_{i:02d}") for i in (0, 6))
    assert first.meta["label"].tolist() == ["x", "y", "x"]
    assert last.provenance["prompt"] == "query: " and last.provenance["layer"] == 6
    assert not (first.vectors == last.vectors).all()


def test_summary_writes_table_and_map(tmp_path):
    out = run("summary", "fortunes", "--n", "120", "--device", "cpu", "--out",
              str(tmp_path / "res"), "--ci", cache=tmp_path / "cache")
    table = pd.read_csv(tmp_path / "res" / "summary.csv").set_index("metric")
    assert 0 < table.loc["isoscore", "value"] < 1
    # every measure has its interval and method, but local ID at local_k=119 on 120 texts:
    # a half-sample cannot hold its neighbourhood, and the row says so
    local = table.index.str.startswith("local_intrinsic")
    measures = table.drop(["n", "d"])
    assert measures.loc[~local[2:], ["ci_low", "ci_high"]].notna().all().all()
    half_sampled = measures.loc[~local[2:]].drop("twonn_calibrated")
    assert half_sampled["parameters"].str.contains("ci=complementary half-samples").all()
    assert "through the calibration" in table.loc["twonn_calibrated", "parameters"]
    curve = pd.read_csv(tmp_path / "res" / "id_scales.csv")
    assert set(curve["estimator"]) == {"Gride", "TwoNN, decimated"}
    assert (curve["ci_low"] < curve["intrinsic_dimension"]).all()
    assert table.loc[local, "ci_low"].isna().all()
    assert table.loc[local, "parameters"].str.contains("ci=none: a half-sample of 60").all()
    assert "95% intervals by half-sampling" in out.stdout
    assert (tmp_path / "res" / "map.html").stat().st_size > 10_000
    if HAS_CHROMIUM:
        assert (tmp_path / "res" / "map.png").exists() and (tmp_path / "res" / "map.pdf").exists()
        assert (tmp_path / "res" / "id_scales.pdf").stat().st_size > 5_000
    assert "IsoScore" in out.stdout and "p_value" not in out.stdout  # display names


@pytest.mark.parametrize("args, message", [
    (["embed", "nosuchcorpus", "--out", "x"], "neither a bundled corpus"),
    (["embed", "lee", "--model", "nope", "--out", "x"], "Available names"),
    (["embed", "lee", "--layers", "1,a", "--out", "x"], "comma-separated integers"),
    (["embed", "lee", "--layers", "12", "--out", "x"], "out of range"),
])
def test_bad_arguments_fail_clearly(tmp_path, args, message):
    out = run(*args, cache=tmp_path, check=False)
    assert out.returncode != 0 and message in out.stderr


def test_summary_writes_the_landscape(tmp_path):
    """Regions, map trust, duplicates, outliers and leakage next to the report: planted
    copies of training texts in the test split are found, with both texts."""
    from embviz import load_dataset

    texts = load_dataset("fortunes", n=120)["text"].tolist()
    train, test = texts[:80], texts[80:]
    test[:4] = [t.upper() + " " for t in train[:4]]  # near copies of 4 training texts
    test[4] = train[10]  # and an exact one
    pd.DataFrame({"text": train + test, "split": ["train"] * 80 + ["test"] * 40}).to_csv(
        tmp_path / "corpus.csv", index=False)
    out = run("summary", str(tmp_path / "corpus.csv"), "--device", "cpu", "--out",
              str(tmp_path / "res"), "--leakage", "split:train:test", cache=tmp_path / "cache")
    res = tmp_path / "res"
    regions = pd.read_csv(res / "regions.csv")
    assert sorted(regions["level"].unique()) == [0, 1, 2] and regions["name"].str.len().gt(0).all()
    points = pd.read_csv(res / "points.csv")
    assert len(points) == 120
    assert {"level_0", "level_2", "lof", "tte_depth", "map_knn_recall"} <= set(points.columns)
    assert set(pd.read_csv(res / "map_trust.csv")["metric"]) == {
        "knn_recall", "trustworthiness", "continuity"}
    leaking = pd.read_csv(res / "leakage.csv")
    assert {(80 + i, i) for i in range(4)} | {(84, 10)} <= set(
        zip(leaking["row_b"], leaking["row_a"]))
    assert {"text_a", "text_b"} <= set(leaking.columns)
    assert (84, 10) in set(zip(*[pd.read_csv(res / "duplicates.csv").groupby("group")[
        "row"].agg(c) for c in ("max", "min")]))
    assert "map trust (k=10): kNN recall" in out.stdout and "near duplicates" in out.stdout
    assert "leakage: " in out.stdout
    if HAS_CHROMIUM:
        assert (res / "regions_map.pdf").stat().st_size > 5_000
