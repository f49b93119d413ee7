"""Two groups of the current corpus, chosen by a metadata column: what Compare and Concepts
views contrast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import param

from .state import AppState, controls

__all__ = ["GroupPicker", "group_columns"]

REST = "(all other rows)"
_MAX_VALUES = 200


def group_columns(meta: pd.DataFrame) -> list[str]:
    """Metadata columns with 2..200 distinct values (labels, groups, periods)."""
    return [c for c in meta.columns if c not in ("id", "text")
            and 2 <= meta[c].nunique() <= _MAX_VALUES]


class GroupPicker(param.Parameterized):
    """Group A = rows whose ``column`` equals ``value_a``; group B likewise, or all the rest."""

    column = param.Selector(default=None, objects=[])
    value_a = param.Selector(default=None, objects=[], label="Group A")
    value_b = param.Selector(default=None, objects=[], label="Group B")

    def __init__(self, state: AppState, **params):
        super().__init__(**params)
        self.state = state
        state.param.watch(self._on_data, "exploration")
        self._on_data()

    def _on_data(self, *_):
        exploration = self.state.exploration
        columns = group_columns(exploration.data.meta) if exploration is not None else []
        self.param.column.objects = columns
        preferred = [c for c in ("group", "label") if c in columns]
        self.column = (preferred or columns or [None])[0]
        self._on_column()

    @param.depends("column", watch=True)
    def _on_column(self):
        exploration = self.state.exploration
        if exploration is None or self.column is None:
            self.param.value_a.objects, self.param.value_b.objects = [], []
            return
        counts = exploration.data.meta[self.column].astype(str).value_counts()
        values = counts.index.tolist()
        self.param.value_a.objects = values
        self.param.value_b.objects = [REST, *values]
        self.value_a = values[0]
        self.value_b = values[1] if len(values) == 2 else REST

    def masks(self) -> tuple[np.ndarray, np.ndarray]:
        """Boolean row masks of groups A and B (disjoint)."""
        if self.column is None:
            raise ValueError("the corpus has no column with 2 to 200 distinct values to form "
                             "groups from (e.g. label, group, time)")
        values = self.state.exploration.data.meta[self.column].astype(str).to_numpy()
        in_a = values == self.value_a
        in_b = ~in_a if self.value_b == REST else values == self.value_b
        if self.value_b == self.value_a:
            raise ValueError("group A and group B are the same value: choose two values")
        return in_a, in_b

    def names(self) -> tuple[str, str]:
        return f"{self.column}={self.value_a}", (f"{self.column}={self.value_b}"
                                                 if self.value_b != REST else "the rest")

    def panel(self):
        return controls(self, "column", "value_a", "value_b")
