"""Two groups of the current corpus, chosen by a metadata column: what Compare and Concepts
views contrast. Which columns and values qualify is the Exploration's decision."""

from __future__ import annotations

import numpy as np
import param

from .state import AppState, controls

__all__ = ["GroupPicker"]

REST = "(all other rows)"


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
        self.param.column.objects = exploration.group_columns if exploration is not None else []
        self.column = exploration.default_group_column if exploration is not None else None
        self._on_column()

    @param.depends("column", watch=True)
    def _on_column(self):
        exploration = self.state.exploration
        if exploration is None or self.column is None:
            self.param.value_a.objects, self.param.value_b.objects = [], []
            return
        values = exploration.group_values(self.column)
        self.param.value_a.objects = values
        self.param.value_b.objects = [REST, *values]
        self.value_a = values[0]
        self.value_b = values[1] if len(values) == 2 else REST

    def masks(self) -> tuple[np.ndarray, np.ndarray]:
        """Boolean row masks of groups A and B (disjoint)."""
        return self.state.exploration.group_masks(
            self.column, self.value_a, None if self.value_b == REST else self.value_b)

    def names(self) -> tuple[str, str]:
        """The groups' own names (``KJV``, ``WEB``); B is "the rest" when it is all others."""
        return str(self.value_a), (str(self.value_b) if self.value_b != REST else "the rest")

    def panel(self):
        return controls(self, "column", "value_a", "value_b")
