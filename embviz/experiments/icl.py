"""Choosing in-context examples by TTE depth, and few-shot classification with a causal LM.

The second application of Seegmiller & Preum (2023), "Statistical Depth for Ranking and
Characterizing Transformer-Based Text Embeddings": the most central (deepest) examples of each
class, by TTE depth within that class, make good in-context prompts. Compared here with random
examples and with each query's nearest neighbours (KATE, Liu et al. 2022), by the accuracy of
few-shot classification with a small causal language model on CPU.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import check_choice, check_positive_int, check_texts

__all__ = ["SELECTIONS", "compare_selections", "few_shot_classify", "select_examples"]

#: Ways to pick the in-context examples.
SELECTIONS = ("depth", "random", "nearest")


def _unit(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)


def select_examples(vectors, labels, n_shots: int, method: str = "depth", query=None,
                    random_state=0) -> np.ndarray:
    """Indices of ``n_shots`` in-context examples per class, in prompt order.

    Parameters
    ----------
    vectors : array of shape (n, d)
        Embeddings of the candidate examples (the pool).
    labels : array-like of shape (n,)
        Class of each candidate; every class needs at least ``n_shots`` candidates (and 2).
    n_shots : int >= 1
        Examples (shots) per class.
    method : {"depth", "random", "nearest"}, default "depth"
        ``"depth"``: the ``n_shots`` deepest candidates of each class by TTE depth with respect
        to that class's own candidates (leave-one-out; :func:`embviz.drift.tte_depth`), the
        same prompt for every query (Seegmiller & Preum 2023); ``"random"``: ``n_shots``
        uniformly random candidates per class; ``"nearest"``: the ``n_shots`` candidates of each
        class with the highest cosine similarity to ``query`` (per-class KATE, Liu et al.
        2022).
    query : array of shape (d,), optional
        Needed for ``"nearest"``.
    random_state : int, numpy Generator or None, default 0
        For ``"random"``.

    Returns
    -------
    ndarray of shape (n_shots · n_classes,), int
        Classes interleaved round-robin (rank 1 of every class, then rank 2, ...), so no class
        is always last; for ``"depth"`` and ``"nearest"`` the best-ranked examples come last,
        closest to the query (as in KATE).

    Examples
    --------
    >>> X = np.array([[1, 0], [1, .1], [1, -.1], [0, 1], [.1, 1], [-.2, 1]])
    >>> select_examples(X, ["a", "a", "a", "b", "b", "b"], n_shots=1).tolist()
    [0, 3]
    """
    from ..drift import tte_depth

    method = check_choice(method, "method", SELECTIONS)
    k = check_positive_int(n_shots, "n_shots")
    X = np.asarray(vectors, dtype=np.float64)
    labels = np.asarray(labels)
    if X.ndim != 2 or len(X) != len(labels):
        raise ValueError(f"vectors must be (n, d) with one label per row, got {X.shape} and "
                         f"{labels.shape}")
    rng = np.random.default_rng(random_state)
    if method == "nearest":
        if query is None:
            raise ValueError("method='nearest' needs the query's vector")
        similarity = _unit(X) @ _unit(np.asarray(query, float)[None])[0]
    picks = []
    for c in pd.unique(labels):
        rows = np.flatnonzero(labels == c)
        if len(rows) < max(k, 2):
            raise ValueError(f"class {c!r} has {len(rows)} candidates; {max(k, 2)} are needed")
        if method == "depth":
            ranked = rows[np.argsort(-tte_depth(X[rows]), kind="stable")[:k]]
        elif method == "nearest":
            ranked = rows[np.argsort(-similarity[rows], kind="stable")[:k]]
        else:
            ranked = rng.choice(rows, k, replace=False)
        picks.append(ranked[::-1])  # best last
    order = np.stack(picks, axis=1)  # (k, n_classes): row r holds rank k − r of every class
    if method == "random":
        return rng.permutation(order.ravel())
    return order.ravel()


def _prompt(examples: list[tuple[str, str]], query: str, instruction: str) -> str:
    shots = "".join(f"Text: {t}\nCategory: {lab}\n\n" for t, lab in examples)
    return f"{instruction}\n\n{shots}Text: {query}\nCategory:"


def few_shot_classify(pool: pd.DataFrame, pool_vectors, queries: pd.DataFrame, query_vectors,
                      label_words: dict, n_shots: int = 2, methods=SELECTIONS,
                      model: str = "smollm2-135m", instruction: str | None = None,
                      max_length: int = 1024, batch_size: int = 8, random_state: int = 0,
                      device: str = "auto", progress: bool = True) -> pd.DataFrame:
    """Few-shot classification by a causal LM with examples chosen by each method.

    Each query's prompt is an instruction, ``n_shots`` examples per class (``Text: ...`` /
    ``Category: <word>``) chosen by :func:`select_examples`, and the query; the prediction is the
    label word whose first token gets the highest next-token logit after ``Category:``. The
    label words' first tokens (with a leading space) must be distinct.

    Parameters
    ----------
    pool : DataFrame with ``text`` and ``label``
        Candidate in-context examples.
    pool_vectors : array of shape (len(pool), d)
        Their embeddings (any sentence encoder; used for depth and nearest neighbours).
    queries : DataFrame with ``text`` and ``label``
        Texts to classify (disjoint from the pool).
    query_vectors : array of shape (len(queries), d)
    label_words : dict
        Label → the word shown in the prompt (e.g. ``{"noun.animal": "animal"}``); only these
        classes are used.
    n_shots : int, default 2
        Examples (shots) per class.
    methods : sequence of {"depth", "random", "nearest"}
    model : str, default "smollm2-135m"
        A registered causal LM or a local Hugging Face folder.
    instruction : str, optional
        Default: "Classify each text into one of these categories: <words>."
    max_length : int, default 1024
        Prompts are truncated from the left beyond this many tokens.
    batch_size : int, default 8
    random_state : int, default 0
        Seeds the random selection (a fresh draw per query).
    device : {"auto", "cpu", "cuda", "mps"}, default "auto"
        Where the LM runs (``"auto"``: CUDA, then MPS, then CPU); float32 everywhere.
    progress : bool, default True

    Returns
    -------
    pandas.DataFrame
        One row per (method, query): ``method``, ``query`` (row position in ``queries``),
        ``label``, ``prediction``, ``correct``.

    References
    ----------
    Seegmiller & Preum (2023), EMNLP, arXiv:2310.15010 (depth-based prompt selection);
    Liu, Shen, Zhang et al. (2022), "What Makes Good In-Context Examples for GPT-3?", DeeLIO
    (nearest-neighbour selection, KATE).
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from .._progress import progress_bar
    from ..embed.device import resolve_device
    from ..embed.models import resolve_model

    for frame, name in ((pool, "pool"), (queries, "queries")):
        if not isinstance(frame, pd.DataFrame) or not {"text", "label"} <= set(frame.columns):
            raise ValueError(f"{name} must be a DataFrame with 'text' and 'label' columns")
    methods = [check_choice(m, "methods", SELECTIONS) for m in methods]
    keep = pool["label"].isin(label_words).to_numpy()
    pool_texts = check_texts(pool["text"].tolist(), "pool['text']")
    pool_vectors = np.asarray(pool_vectors, float)
    if len(pool_vectors) != len(pool) or len(query_vectors) != len(queries):
        raise ValueError("pool_vectors / query_vectors must have one row per text")
    candidates = np.flatnonzero(keep)
    pool_labels = pool["label"].to_numpy()
    words = list(label_words.values())
    instruction = instruction or ("Classify each text into one of these categories: "
                                  + ", ".join(words) + ".")
    info = resolve_model(model)
    tokenizer = AutoTokenizer.from_pretrained(info.path)
    tokenizer.padding_side, tokenizer.truncation_side = "left", "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    first = [tokenizer(" " + w, add_special_tokens=False)["input_ids"][0] for w in words]
    if len(set(first)) != len(first):
        raise ValueError(f"the label words' first tokens are not distinct: {words}")
    where = resolve_device(device)
    lm = AutoModelForCausalLM.from_pretrained(info.path, dtype=torch.float32).to(where).eval()
    rng = np.random.default_rng(random_state)
    fixed = {m: candidates[select_examples(pool_vectors[candidates], pool_labels[candidates],
                                           n_shots, m)]
             for m in methods if m == "depth"}
    jobs = []
    query_texts = queries["text"].tolist()
    for m in methods:
        for q in range(len(queries)):
            if m in fixed:
                picks = fixed[m]
            else:
                picks = candidates[select_examples(
                    pool_vectors[candidates], pool_labels[candidates], n_shots, m,
                    query=np.asarray(query_vectors)[q], random_state=rng)]
            shots = [(pool_texts[i], label_words[pool_labels[i]]) for i in picks]
            jobs.append((m, q, _prompt(shots, query_texts[q], instruction)))
    predictions = []
    with torch.inference_mode():
        for start in progress_bar(range(0, len(jobs), batch_size), desc="few-shot",
                                  disable=not progress):
            batch = tokenizer([j[2] for j in jobs[start:start + batch_size]], padding=True,
                              truncation=True, max_length=max_length,
                              return_tensors="pt").to(where)
            logits = lm(**batch).logits[:, -1, first].cpu()  # left padding: last is real
            predictions += logits.argmax(1).tolist()
    labels_by_word = list(label_words)
    out = pd.DataFrame({"method": [j[0] for j in jobs], "query": [j[1] for j in jobs]})
    out["label"] = queries["label"].to_numpy()[out["query"]]
    out["prediction"] = [labels_by_word[p] for p in predictions]
    out["correct"] = out["label"] == out["prediction"]
    return out


