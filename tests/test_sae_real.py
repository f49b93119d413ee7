"""SAEs on real data at test scale: MiniLM embeddings of WordNet glosses (quality, category
alignment, concept table), Bible KJV vs WEB dataset diffing, and SmolLM2 token activations
(max-pooled document embeddings). Floors were measured on this machine (2 shared CPU cores,
one torch thread) and are stated next to each assertion."""

import numpy as np
import pytest
import scipy.sparse as sp

from embviz.datasets import load_dataset
from embviz.sae import (
    category_alignment,
    dataset_diff,
    feature_table,
    sae_encode,
    token_corpus,
    token_sae_embeddings,
    train_sae,
)

ARCHAIC = {"thee", "thou", "thy", "thine", "ye", "hath", "unto", "saith", "shalt", "hast",
           "doth", "art", "wilt", "didst", "spake", "begat"}


@pytest.fixture(scope="module")
def wordnet():
    from embviz.embed import embed_corpus

    return embed_corpus(load_dataset("wordnet", n=20_000, random_state=0), model="minilm",
                        device="cpu", progress=False)


@pytest.fixture(scope="module")
def wordnet_sae(wordnet, tmp_path_factory):
    return train_sae(wordnet, max_steps=300, n_active=16, learning_rate=3e-3, device="cpu",
                     progress=False, cache_dir=tmp_path_factory.mktemp("cache"))


def test_wordnet_quality(wordnet_sae):
    """TopK, expansion 8 (3,072 features), k 16, 300 steps of 256 on 18k glosses.
    Measured held-out EV 0.625, L0 16, dead 5.0% (lr 3e-3; with lr 2e-3: EV 0.618 but 51%
    dead). Floors: EV >= 0.55, dead < 30%.
    (The issue's 0.9 bar is not reached at this budget; see bench/sae_throughput.py.)"""
    rec = wordnet_sae.record
    assert rec.explained_variance >= 0.55
    assert rec.l0 <= 16
    assert rec.dead_fraction < 0.30
    assert rec.n_holdout == 2000 and rec.n_train == 18_000


def test_wordnet_category_alignment_and_feature_table(wordnet_sae, wordnet):
    """Best-feature F1 per WordNet lexicographer category (45). Measured at 300 steps: median
    0.20, 4 categories >= 0.45 (adj.pert 0.64, noun.person 0.56, noun.plant 0.53,
    noun.location 0.48), 12 >= 0.3, minimum 0.05. Floors: median >= 0.15, >= 3 categories
    with F1 >= 0.45."""
    codes = sae_encode(wordnet_sae, wordnet.vectors)
    align = category_alignment(codes, wordnet.meta["label"])
    assert len(align) == 45
    assert align["f1"].median() >= 0.15
    assert (align["f1"] >= 0.45).sum() >= 3
    assert set(align.head(5)["category"]) & {"noun.plant", "noun.person", "noun.animal"}
    table = feature_table(wordnet_sae, wordnet, n_top=5, codes=codes)
    plant = table[table["best_label"] == "noun.plant"].sort_values("f1").iloc[-1]
    assert plant["f1"] >= 0.4 and len(plant["top_texts"]) == 5
    assert set(plant["top_words"]) & {"plant", "plants", "herb", "herbs", "shrub", "shrubs",
                                      "flowers", "tree", "trees", "genus", "perennial"}


@pytest.fixture(scope="module")
def bible():
    from embviz.datasets import bible_verses
    from embviz.embed import embed_corpus

    return embed_corpus(bible_verses(1000, random_state=0), model="minilm", device="cpu",
                        progress=False)


def test_bible_kjv_vs_web_diff_finds_archaic_language(bible):
    """1,000 aligned verses per edition; SAE trained on both (2,000 rows, 300 steps).
    The top-5 features more frequent in KJV carry archaic words (thee/thou/hath/unto/...)
    in their words; measured: 4 of 5 (shalt/thou/thy, thy/thee, thee/mourning,
    statutes/commandments/thou; the fifth is shall/garment/linen), top one q = 2.5e-8.
    Floor: >= 3 of 5, and the top one significant."""
    sae = train_sae(bible, max_steps=300, batch_size=128, device="cpu", progress=False,
                    cache=False)
    group = bible.meta["group"].to_numpy()
    diff = dataset_diff(sae, bible.subset(group == "KJV"), bible.subset(group == "WEB"))
    top = diff[diff["diff"] > 0].head(5)
    archaic = [bool(set(words) & ARCHAIC) or any(w.endswith("eth") for w in words)
               for words in top["top_words"]]
    assert sum(archaic) >= 3, top[["feature", "label", "freq_a", "freq_b"]]
    assert top.iloc[0]["significant"] and top.iloc[0]["freq_a"] > top.iloc[0]["freq_b"]
    assert {"examples_a", "examples_b", "q_value", "label"} <= set(diff.columns)


@pytest.fixture(scope="module")
def tokens(smollm2):
    texts = load_dataset("fortunes", n=100, random_state=2)
    return token_corpus(texts, layer=15, max_length=48, batch_size=16, device="cpu",
                        progress=False)


def test_token_source_max_pooling(tokens):
    """SmolLM2-135M layer 15 (576-d), 100 fortunes, TopK expansion 2 (1,152), k 8, 200 steps
    of 128 tokens. Document embeddings are the max over tokens, exactly."""
    acts = tokens.activations
    assert acts.vectors.shape[1] == 576 and acts.layer == 15 and len(tokens) == 100
    sae = train_sae(tokens, expansion=2, n_active=8, max_steps=200, batch_size=128,
                    device="cpu", progress=False, cache=False)
    assert sae.source == "tokens" and sae.provenance["layer"] == 15
    assert sae.record.explained_variance > 0.3
    docs = token_sae_embeddings(sae, tokens)
    assert sp.isspmatrix_csr(docs) and docs.shape == (100, 1152) and docs.dtype == np.float32
    per_token = sae_encode(sae, acts.vectors).toarray()
    direct = np.stack([per_token[acts.doc_index == d].max(axis=0) for d in range(100)])
    np.testing.assert_array_equal(docs.toarray(), direct)
    assert (np.diff(docs.indptr) >= 8).all()  # at least one token's k features per document
    assert docs.nnz < 0.5 * docs.shape[0] * docs.shape[1]
    live = np.unique(docs.indices)[:30]
    table = feature_table(sae, tokens, n_top=3, features=live)
    assert len(table) == len(live) and (table["top_tokens"].map(len) >= 1).all()
