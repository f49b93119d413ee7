"""Encoder on real models: agreement with references, pooling, layers, batching, errors."""

import numpy as np
import pytest
import torch

from embviz.embed import Encoder

TEXTS = ["A cat sat on the mat.", "Quantum chromodynamics describes the strong interaction.",
         "hi", "The quick brown fox jumps over the lazy dog, again and again and again."]


def _hf_hidden_states(encoder, text):
    tokenizer, model = encoder._load()
    batch = tokenizer([encoder.prompt + text], return_tensors="pt")
    with torch.inference_mode():
        out = model(**batch, output_hidden_states=True)
    return [h[0].numpy() for h in out.hidden_states], batch


def test_minilm_matches_sentence_transformers(sample_texts):
    """Tolerance: |cos - 1| < 1e-5 and max abs difference < 1e-4 of unit vectors (fp32 CPU)."""
    from sentence_transformers import SentenceTransformer

    ours = Encoder("minilm", device="cpu", progress=False, normalize=True).encode(sample_texts)
    reference = SentenceTransformer(Encoder("minilm").model_info.path, device="cpu").encode(
        sample_texts, batch_size=16)
    np.testing.assert_allclose(ours, reference, atol=1e-4)
    assert np.abs(1 - (ours * reference).sum(1)).max() < 1e-5


def test_layers_match_output_hidden_states(minilm):
    layers = minilm.encode_layers(TEXTS[:2])
    assert layers.shape == (7, 2, 384) and layers.dtype == np.float32
    states, _ = _hf_hidden_states(minilm, TEXTS[1])
    for i, state in enumerate(states):
        np.testing.assert_allclose(layers[i, 1], state.mean(0), atol=1e-5)
    np.testing.assert_allclose(minilm.encode(TEXTS[:2]), layers[-1], atol=1e-6)


def test_text_in_padded_batch_equals_text_alone(minilm):
    batch = minilm.encode(TEXTS)
    alone = np.stack([minilm.encode([t])[0] for t in TEXTS])
    np.testing.assert_allclose(batch, alone, atol=1e-5)


def test_order_preserved_under_length_sorting(minilm, sample_texts):
    forward = minilm.encode(sample_texts)
    backward = minilm.encode(sample_texts[::-1])
    np.testing.assert_allclose(forward, backward[::-1], atol=1e-5)


@pytest.mark.parametrize("pooling", ["cls", "max", "last"])
def test_pooling_variants(pooling):
    encoder = Encoder("minilm", pooling=pooling, device="cpu", progress=False)
    states, _ = _hf_hidden_states(encoder, TEXTS[0])
    expected = {"cls": states[-1][0], "max": states[-1].max(0), "last": states[-1][-1]}
    np.testing.assert_allclose(encoder.encode(TEXTS[:2])[0], expected[pooling], atol=1e-5)


def test_prompt_prefix_and_normalisation():
    plain = Encoder("minilm", device="cpu", progress=False)
    prompted = Encoder("minilm", device="cpu", progress=False, normalize=True,
                       prompt="query: ")
    X = prompted.encode(TEXTS[:2])
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, atol=1e-6)
    manual = plain.encode(["query: " + t for t in TEXTS[:2]])
    np.testing.assert_allclose(X, manual / np.linalg.norm(manual, axis=1, keepdims=True),
                               atol=1e-5)


def test_truncation_is_counted():
    encoder = Encoder("minilm", device="cpu", progress=False, max_length=10)
    lengths = [len(encoder._load()[0](t)["input_ids"]) for t in TEXTS]
    X = encoder.encode(TEXTS)
    assert encoder.n_truncated_ == sum(n > 10 for n in lengths) == 2
    assert X.shape == (4, 384) and np.isfinite(X).all()


