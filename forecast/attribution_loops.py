"""Compiled loop (numba) for the Shapley walks of a large dependence group.

Along one order of arrival, the arrival of a group member at strength position ``p`` takes
rank ``r`` (the number of members present that are stronger) and moves every weaker member
present down one rank. The change of the group's summed ``log c`` is therefore

    fin[p, r] + sum over present q weaker than p (rank j -> j + 1) of fin[q, j + 1] - fin[q, j]

so a whole order costs one pass over the members present at each arrival (about ``m**2 / 4``
look-ups per order) instead of re-summing the whole group at every arrival (``m**2`` per
order with numpy's masked gathers, and several passes over memory). Imported only for large
groups (:data:`forecast.attribution.COMPILED_GROUP`): loading numba costs about 0.3 s.
"""

from __future__ import annotations

import numpy as np

from .band_loops import jit


@jit
def _arrivals(order, fin, step, zero, d_fin, d_zero, with_zero):  # pragma: no cover
    n_p, m = order.shape
    n_h = fin.shape[2]
    present = np.empty(m, np.int64)  # positions of the members present, strongest first
    for s in range(n_p):
        for k in range(m):  # k members present before this arrival
            p = order[s, k]
            lo, hi = 0, k  # rank of p: how many present members are stronger
            while lo < hi:
                mid = (lo + hi) // 2
                if present[mid] < p:
                    lo = mid + 1
                else:
                    hi = mid
            r = lo
            for h in range(n_h):
                d_fin[s, k, h] = fin[p, r, h]
            for j in range(r, k):  # weaker members present: rank j -> j + 1
                q = present[j]
                for h in range(n_h):
                    d_fin[s, k, h] += step[q, j, h]
            if with_zero:
                for h in range(n_h):
                    d_zero[s, k, h] = zero[p, r, h]
                for j in range(r, k):
                    q = present[j]
                    for h in range(n_h):
                        d_zero[s, k, h] += zero[q, j + 1, h] - zero[q, j, h]
            for j in range(k, r, -1):
                present[j] = present[j - 1]
            present[r] = p


def group_arrivals(
    order: np.ndarray, fin: np.ndarray, zero: np.ndarray, with_zero: bool
) -> tuple[np.ndarray, np.ndarray]:
    """How a group's summed log c changes at each arrival of a member, along many orders.

    Parameters
    ----------
    order : (P, m) int array
        For each order, the members' strength positions (0 = strongest) in arrival order.
    fin, zero : (m, m, H) arrays
        ``log c`` of the member at position ``p`` at rank ``r + 1``: its finite part, and 1
        where it is ``-inf`` (a likelihood of 0), as :mod:`forecast.attribution` tabulates.
    with_zero : bool
        Whether to count the zeros (False: the second result is all 0).

    Returns
    -------
    (d_fin, d_zero) : (P, m, H) float and int arrays
        The change of the group's total at the k-th arrival of each order.

    Examples
    --------
    >>> fin = np.zeros((2, 2, 1)); fin[0, 0], fin[1, 0], fin[1, 1] = 1.0, 2.0, 0.5
    >>> d, _ = group_arrivals(np.array([[1, 0]]), fin, np.zeros((2, 2, 1), np.int64), False)
    >>> d[0, :, 0].tolist()  # member 1 alone at rank 1, then member 0 pushes it to rank 2
    [2.0, -0.5]
    """
    n_p, m = order.shape
    n_h = fin.shape[2]
    d_fin = np.empty((n_p, m, n_h))
    d_zero = np.zeros((n_p, m, n_h), np.int64)
    fin = np.ascontiguousarray(fin, dtype=np.float64)
    step = np.zeros_like(fin)  # fin[q, j + 1] - fin[q, j]: a member moved down one rank
    np.subtract(fin[:, 1:], fin[:, :-1], out=step[:, :-1])
    _arrivals(
        np.ascontiguousarray(order, dtype=np.int64),
        fin,
        step,
        np.ascontiguousarray(zero, dtype=np.int64),
        d_fin,
        d_zero,
        with_zero,
    )
    return d_fin, d_zero
