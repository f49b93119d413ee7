"""The landscape part of ``embviz summary``: regions with a labelled map, the map's trust,
duplicates, outliers and (asked for) leakage between two groups, written next to the
geometry report and summed up in a few printed lines."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["write_landscape"]

_MAP = "pca"  # the summary's map (UMAP of a large corpus takes hours)


def write_landscape(exploration, out: Path, threshold: float, leakage_spec: str | None = None,
                    title: str = "") -> list[Path]:
    """Write ``regions.csv``, ``points.csv`` (each point's regions, trust and outlier
    scores), ``map_trust.csv``, ``duplicates.csv``, ``outliers.csv``, ``regions_map.pdf``
    / ``.png`` and, with ``leakage_spec`` (``"COLUMN:A:B"``), ``leakage.csv``; print what
    they say. Returns the paths written."""
    from ..viz import export_figure, region_map_figure

    regions = exploration.regions(_MAP)
    trust = exploration.map_trust(_MAP)
    found = exploration.duplicates(threshold)
    scores = exploration.outliers()
    points = pd.concat([regions.points, scores.drop(columns=["row", "text"], errors="ignore")],
                       axis=1)
    points = points.join(trust.points.add_prefix("map_"))
    paths = {"regions": out / "regions.csv", "points": out / "points.csv",
             "trust": out / "map_trust.csv", "duplicates": out / "duplicates.csv",
             "outliers": out / "outliers.csv"}
    regions.regions.assign(top_words=regions.regions["top_words"].map(" ".join),
                           top_concepts=regions.regions["top_concepts"].map(" ".join)
                           ).to_csv(paths["regions"], index=False)
    points.to_csv(paths["points"], index_label="row")
    trust.table().to_csv(paths["trust"], index=False)
    found.groups.to_csv(paths["duplicates"], index=False)
    scores[scores["n_flags"] > 0].to_csv(paths["outliers"], index=False)
    written = list(paths.values())
    fig = region_map_figure(exploration.coords(_MAP, 2), regions, level=0,
                            title=f"{title} · regions".strip(" ·"), axis_title="PC",
                            width="double")
    try:
        written += export_figure(fig, out / "regions_map", width="double",
                                 formats=("png", "pdf"))
    except Exception as err:  # no Chromium for kaleido
        print(f"embviz: the labelled map was not exported ({err})")
    if leakage_spec:
        written.append(_write_leakage(exploration, out / "leakage.csv", threshold,
                                      leakage_spec))
    _print_summary(regions, trust, found, scores)
    return written


def _print_summary(regions, trust, found, scores) -> None:
    values = found.table().set_index("metric")["value"]
    coarse = regions.level(0)
    print(f"\nregions: {regions.n_levels} levels "
          f"({', '.join(str(len(regions.level(i))) for i in range(regions.n_levels))} "
          f"regions); the coarsest: " + "; ".join(
              f"{name} ({size:,})" for name, size in zip(coarse["name"], coarse["size"])))
    print(trust.summary() + (f" ({trust.parameters['points']} points scored)"
                           if "points" in trust.parameters else ""))
    print(f"near duplicates (1 - cos <= {found.threshold:g}): {int(values['n_groups']):,} "
          f"groups, {int(values['points_in_groups']):,} points; keeping one per group "
          f"removes {int(values['n_removed']):,}")
    print(f"outliers: {int((scores['n_flags'] > 0).sum()):,} flagged by at least one of kNN "
          f"distance, LOF and TTE depth, {int((scores['n_flags'] == 3).sum()):,} by all three")


def _write_leakage(exploration, path: Path, threshold: float, spec: str) -> Path:
    """``COLUMN:A:B``: rows of B with a near duplicate among rows of A."""
    parts = spec.split(":")
    if len(parts) != 3:
        raise SystemExit(f"embviz: --leakage must be COLUMN:A:B (e.g. split:train:test), got "
                         f"{spec!r}")
    column, value_a, value_b = parts
    table = exploration.leakage(column, value_a, value_b, threshold)
    n_a, n_b = (int(m.sum()) for m in exploration.group_masks(column, value_a, value_b))
    table.to_csv(path, index=False)
    print(f"leakage: {len(table):,} of {n_b:,} rows with {column} = {value_b} have a near "
          f"duplicate among the {n_a:,} with {column} = {value_a}")
    return path
