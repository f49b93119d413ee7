"""Baselines for the SAE analyses of Jiang et al. (2025), "Interpretable Embeddings with Sparse
Autoencoders: A Data Analysis Toolkit" (arXiv:2512.10092): PCA at equal L0 on held-out rows,
a word-frequency dataset diff, a shuffled-label and a PCA-direction baseline for category
alignment, dense-embedding retrieval and clustering.

Each answers "does the SAE do better than the obvious cheap method?", the comparison the paper
makes for every application. scikit-learn is imported inside the functions that need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._progress import progress_bar
from .._validation import check_embeddings, check_positive_int
from ..stats import percentile_interval
from ..stats.multiplicity import _benjamini_hochberg
from ..stats.permutation import _permutation_p_values
from ..stats.proportions import _two_proportion

__all__ = ["alignment_null", "dense_vs_concept_clustering", "pca_codes",
           "property_retrieval_baseline", "reconstruction_vs_pca", "sae_vs_pca",
           "word_diff", "word_diff_agreement"]


def reconstruction_vs_pca(X_train, X_holdout, X_hat, n_components: int,
                          n_resamples: int = 1000, confidence: float = 0.95,
                          random_state: int | None = 0, progress: bool = True
                          ) -> pd.DataFrame:
    """Held-out explained variance of a reconstruction against PCA with n_components.

    PCA is fit on ``X_train`` only and evaluated on ``X_holdout``, the rows the SAE did not
    see: the comparison at equal L0 (``n_components`` numbers per row) that Jiang et al. and
    DATA.md ask for, not in-sample PCA.

    Parameters
    ----------
    X_train : array of shape (n_train, d)
        Rows the PCA (and the SAE) were fit on.
    X_holdout : array of shape (m, d)
        Held-out rows.
    X_hat : array of shape (m, d)
        The SAE's reconstruction of ``X_holdout`` (in the same, unnormalised space).
    n_components : int
        Number of PCA components: the SAE's L0 (active features per row).
    n_resamples : int, default 1000
        Bootstrap resamples of the held-out rows (paired: the same rows for both methods).
    confidence : float, default 0.95
    random_state : int or None, default 0
    progress : bool, default True
        A progress bar over the bootstrap resamples.

    Returns
    -------
    pandas.DataFrame
        Rows ``sae``, ``pca`` and ``sae_minus_pca`` with ``explained_variance, ci_low,
        ci_high`` (percentile bootstrap over held-out rows; the fitted models fixed), and
        one row ``pca_components_for_sae_ev``: the smallest number of PCA components (fit on
        the training rows) whose held-out EV reaches the SAE's (NaN when none does).

    Notes
    -----
    EV = 1 − Σᵢ‖xᵢ − x̂ᵢ‖² / Σᵢ‖xᵢ − x̄‖², with x̄ the held-out mean (as
    :func:`embviz.sae.explained_variance`); a bootstrap replicate sums the same per-row terms
    over the resampled rows.
    """
    from sklearn.decomposition import PCA

    Xt = check_embeddings(X_train, "X_train", 2).astype(np.float64)
    Xh = check_embeddings(X_holdout, "X_holdout", 2).astype(np.float64)
    Xs = check_embeddings(X_hat, "X_hat").astype(np.float64)
    if Xs.shape != Xh.shape or Xt.shape[1] != Xh.shape[1]:
        raise ValueError(f"X_hat must match X_holdout's shape {Xh.shape} and X_train must "
                         f"have {Xh.shape[1]} columns; got {Xs.shape} and {Xt.shape}")
    k = check_positive_int(n_components, "n_components")
    n_resamples = check_positive_int(n_resamples, "n_resamples", 10)
    pca = PCA(min(Xt.shape)).fit(Xt)
    centred = Xh - pca.mean_
    scores = centred @ pca.components_.T  # (m, n_components)
    total = ((Xh - Xh.mean(axis=0)) ** 2).sum(axis=1)
    r_sae = ((Xh - Xs) ** 2).sum(axis=1)
    r_pca = (centred ** 2).sum(axis=1) - (scores[:, :k] ** 2).sum(axis=1)
    ev_sae = 1 - r_sae.sum() / total.sum()
    ev_pca = 1 - r_pca.sum() / total.sum()
    cumulative = 1 - ((centred ** 2).sum() - np.cumsum((scores ** 2).sum(axis=0))) / total.sum()
    reach = np.flatnonzero(cumulative >= ev_sae - 1e-12)  # rounding of equal EVs
    rng = np.random.default_rng(random_state)
    boot = np.empty((n_resamples, 2))
    for i in progress_bar(range(n_resamples), desc="SAE vs PCA", unit="resample",
                          disable=not progress):
        idx = rng.integers(0, len(Xh), len(Xh))
        t = total[idx].sum()
        boot[i] = 1 - r_sae[idx].sum() / t, 1 - r_pca[idx].sum() / t
    method = f"percentile bootstrap over {len(Xh)} held-out rows, {n_resamples} resamples"
    rows = []
    for name, value, reps in (("sae", ev_sae, boot[:, 0]), ("pca", ev_pca, boot[:, 1]),
                              ("sae_minus_pca", ev_sae - ev_pca, boot[:, 0] - boot[:, 1])):
        interval = percentile_interval(reps, confidence)
        rows.append({"method": name, "explained_variance": float(value),
                     "ci_low": float(interval.ci_low), "ci_high": float(interval.ci_high),
                     "components": k if name == "pca" else np.nan,
                     "ci_method": method})
    rows.append({"method": "pca_components_for_sae_ev", "explained_variance": float(ev_sae),
                 "ci_low": np.nan, "ci_high": np.nan,
                 "components": float(reach[0] + 1) if reach.size else np.nan, "ci_method": ""})
    return pd.DataFrame(rows)


def sae_vs_pca(sae, X, n_resamples: int = 1000, confidence: float = 0.95,
               random_state: int | None = 0, progress: bool = True) -> pd.DataFrame:
    """:func:`reconstruction_vs_pca` on the SAE's own held-out rows, with L0 components.

    Parameters
    ----------
    sae : ConceptSAE
        Trained by :func:`embviz.sae.train_sae` on ``X`` (its record holds the split).
    X : array of shape (n, d_in)
        The exact rows the SAE was trained on (dense embeddings, one per text).
    n_resamples, confidence, random_state
        Of :func:`reconstruction_vs_pca` (``n_resamples``: bootstrap resamples of the
        held-out rows).
    progress : bool, default True
        Progress bars over the encoding and the bootstrap resamples.

    Returns
    -------
    pandas.DataFrame
        As :func:`reconstruction_vs_pca`, ``n_components`` = round(held-out L0).
    """
    from .data import split_holdout
    from .encode import decode_codes, sae_encode

    X = check_embeddings(X, "X", 4)
    record = sae.record
    train, hold = split_holdout(len(X), None, record.config["holdout"],
                                record.config["random_state"])
    if len(train) != record.n_train or len(hold) != record.n_holdout:
        raise ValueError(f"X has {len(X)} rows, but the SAE was trained with {record.n_train} "
                         f"+ {record.n_holdout}: pass the rows it was trained on")
    codes = sae_encode(sae, X[hold], progress=progress)
    X_hat = decode_codes(sae, codes)
    k = max(1, int(round(np.diff(codes.indptr).mean())))
    return reconstruction_vs_pca(X[train], X[hold], X_hat, k, n_resamples, confidence,
                                 random_state, progress)


def pca_codes(X_fit, X, n_active: int) -> sp.csr_matrix:
    """A sparse code from PCA directions with n_active entries per row (equal L0 to a TopK SAE).

    Each principal direction (fit on ``X_fit``) gives two non-negative "features", its
    positive and its negative half; every row keeps its ``n_active`` largest. The baseline for
    :func:`embviz.sae.category_alignment`: do the SAE's features align with categories
    better than the directions of largest variance do?

    Parameters
    ----------
    X_fit : array of shape (n_fit, d)
    X : array of shape (n, d)
    n_active : int
        Active entries kept per row (the SAE's L0, or its TopK ``n_active``).

    Returns
    -------
    scipy.sparse.csr_matrix of shape (n, 2 * n_components), float64
        Column 2j is component j's positive side, 2j + 1 its negative side.
    """
    from sklearn.decomposition import PCA

    Xf = check_embeddings(X_fit, "X_fit", 2).astype(np.float64)
    Xa = check_embeddings(X, "X").astype(np.float64)
    k = check_positive_int(n_active, "n_active")
    pca = PCA(min(Xf.shape)).fit(Xf)
    Z = pca.transform(Xa)
    both = np.empty((len(Z), 2 * Z.shape[1]))
    both[:, 0::2], both[:, 1::2] = np.maximum(Z, 0), np.maximum(-Z, 0)
    k = min(k, both.shape[1])
    keep = np.argpartition(-both, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(len(Z)), k)
    values = both[rows, keep.ravel()]
    out = sp.csr_matrix((values, (rows, keep.ravel())), shape=both.shape)
    out.eliminate_zeros()
    return out


def alignment_null(codes, labels: Sequence[Any], n_permutations: int = 20,
                   random_state: int | None = 0, progress: bool = True) -> pd.DataFrame:
    """Best-feature F1 per category with the labels shuffled: the chance level of
    :func:`embviz.sae.category_alignment`.

    With 3,072 features the best of many chance overlaps is not zero; the observed F1 is
    compared with this null (permutation p-value, Benjamini–Hochberg over categories).

    Parameters
    ----------
    codes : sparse matrix of shape (n, d_sae)
    labels : sequence of length n
    n_permutations : int, default 20
        Random permutations of the labels.
    random_state : int or None, default 0
    progress : bool, default True
        A progress bar over the permutations.

    Returns
    -------
    pandas.DataFrame, one row per category (sorted as category_alignment)
        ``category, n_documents, f1, null_mean, null_max, p_value, q_value``:
        observed best F1, the mean and maximum over permutations of the best F1 under
        shuffled labels, the permutation p-value (1 + #{null >= observed}) / (1 +
        n_permutations), and its BH q-value over categories.
    """
    from .features import _association_counts, category_alignment

    n_permutations = check_positive_int(n_permutations, "n_permutations")
    observed = category_alignment(codes, labels).set_index("category")
    labels = np.asarray(pd.Series(labels).astype(str))
    rng = np.random.default_rng(random_state)
    null = []
    for _ in progress_bar(range(n_permutations), desc="alignment null", unit="permutation",
                          disable=not progress):
        cats, _, _, f1, _ = _association_counts(codes, rng.permutation(labels))
        null.append(pd.Series(f1.max(axis=0), index=cats))
    null = pd.concat(null, axis=1).reindex(observed.index)
    table = observed[["n_documents", "f1"]].assign(
        null_mean=null.mean(axis=1).to_numpy(), null_max=null.max(axis=1).to_numpy(),
        p_value=_permutation_p_values(observed["f1"].to_numpy(), null.to_numpy()))
    table["q_value"] = _benjamini_hochberg(table["p_value"].to_numpy(np.float64))
    return table.reset_index()


def word_diff(texts_a: Sequence[str], texts_b: Sequence[str], min_count: int = 5,
              alpha: float = 0.05) -> pd.DataFrame:
    """Unigram dataset diff: words ranked by document frequency in A minus in B.

    The baseline of Jiang et al.'s dataset diffing: the share of texts containing each word
    (lower-cased, ``\\b\\w\\w+\\b`` tokens, no stop-word removal), with a pooled
    two-proportion z-test per word and Benjamini–Hochberg q-values over all words kept.

    Parameters
    ----------
    texts_a, texts_b : sequence of str
    min_count : int, default 5
        Words in fewer than this many texts (A and B together) are dropped.
    alpha : float, default 0.05
        False-discovery rate of the ``significant`` column.

    Returns
    -------
    pandas.DataFrame
        ``word, count_a, count_b, freq_a, freq_b, diff, z, p_value, q_value, significant``,
        sorted by ``diff`` (descending: most A-typical first).
    """
    from sklearn.feature_extraction.text import CountVectorizer

    texts_a, texts_b = list(texts_a), list(texts_b)
    if not texts_a or not texts_b:
        raise ValueError("texts_a and texts_b must each hold at least one text")
    min_count = check_positive_int(min_count, "min_count")
    vec = CountVectorizer(binary=True, lowercase=True)
    D = vec.fit_transform(texts_a + texts_b).tocsc()
    n_a, n_b = len(texts_a), len(texts_b)
    count_a = np.asarray(D[:n_a].sum(axis=0)).ravel()
    count_b = np.asarray(D[n_a:].sum(axis=0)).ravel()
    keep = (count_a + count_b) >= min_count
    words = vec.get_feature_names_out()[keep]
    count_a, count_b = count_a[keep], count_b[keep]
    z, p = _two_proportion(count_a, n_a, count_b, n_b)
    table = pd.DataFrame({"word": words, "count_a": count_a, "count_b": count_b,
                          "freq_a": count_a / n_a, "freq_b": count_b / n_b})
    table["diff"] = table["freq_a"] - table["freq_b"]
    table["z"], table["p_value"] = z, p
    table["q_value"] = _benjamini_hochberg(p)
    table["significant"] = table["q_value"] < alpha
    return table.sort_values(["diff", "word"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def word_diff_agreement(feature_diff: pd.DataFrame, words: pd.DataFrame, n_top: int = 20
                        ) -> pd.DataFrame:
    """Do the SAE diff and the word diff find the same differences?

    For the ``n_top`` features on each side of :func:`embviz.sae.dataset_diff` (most A-typical
    and most B-typical, significant only), whether any of the feature's label words
    (``top_words``) is a significant word on the same side of :func:`word_diff`; and for the
    ``n_top`` words on each side, whether it appears in the label words of a significant feature
    on the same side.

    Parameters
    ----------
    feature_diff : DataFrame
        Output of :func:`embviz.sae.dataset_diff` (``feature, label, top_words, diff,
        significant``).
    words : DataFrame
        Output of :func:`word_diff` on the same two corpora (A and B in the same order).
    n_top : int, default 20
        Number of top features and top words checked on each side.

    Returns
    -------
    pandas.DataFrame
        One row per (method, side): ``method`` ("SAE features" / "words"), ``side`` ("A" /
        "B"), ``n`` (items checked), ``matched`` (items with a counterpart in the other
        method) and ``share``, plus ``examples`` (the matched items, best first).
    """
    top = check_positive_int(n_top, "n_top")
    sig_f = feature_diff[feature_diff["significant"]]
    sig_w = words[words["significant"]]
    word_side = {"A": set(sig_w.loc[sig_w["diff"] > 0, "word"]),
                 "B": set(sig_w.loc[sig_w["diff"] < 0, "word"])}
    feats = {"A": sig_f[sig_f["diff"] > 0].sort_values("diff", ascending=False).head(top),
             "B": sig_f[sig_f["diff"] < 0].sort_values("diff").head(top)}
    wtop = {"A": sig_w[sig_w["diff"] > 0].sort_values("diff", ascending=False).head(top),
            "B": sig_w[sig_w["diff"] < 0].sort_values("diff").head(top)}
    all_label_words = {side: set(w.lower() for ws in
                                 sig_f.loc[(sig_f["diff"] > 0) == (side == "A"), "top_words"]
                                 for w in ws) for side in ("A", "B")}
    rows = []
    for side in ("A", "B"):
        hit = [bool(set(w.lower() for w in ws) & word_side[side])
               for ws in feats[side]["top_words"]]
        rows.append({"method": "SAE features", "side": side, "n": len(hit),
                     "matched": int(sum(hit)), "share": float(np.mean(hit)) if hit else np.nan,
                     "examples": list(feats[side]["label"][np.array(hit, bool)])})
        whit = [w in all_label_words[side] for w in wtop[side]["word"]]
        rows.append({"method": "words", "side": side, "n": len(whit),
                     "matched": int(sum(whit)),
                     "share": float(np.mean(whit)) if whit else np.nan,
                     "examples": list(wtop[side]["word"][np.array(whit, bool)])})
    return pd.DataFrame(rows)


def _rank_metrics(score: np.ndarray, relevant: np.ndarray, rng: np.random.Generator
                  ) -> tuple[float, float]:
    """R-precision and average precision of a ranking (ties broken at random)."""
    order = np.lexsort((rng.random(len(score)), -score))
    rel = relevant[order]
    r = int(relevant.sum())
    hits = np.cumsum(rel)
    ap = float((hits[rel] / (np.flatnonzero(rel) + 1)).mean()) if r else np.nan
    return float(hits[r - 1] / r) if r else np.nan, ap


def property_retrieval_baseline(codes, X, labels: Sequence[Any], min_documents: int = 20,
                                n_resamples: int = 1000, confidence: float = 0.95,
                                random_state: int | None = 0, progress: bool = True
                                ) -> tuple[pd.DataFrame, dict]:
    """Retrieve each category's texts with its best SAE feature vs with a dense centroid.

    The texts are split in two halves. On the *selection* half, each category gets its best
    feature (highest F1, as :func:`embviz.sae.category_alignment`) and its dense centroid
    (mean of unit embeddings). On the *evaluation* half, texts are ranked by that feature's
    activation and by cosine to the centroid; both use the labels of the selection half
    only, so neither is scored on the rows it was chosen with.

    Parameters
    ----------
    codes : sparse matrix of shape (n, d_sae)
    X : array of shape (n, d)
        The dense embeddings the SAE encodes.
    labels : sequence of length n
    min_documents : int, default 20
        Categories with fewer texts in either half are skipped.
    n_resamples : int, default 1000
        Bootstrap resamples of the categories for the interval of the mean difference.
    confidence : float, default 0.95
    random_state : int or None, default 0
        Seeds the split, the tie-breaking and the bootstrap.
    progress : bool, default True
        A progress bar over the categories and then the bootstrap resamples.

    Returns
    -------
    per_category : pandas.DataFrame
        ``category, n_relevant, feature, sae_r_precision, dense_r_precision, sae_ap,
        dense_ap`` (R-precision: precision among the first n_relevant; AP: average
        precision).
    summary : dict
        Means of the four columns, ``mean_difference_ap`` and ``mean_difference_r_precision``
        (SAE − dense) with percentile-bootstrap intervals over categories
        (``..._ci_low``, ``..._ci_high``), the Wilcoxon signed-rank p-values of the paired
        differences, and ``ci_method``.
    """
    from scipy.stats import wilcoxon

    from .features import category_alignment

    codes = sp.csr_matrix(codes)
    Xa = check_embeddings(X, "X", 4).astype(np.float64)
    y = np.asarray(pd.Series(labels).astype(str))
    if codes.shape[0] != len(Xa) or len(y) != len(Xa):
        raise ValueError(f"codes, X and labels must have the same rows; got {codes.shape[0]}, "
                         f"{len(Xa)} and {len(y)}")
    rng = np.random.default_rng(random_state)
    order = rng.permutation(len(Xa))
    sel, ev = np.sort(order[: len(Xa) // 2]), np.sort(order[len(Xa) // 2:])
    align = category_alignment(codes[sel], y[sel]).set_index("category")
    U = Xa / np.linalg.norm(Xa, axis=1, keepdims=True)
    rows = []
    bar = progress_bar(total=len(align) + 2 * n_resamples, desc="property retrieval",
                       disable=not progress)
    for cat in sorted(align.index):
        bar.update(1)
        in_sel, in_ev = (y[sel] == cat), (y[ev] == cat)
        if in_sel.sum() < min_documents or in_ev.sum() < min_documents:
            continue
        feature = int(align.loc[cat, "best_feature"])
        centroid = U[sel][in_sel].mean(axis=0)
        sae_score = codes[ev][:, feature].toarray().ravel()
        dense_score = U[ev] @ centroid
        s_r, s_ap = _rank_metrics(sae_score, in_ev, rng)
        d_r, d_ap = _rank_metrics(dense_score, in_ev, rng)
        rows.append({"category": cat, "n_relevant": int(in_ev.sum()), "feature": feature,
                     "sae_r_precision": s_r, "dense_r_precision": d_r, "sae_ap": s_ap,
                     "dense_ap": d_ap})
    table = pd.DataFrame(rows)
    summary: dict[str, Any] = {c: float(table[c].mean()) for c in
                               ("sae_r_precision", "dense_r_precision", "sae_ap", "dense_ap")}
    summary["n_categories"] = len(table)
    for metric in ("ap", "r_precision"):
        d = (table[f"sae_{metric}"] - table[f"dense_{metric}"]).to_numpy()
        boot = []
        for _ in range(n_resamples):
            boot.append(d[rng.integers(0, len(d), len(d))].mean())
            bar.update(1)
        summary[f"mean_difference_{metric}"] = float(d.mean())
        interval = percentile_interval(np.asarray(boot), confidence)
        summary[f"mean_difference_{metric}_ci_low"] = float(interval.ci_low)
        summary[f"mean_difference_{metric}_ci_high"] = float(interval.ci_high)
        summary[f"wilcoxon_p_value_{metric}"] = float(wilcoxon(d).pvalue)
    bar.close()
    summary["ci_method"] = (f"percentile bootstrap over {len(table)} categories, "
                            f"{n_resamples} resamples (split and selection fixed)")
    return table, summary


def dense_vs_concept_clustering(codes, X, features: Sequence[int], labels: Sequence[Any],
                                n_clusters: int, seeds: Sequence[int] = tuple(range(10)),
                                confidence: float = 0.95) -> pd.DataFrame:
    """Concept-filtered clustering against k-means on the full dense embeddings.

    Both cluster the same rows into ``n_clusters``; agreement with ``labels`` is measured by
    adjusted mutual information and adjusted Rand index, for each k-means seed.

    Parameters
    ----------
    codes : sparse matrix of shape (n, d_sae)
    X : array of shape (n, d)
        The dense embeddings of the same rows (cosine geometry: rows are unit-normalised).
    features : sequence of int
        The chosen concepts (as :func:`embviz.sae.concept_clusters`).
    labels : sequence of length n
        Reference classes (e.g. the chosen categories plus "other").
    n_clusters : int
    seeds : sequence of int, default 0..9
    confidence : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per method (``concepts``, ``dense``) with ``ami_mean``, ``ami_ci_low``,
        ``ami_ci_high`` and ``ari_mean``, ``ari_ci_low``, ``ari_ci_high``: Student-t intervals
        over the k-means seeds (they reflect the seeds' variation only, the rows fixed), and
        ``n_seeds``.
    """
    from scipy.stats import t as student_t
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

    from .analysis import concept_clusters

    Xa = check_embeddings(X, "X", 2).astype(np.float64)
    U = Xa / np.linalg.norm(Xa, axis=1, keepdims=True)
    y = np.asarray(pd.Series(labels).astype(str))
    n_clusters = check_positive_int(n_clusters, "n_clusters")
    seeds = list(seeds)
    if len(seeds) < 2:
        raise ValueError("give at least two seeds for an interval")
    scores: dict[str, list[tuple[float, float]]] = {"concepts": [], "dense": []}
    for seed in seeds:
        c = concept_clusters(codes, features, n_clusters=n_clusters, random_state=seed)
        d = KMeans(n_clusters=n_clusters, n_init=4, random_state=seed).fit(U).labels_
        for name, lab in (("concepts", c), ("dense", d)):
            scores[name].append((adjusted_mutual_info_score(y, lab),
                                 adjusted_rand_score(y, lab)))
    q = student_t.ppf(0.5 + confidence / 2, len(seeds) - 1)
    rows = []
    for name, vals in scores.items():
        v = np.asarray(vals)
        mean, se = v.mean(axis=0), v.std(axis=0, ddof=1) / np.sqrt(len(v))
        rows.append({"method": name, "ami_mean": mean[0], "ami_ci_low": mean[0] - q * se[0],
                     "ami_ci_high": mean[0] + q * se[0], "ari_mean": mean[1],
                     "ari_ci_low": mean[1] - q * se[1], "ari_ci_high": mean[1] + q * se[1],
                     "n_seeds": len(seeds)})
    return pd.DataFrame(rows)