def test_smollm2_last_token_pooling(smollm2):
    assert smollm2.pooling == "last" and smollm2.n_hidden_states == 31
    X = smollm2.encode(TEXTS)
    states, _ = _hf_hidden_states(smollm2, TEXTS[1])
    np.testing.assert_allclose(X[1], states[-1][-1], rtol=1e-4, atol=1e-4)
    alone = smollm2.encode([TEXTS[2]])  # padded in the batch, alone here
    np.testing.assert_allclose(X[2], alone[0], rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("which", ["minilm", "smollm2"])
def test_token_activations(which, request):
    encoder = request.getfixturevalue(which)
    acts = encoder.token_activations(TEXTS[:2], layer=3)
    tokenizer, _ = encoder._load()
    ids = [tokenizer(t)["input_ids"] for t in TEXTS[:2]]
    n_real = [len(i) - sum(tokenizer.get_special_tokens_mask(i, already_has_special_tokens=True))
              for i in ids]
    assert len(acts) == sum(n_real) == len(acts.tokens)
    np.testing.assert_array_equal(np.bincount(acts.doc_index), n_real)
    states, _ = _hf_hidden_states(encoder, TEXTS[1])
    rows = acts.doc_index == 1
    np.testing.assert_allclose(acts.vectors[rows], states[3][acts.position[rows]],
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("texts, error, match", [
    ([], ValueError, "empty"), (["ok", None], ValueError, "non-empty strings"),
    (["ok", 5], ValueError, "non-empty strings"), (["ok", ""], ValueError, "non-empty"),
    ("just a string", TypeError, "single string")])
def test_bad_texts(minilm, texts, error, match):
    with pytest.raises(error, match=match):
        minilm.encode(texts)


def test_bad_parameters(minilm):
    with pytest.raises(ValueError, match=r"layer=7 is out of range.*7 hidden states.*-7\.\.6"):
        Encoder("minilm", layer=7)
    with pytest.raises(ValueError, match=r"layers=-9 is out of range"):
        minilm.encode_layers(["a"], [0, -9])
    with pytest.raises(ValueError, match="layers is empty"):
        minilm.encode_layers(["a"], [])
    assert minilm.resolve_layers([-1, 0, 3]) == [6, 0, 3]
    assert minilm.resolve_layers(None) == list(range(7))
    with pytest.raises(ValueError, match="pooling must be one of"):
        Encoder("minilm", pooling="sum")
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        Encoder("minilm", batch_size=0)
    with pytest.raises(ValueError, match="device must be one of"):
        Encoder("minilm", device="tpu")


def test_max_length_is_checked_against_the_model_at_construction():
    """max_length=100000 used to fail deep inside BERT at the first long text; it is refused
    when the Encoder is built, naming the model's limit (minilm: 512 position embeddings;
    mpnet declares 514 positions of which 512 are usable, its tokenizer says so)."""
    with pytest.raises(ValueError, match=r"max_length=100000 exceeds the 512 tokens that "
                                         r"'minilm' can read.*max_length <= 512"):
        Encoder("minilm", max_length=100000)
    with pytest.raises(ValueError, match="max_length=513 exceeds the 512 tokens"):
        Encoder("minilm", max_length=513)
    assert Encoder("minilm", max_length=512, device="cpu").max_length == 512
    with pytest.raises(TypeError, match="max_length must be an integer >= 2"):
        Encoder("minilm", max_length="512")


def test_texts_that_become_unknown_tokens_are_counted_and_warned(minilm, caplog):
    """A 100,000-character text without spaces is one [UNK] for BERT's word-piece tokenizer
    (3 tokens: not truncated, n_truncated_ stayed 0, and nothing was said). Texts that are at
    least half unknown tokens are now counted in n_unknown_ and logged as a warning."""
    import logging

    texts = ["a" * 100_000, "see " + "b" * 150 + " here", "a plain sentence", "x" * 100]
    with caplog.at_level(logging.WARNING, logger="embviz.embed.encoder"):
        X = minilm.encode(texts)
    assert X.shape == (4, 384) and minilm.n_truncated_ == 0
    assert minilm.n_unknown_ == 1  # text 1 keeps two real words; "x" * 100 is word pieces
    assert "1 of 4 texts are mostly unknown tokens ([UNK])" in caplog.text
    caplog.clear()
    minilm.encode(texts[2:])
    assert minilm.n_unknown_ == 0 and "unknown" not in caplog.text


def test_first_token_norm_ratio_matches_token_activations(minilm):
    """One-pass ratio equals the one computed from token_activations layer by layer."""
    ratio = minilm.first_token_norm_ratio(TEXTS, layers=[0, 3, 6])
    assert ratio.shape == (3,)
    for value, layer in zip(ratio, [0, 3, 6]):
        acts = minilm.token_activations(TEXTS, layer=layer, special_tokens=True)
        norms = np.linalg.norm(acts.vectors, axis=1)
        first = acts.position == 0
        assert value == pytest.approx(np.median(norms[first]) / np.median(norms[~first]),
                                      rel=1e-5)


def test_mean_skip_first_excludes_the_first_token(minilm):
    skip = Encoder("minilm", pooling="mean_skip_first", device="cpu", progress=False)
    acts = minilm.token_activations(TEXTS[:1], layer=-1, special_tokens=True)
    expected = acts.vectors[acts.position > 0].mean(0)
    np.testing.assert_allclose(skip.encode(TEXTS[:1])[0], expected, atol=1e-5)
