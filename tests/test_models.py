"""Model registry: names, folders, provenance, clear failures offline."""

import hashlib
from pathlib import Path

import pytest

from embviz.embed import ModelSpec, list_models, register_model, resolve_model


def test_minilm_resolves_with_provenance():
    model = resolve_model("minilm")
    weights = Path(model.path) / "model.safetensors"
    assert model.kind == "encoder" and model.config["hidden_size"] == 384
    assert model.weights_sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert set(model.provenance()) == {"name", "path", "kind", "weights_sha256", "config"}


@pytest.mark.parametrize("name, kind, hidden, layers", [
    ("mpnet", "encoder", 768, 12), ("smollm2-135m", "causal", 576, 30)])
def test_assembled_models_are_plain_hf_folders(name, kind, hidden, layers):
    model = resolve_model(name)
    assert (Path(model.path) / "config.json").exists()
    assert model.kind == kind and model.config["hidden_size"] == hidden
    assert model.config["num_hidden_layers"] == layers
    assert resolve_model(name).path == model.path  # prepared once, then found


def test_local_folder_works():
    folder = resolve_model("minilm").path
    assert resolve_model(folder).weights_sha256 == resolve_model("minilm").weights_sha256


def test_unknown_name_fails_at_once_listing_the_names(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ValueError, match="Available names: minilm, mpnet, smollm2-135m.*"
                                         "register_model"):
        resolve_model("sentence-transformers/all-MiniLM-L12-v2")
    with pytest.raises(ValueError, match="neither a registered name nor a model folder"):
        resolve_model("bert")


def test_folder_without_config_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no config.json"):
        resolve_model(str(tmp_path))


def test_list_and_register_models():
    table = list_models()
    assert {"minilm", "mpnet", "smollm2-135m"} <= set(table["name"])
    assert table.set_index("name").loc["minilm", "status"] == "ready"
    folder = Path(resolve_model("minilm").path)
    register_model(ModelSpec("my-minilm", "encoder", "a copy", "-", lambda prepare=True: folder))
    assert resolve_model("my-minilm").name == "my-minilm"
    assert "my-minilm" in set(list_models()["name"])
