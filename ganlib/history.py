"""The training record: one row of statistics per logged step, usable as a table."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["COLUMNS", "History"]

COLUMNS = (
    "step", "time", "d_loss", "g_loss", "d_real", "d_fake",
    "gp", "gp_grad_norm", "r1", "d_grad_norm", "g_grad_norm",
)


class History:
    """Training statistics, one row per logged step; use it as a table.

    Columns: ``step`` (generator updates so far), ``time`` (seconds of training),
    ``d_loss``/``g_loss``, ``d_real``/``d_fake`` (mean D(x) and D(G(z)) as probabilities
    for the minimax and non-saturating losses, mean raw outputs for the others), ``gp``
    and ``gp_grad_norm`` (penalty and mean gradient norm at the interpolates, NaN without
    a penalty), ``r1`` (R1 penalty, the mean ‖∇ₓD(x)‖² on real data, NaN without it),
    ``d_grad_norm``/``g_grad_norm`` (total L2 norm of each network's gradient).
    """

    def __init__(self, rows: Iterable[dict[str, float]] = ()) -> None:
        self.rows: list[dict[str, float]] = [dict(r) for r in rows]

    def append(self, row: dict[str, float]) -> None:
        self.rows.append(dict(row))

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, column: str) -> np.ndarray:
        if column not in COLUMNS:
            raise KeyError(f"no column {column!r}; columns are {COLUMNS}")
        return np.array([r[column] for r in self.rows], dtype=float)

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS

    def last(self) -> dict[str, float]:
        if not self.rows:
            raise IndexError("the history is empty: no step has been logged yet")
        return dict(self.rows[-1])

    def to_pandas(self):
        """The history as a ``pandas.DataFrame`` indexed by step."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=list(COLUMNS)).set_index("step")

    def __repr__(self) -> str:
        if not self.rows:
            return "History(empty)"
        last = self.rows[-1]
        return (f"History({len(self)} rows, last step {int(last['step'])}: "
                f"d_loss={last['d_loss']:.4f}, g_loss={last['g_loss']:.4f})")
