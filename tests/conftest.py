"""Shared fixtures. Tests run real models at small sizes and never reach a model hub."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HAS_CHROMIUM = shutil.which("chromium") is not None or shutil.which("chromium-browser") is not None
needs_chromium = pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Chromium (apt-get install "
                                                             "chromium) for static export")


@pytest.fixture
def rng():
    """A seeded generator: tests never touch global random state."""
    return np.random.default_rng(20261122)


@pytest.fixture(scope="session")
def minilm():
    from embviz.embed import Encoder

    return Encoder("minilm", device="cpu", progress=False)


@pytest.fixture(scope="session")
def smollm2():
    from embviz.embed import Encoder

    return Encoder("smollm2-135m", device="cpu", progress=False, batch_size=8)


@pytest.fixture(scope="session")
def sample_texts():
    from embviz.datasets import load_dataset

    return load_dataset("fortunes", n=40, random_state=1)["text"].tolist()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module (``app_server.chromium``)."""
    from app_server import chromium

    with chromium() as browser:
        yield browser