def compare_selections(results: pd.DataFrame, confidence: float = 0.95, n_resamples: int = 2000,
                       random_state: int | None = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Accuracy per selection method and paired comparisons between methods.

    Parameters
    ----------
    results : DataFrame
        The output of :func:`few_shot_classify` (``method``, ``query``, ``correct``), every
        method on the same queries.
    confidence : float, default 0.95
    n_resamples : int, default 2000
        Paired bootstrap resamples of the queries for the intervals of the differences.
    random_state : int or None, default 0

    Returns
    -------
    accuracy : DataFrame
        ``method``, ``n``, ``accuracy``, ``ci_low``, ``ci_high`` (Wilson score interval).
    pairs : DataFrame
        One row per pair (a, b): ``a``, ``b``, ``difference`` (accuracy of a − of b),
        ``ci_low``, ``ci_high`` (percentile interval of the paired bootstrap over queries),
        ``only_a``, ``only_b`` (queries only a / only b gets right), ``p_value`` (exact
        McNemar), ``p_holm`` (Holm over the pairs).
    """
    from itertools import combinations

    from ..stats import holm, mcnemar_test, wilson_interval

    wide = results.pivot(index="query", columns="method", values="correct")
    methods = [m for m in SELECTIONS if m in wide.columns] + [
        m for m in wide.columns if m not in SELECTIONS]
    if wide.isna().any().any():
        raise ValueError("every method must be run on the same queries")
    n = len(wide)
    successes = wide[methods].sum().to_numpy()
    interval = wilson_interval(successes, np.full(len(methods), n), confidence)
    accuracy = pd.DataFrame({"method": methods, "n": n, "accuracy": successes / n,
                             "ci_low": interval.ci_low, "ci_high": interval.ci_high})
    rng = np.random.default_rng(random_state)
    boot = rng.integers(0, n, size=(check_positive_int(n_resamples, "n_resamples"), n))
    rows = []
    for a, b in combinations(methods, 2):
        x, y = wide[a].to_numpy(bool), wide[b].to_numpy(bool)
        diff = x.astype(float) - y
        draws = diff[boot].mean(1)
        test = mcnemar_test(x, y)
        rows.append({"a": a, "b": b, "difference": diff.mean(),
                     "ci_low": np.quantile(draws, (1 - confidence) / 2),
                     "ci_high": np.quantile(draws, (1 + confidence) / 2),
                     "only_a": test.only_a, "only_b": test.only_b, "p_value": test.p_value})
    pairs = pd.DataFrame(rows)
    pairs["p_holm"] = holm(pairs["p_value"]) if len(pairs) else []
    return accuracy, pairs
