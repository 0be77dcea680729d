"""The judgement band: exact draws of ``P(Y | E_1..k, theta)`` at every step (docs/model.md).

Draw ``h``, then ``pi ~ Dirichlet(kappa pi + e_h)``, ``p`` from its prior, and each item's
likelihoods from its prior tilted by ``Lr(h) ** w`` (rejection sampling). One pass over the
items; draws are shared across steps (common random numbers), so the band moves smoothly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

import numpy as np

from . import caches
from .errors import InputError
from .model import Arrays, prefix_weights
from .quadrature import first_alike, log_effective, log_expected_tilt, row_max
from .rejection import accept_rows, tilted_proposal
from .streams import stream

__all__ = [
    "NUMPY_ROUTE_MAX",
    "Workspace",
    "band_draws",
    "band_route",
    "proposal_rows",
    "sample_tilted",
    "workspace",
]

Progress = Callable[[int, int], None]


_PRIOR_RATE = np.log(0.3)  # below this acceptance rate, the mixture proposal if cheaper
MAX_PROPOSALS = 1e6
"""Expected proposals per draw above which an item's draws are refused (ValueError) rather
than left to run for hours: only absurdly wide intervals against a hypothesis get there."""


def _proposals(mu, sd, r, w, log_c):
    """How each item's prior tilted by ``Lr(h) ** w`` is drawn (see :func:`sample_tilted`).

    Parameters
    ----------
    mu, sd : (n, H) arrays
    r, w : (n,) arrays
    log_c : (n, H) array
        ``log E[Lr(h) ** w]``.

    Returns
    -------
    prior_mode : (n, H) bool
        The plain prior is the proposal: its acceptance rate ``c`` is not low, or the
        mixture would need more proposals.
    g_star : (n, H) int
        The hypothesis the mixture's tilted part moves away from: the likeliest competitor.
    log_norm : (n, H)
        ``log((1-r)^w + r^w E[e^{w z}])``, the mixture's normaliser (0 in prior mode).
    log_cost : (n, H)
        log of the expected number of proposals (normal vectors) per accepted draw.

    Notes
    -----
    The mixture's tilted part draws from normals moved by ``w sd_h^2`` and ``-w sd_g*^2``,
    which is the prior times ``e^{w (X_h - X_g*)}`` over its mean ``A``, and keeps a draw with
    probability ``e^{w (X_g* - max X)}``: on average ``E[e^{w z}] / A`` of them. With wide
    intervals ``A`` grows fast, and the plain prior is then the cheaper proposal.
    """
    n_h = mu.shape[1]
    with np.errstate(divide="ignore"):
        log_r, log_flat = np.log(r), w * np.log1p(-r)
    top = mu.max(axis=1, keepdims=True)
    g_star = np.where(mu >= top, np.arange(n_h), np.argmax(mu, axis=1)[:, None])
    log_cost = -log_c  # the plain prior's
    log_norm = np.zeros_like(log_c)
    # log c = -inf: the item rules h out (a zero at reliability 1), and no draw given h
    # follows it; those pairs keep the plain prior and an infinite cost
    rows = np.flatnonzero(((log_c <= _PRIOR_RATE) & (log_c > -np.inf)).any(axis=1))
    if rows.size:
        m, s, g, wr = mu[rows], sd[rows], g_star[rows], w[rows, None]
        log_tilt = log_expected_tilt(m, s, np.ones(rows.size), w[rows])  # log E[e^{w z}]
        with np.errstate(invalid="ignore", divide="ignore"):  # the ruled-out pairs: NaN, unused
            norm = np.logaddexp(log_flat[rows, None], (w * log_r)[rows, None] + log_tilt)
            m_g, s_g = np.take_along_axis(m, g, axis=1), np.take_along_axis(s, g, axis=1)
            log_a = np.where(g == np.arange(n_h), 0.0, wr * (m - m_g) + wr**2 * (s**2 + s_g**2) / 2)
            log_p_flat = log_flat[rows, None] - norm  # the mixture's share of prior draws
            # per outer proposal: a prior draw, or 1 / (inner acceptance) shifted ones
            per_outer = np.logaddexp(log_p_flat, np.log1p(-np.exp(log_p_flat)) + log_a - log_tilt)
        live = log_c[rows] > -np.inf
        mixture = (
            live & (log_c[rows] <= _PRIOR_RATE) & (per_outer + norm - log_c[rows] < -log_c[rows])
        )
        log_cost[rows] = np.where(mixture, per_outer + norm - log_c[rows], -log_c[rows])
        log_norm[rows] = np.where(mixture, norm, 0.0)
    prior_mode = np.ones(log_c.shape, bool)
    if rows.size:
        prior_mode[rows] = ~mixture
    return prior_mode, g_star, log_norm, log_cost


def _too_costly(log_cost: float) -> str:
    return (
        f"drawing the band would take about {np.exp(log_cost):.0e} tries per draw, because "
        "the item's likelihood intervals are very wide for how strongly it counts against a "
        "hypothesis; narrow the intervals"
    )


def sample_tilted(
    mu: np.ndarray,
    sd: np.ndarray,
    r: float,
    w: float,
    h: int,
    size: int,
    rng: np.random.Generator,
    log_c: np.ndarray | None = None,
) -> np.ndarray:
    """Exact draws of one item's log-likelihoods from its prior tilted by ``Lr(h) ** w``.

    Parameters
    ----------
    mu, sd : (H,) arrays
        The item's log-likelihood means and sds (sd 0: exact).
    r, w : float
        Reliability and weight.
    h : int
        The conditioning hypothesis.
    size : int
        Number of draws.
    rng : numpy Generator
    log_c : (H,) array, optional
        ``log E[Lr(g) ** w]`` for every ``g`` if already known (:func:`log_expected_tilt`).

    Returns
    -------
    (size, H) array of ``log L(g)`` draws.

    Notes
    -----
    Rejection sampling. When the acceptance rate ``c = E[Lr(h) ** w]`` of the plain prior
    proposal is low, the proposal is the mixture ``prior * ((1-r)^w + r^w e^{w z})``
    (which bounds the target since ``t^w`` is subadditive), its tilted part sampled from
    normals shifted toward ``h`` and away from the likeliest competitor ``g*``.
    :func:`forecast.band_loops.draw_tilted` is the same sampler, one draw at a time.
    """
    unc = sd > 0
    n_h = mu.shape[0]
    if not unc.any():
        return np.broadcast_to(mu, (size, n_h)).copy()
    r_arr, w_arr = np.array([r]), np.array([w])
    if log_c is None:
        log_c = log_expected_tilt(mu[None], sd[None], r_arr, w_arr)[0]
    modes = _proposals(mu[None], sd[None], r_arr, w_arr, log_c[None])
    prior_mode, g_star, log_norm, log_cost = (m[0, h] for m in modes)
    if log_cost > np.log(MAX_PROPOSALS):
        raise InputError(_too_costly(log_cost))
    propose, log_accept = tilted_proposal(
        mu, sd, r, w, h, rng, bool(prior_mode), int(g_star), float(log_norm)
    )
    rate = np.exp(log_c[h] - log_norm)
    return accept_rows(propose, log_accept, rate, h, (size, mu.shape[0]), rng)


def _prior_draws(a: Arrays, size: int, rng: np.random.Generator):
    """Log pi draws for each conditioning h, (H, S, H), and p_outcome draws (S, H)."""
    n_h = a.n_hypotheses
    if a.kappa is None:
        log_pi = np.broadcast_to(np.log(a.prior), (n_h, size, n_h))
    else:
        # Dirichlet(kappa pi + e_h) = normalise(Gamma(kappa pi) + Exp(1) e_h): shared draws
        gam = rng.gamma(a.kappa * a.prior, size=(size, n_h))
        extra = rng.exponential(size=size)
        stacked = gam[None] + np.eye(n_h)[:, None, :] * extra[None, :, None]
        with np.errstate(divide="ignore"):  # a tiny kappa * pi can draw an exact 0: log 0
            log_pi = np.log(stacked) - np.log(stacked.sum(axis=2, keepdims=True))
    p = a.p_given_hypothesis(rng.standard_normal((size, n_h)))
    return log_pi, p


def proposal_rows(
    mu: np.ndarray, sd: np.ndarray, r: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """How the compiled sampler draws items (n, H) at weights ``w`` (n,) given each h.

    Returns ``prior_mode``, ``g_star``, ``log_cost`` (see :func:`_proposals`) and
    ``p_flat``, the mixture's chance of a plain prior draw; (n, H) each.
    """
    prior_mode, g_star, log_norm, log_cost = _proposals(
        mu, sd, r, w, log_expected_tilt(mu, sd, r, w)
    )
    with np.errstate(divide="ignore"):
        p_flat = np.exp((w * np.log1p(-r))[:, None] - log_norm)
    return prior_mode, g_star, p_flat, log_cost


class Workspace:
    """Arrays kept from one run to the next, by name (one workspace per thread).

    A warm run (a what-if move) reuses them instead of allocating and zeroing fresh ones:
    at 4,000 draws the band's scratch arrays are tens of megabytes per run otherwise.
    """

    keep_bytes = 64 * 2**20
    """Arrays larger than this are made anew every time and not kept."""

    def __init__(self) -> None:
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype=float) -> np.ndarray:
        """An array of ``shape`` and ``dtype`` kept under ``name`` (contents undefined).

        The same name gives the same memory while the shape and dtype stay the same, so the
        caller must be done with the previous contents.

        Examples
        --------
        >>> workspace().array("x", (2, 3)).shape
        (2, 3)
        """
        x = self._arrays.get(name)
        if x is None or x.shape != shape or x.dtype != np.dtype(dtype):
            x = np.empty(shape, dtype)
            if x.nbytes <= self.keep_bytes:
                self._arrays[name] = x
            else:  # a large scenario's arrays are not held between runs
                self._arrays.pop(name, None)
        return x

    def filled(self, name: str, shape: tuple[int, ...], value=0, dtype=float) -> np.ndarray:
        """:meth:`array` with every entry set to ``value``."""
        x = self.array(name, shape, dtype)
        x.fill(value)
        return x


_LOCAL = threading.local()


def workspace() -> Workspace:
    """The :class:`Workspace` of this thread (the band's two parts run in threads of their own)."""
    ws = getattr(_LOCAL, "workspace", None)
    if ws is None:
        ws = _LOCAL.workspace = Workspace()
    return ws


_PRIORS: dict[tuple, tuple] = {}
"""The prior draws (uniforms, log pi, p) of the last few (seed, draws, priors)."""
caches.on_clear(_PRIORS.clear)
caches.on_clear(lambda: vars(_LOCAL).pop("workspace", None))  # this thread's scratch arrays


def _shared_prior_draws(a: Arrays, draws: int, seed: int):
    """``u``, ``log_pi``, ``p`` of :func:`band_draws`, read-only, remembered.

    They depend only on the seed, the number of draws and the priors, which a what-if move keeps.
    """
    key = (
        seed, draws, a.kappa,
        *(x.tobytes() for x in (a.prior, a.p_mean, a.p_sd)),
    )  # fmt: skip
    got = _PRIORS.get(key)
    if got is None:
        rng = np.random.default_rng([seed, 0])
        u = rng.random(draws)
        log_pi, p = _prior_draws(a, draws, rng)
        log_pi = np.ascontiguousarray(log_pi)
        got = (u, log_pi, p)
        for x in got:
            x.setflags(write=False)
        if len(_PRIORS) >= 4:
            _PRIORS.pop(next(iter(_PRIORS)))
        _PRIORS[key] = got
    return got


_PARTS = 2
"""Large scenarios' draws come in this many parts, each with its own random stream and
thread (the compiled loops release the GIL). Fixed, so that the numbers do not depend on
the machine's number of cores."""

_RUN = 256  # compiled steps between progress reports
_CHUNK_ELEMENTS = 4_000_000  # numpy: steps are combined in blocks of about this many numbers


NUMPY_ROUTE_MAX = 2**22
"""The numpy route draws every (uncertain item, conditioning h, h', draw): up to this many
numbers (32 MiB). Larger scenarios take the compiled route. A size of the problem, never of
a cache, so that a cache's capacity cannot change a published number."""


def band_route(a: Arrays, draws: int) -> str:
    """``"numpy"`` or ``"compiled"``: how :func:`band_draws` draws the band of ``a``.

    Examples
    --------
    >>> band_route(encode(load_scenario()), 4000)  # doctest: +SKIP
    'numpy'
    """
    n_uncertain = int((a.sd > 0).any(axis=1).sum())
    return "numpy" if n_uncertain * a.n_hypotheses**2 * draws <= NUMPY_ROUTE_MAX else "compiled"


def band_draws(
    a: Arrays,
    ids: tuple[str, ...],
    p_h: np.ndarray,
    draws: int,
    seed: int,
    progress: Progress | None = None,
    out: np.ndarray | None = None,
    final: dict | None = None,
    keep: np.ndarray | None = None,
) -> np.ndarray:
    """Draws of ``P(Y | E_1..k, theta)``, theta ~ P(theta | E_1..k), for every step k.

    Parameters
    ----------
    a : Arrays
        The scenario's numbers (:func:`forecast.model.encode`).
    ids : tuple of str
        The items' ids, in update order (they key the remembered draws).
    p_h : (N+1, H) array
        ``P(h | E_1..k)`` (:func:`forecast.model.probabilities`).
    draws, seed : int
    progress : callable, optional
        Called as ``progress(step, n_steps)`` as the steps are done.
    out : (N+1, S) float array, optional
        Where to write the draws (e.g. a :class:`Workspace` array); a new array if None.
    final : dict, optional
        If given, filled with the last step's draws: ``"p_hypothesis"`` (S, H), each draw's
        ``P(h | E_1..N, theta)``, and ``"p_given_hypothesis"`` (S, H), its ``p_h``
        (what :func:`forecast.indicators.watch` needs for the band of an indicator).
    keep : (N+1, S, H) float array, optional
        If given, filled with every step's draws of ``P(h | E_1..k, theta)`` (the time
        model reweights them, :mod:`forecast.asof`); the draws' ``p_h`` are then in
        ``final["p_given_hypothesis"]`` (pass ``final`` too).

    Returns
    -------
    (N+1, S) array of probabilities (``out`` if given).

    Notes
    -----
    Draw ``s`` has hypothesis ``h_of[k, s]`` at step ``k`` (one uniform per draw, so that
    draws move together across steps). Its log posterior over hypotheses is ``log pi`` plus
    the sum of the items' contributions ``w log Lr(h')``, each drawn given ``h_of[k, s]``.
    Items with exact inputs add the same vector to every draw. Small scenarios draw every
    uncertain item for every draw of every hypothesis still in use, with numpy, and
    remember the draws, so that a what-if edit samples only the item it changed. Large ones
    draw an item only for the (draw, hypothesis) pairs that a later step uses, with the
    compiled loops of :mod:`forecast.band_loops`, the draws in two parts side by side.

    Examples
    --------
    >>> a = encode(load_scenario("priors.yaml", "evidence"))  # doctest: +SKIP
    >>> band_draws(a, ids, probabilities(a)[0], 4000, seed=0).shape  # doctest: +SKIP
    (14, 4000)
    """
    u, log_pi, p = _shared_prior_draws(a, draws, seed)
    h_of, last_k = _hypothesis_paths(u, p_h)
    uncertain = (a.sd > 0).any(axis=1)
    if out is None:
        out = np.empty((a.mu.shape[0] + 1, draws))
    if band_route(a, draws) == "numpy":
        part = _NumpyPart(a, ids, h_of, log_pi, p, last_k, seed, out)
        const, drawn = _run_steps(a, uncertain, part, progress, keep=keep)
        if final is not None:  # the numpy part's drawn parts are by conditioning h first
            final.update(_final_draws(log_pi, h_of[-1], p, const, drawn.transpose(1, 0, 2)))
        return out
    paths = (h_of, log_pi, p, last_k)
    _compiled_band(a, ids, paths, seed, progress, out, final, keep)
    return out


def _hypothesis_paths(u: np.ndarray, p_h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each draw's hypothesis at every step and the last step it has each hypothesis.

    ``u`` (S,) are the draws' uniforms and ``p_h`` (N+1, H) is ``P(h | E_1..k)``. Returns
    ``h_of`` (N+1, S), the number of cumulative probabilities below ``u`` (a workspace
    array), and ``last_k`` (H, S), the last step at which draw ``s`` has hypothesis ``h``
    (-1: never).
    """
    n_steps, n_h = p_h.shape
    draws = u.shape[0]
    cdf = np.cumsum(p_h, axis=1)
    cdf /= cdf[:, -1:]
    h_of = workspace().filled("h_of", (n_steps, draws), 0, np.int8 if n_h <= 127 else np.int32)
    for h in range(n_h - 1):  # h_of = how many of the cumulative probabilities lie below u
        h_of += u[None, :] > cdf[:, h, None]
    last_k = np.full((n_h, draws), -1)
    every = np.arange(draws)
    for k in range(n_steps):
        last_k[h_of[k], every] = k
    return h_of, last_k


def _compiled_band(
    a: Arrays,
    ids: tuple[str, ...],
    paths: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    seed: int,
    progress: Progress | None,
    out: np.ndarray,
    final: dict | None,
    keep: np.ndarray | None,
) -> None:
    """The compiled route of :func:`band_draws`: the draws in ``_PARTS`` parts side by side.

    Writes into ``out`` (and ``final``, ``keep``); ``paths`` is ``(h_of, log_pi, p, last_k)``.
    """
    h_of, log_pi, p, last_k = paths
    uncertain = (a.sd > 0).any(axis=1)
    shared = _CompiledPart.shared(a, ids, uncertain, last_k.max(axis=1))
    bounds = np.linspace(0, h_of.shape[1], _PARTS + 1).astype(int)
    stop = threading.Event()  # set when a part failed or the user interrupted
    finals: list[dict] = [{}] * _PARTS

    def run_part(j: int) -> None:
        sl = slice(bounds[j], bounds[j + 1])
        part = _CompiledPart(
            a, shared, h_of[:, sl], log_pi[:, sl], p[sl], last_k[:, sl], [seed, 1, j]
        )
        state = _run_steps(
            a, uncertain, part, progress if j == 0 else None, stop,
            keep=None if keep is None else keep[:, sl],
        )  # fmt: skip
        out[:, sl] = part.out
        if final is not None:
            finals[j] = _final_draws(log_pi[:, sl], h_of[-1, sl], p[sl], *state)

    pool = ThreadPoolExecutor(_PARTS)
    try:
        parts = [pool.submit(run_part, j) for j in range(_PARTS)]
        wait(parts, return_when=FIRST_EXCEPTION)
    finally:  # a failure or an interrupt (Ctrl-C) stops the other part within a few steps
        stop.set()
        pool.shutdown(wait=True)
    errors = [e for e in (f.exception() for f in parts) if not isinstance(e, _Stopped | None)]
    if errors:
        raise errors[0]
    if final is not None:
        final.update({key: np.concatenate([f[key] for f in finals]) for key in finals[0]})


def _final_draws(log_pi, h_last, p, const, drawn) -> dict:
    """Each draw's ``P(h | E_1..N, theta)`` and ``p_h`` at the last step (see band_draws).

    ``drawn`` (draw, conditioning h, hypothesis).
    """
    return {"p_hypothesis": _draw_posterior(log_pi, h_last, const, drawn), "p_given_hypothesis": p}


def _draw_posterior(log_pi, h_of, const, drawn) -> np.ndarray:
    """Each draw's ``P(h | E_1..k, theta)`` (S, H); ``drawn`` (draw, conditioning h, hypothesis)."""
    every = np.arange(h_of.shape[0])
    log_post = log_pi[h_of, every] + const + drawn[every, h_of]
    log_post -= row_max(log_post)[:, None]
    post = np.exp(log_post)
    return post / post.sum(axis=1, keepdims=True)


def _change(new: np.ndarray, old: np.ndarray | float) -> np.ndarray:
    """``new - old`` for a group's exact log terms, where a zero that stays a zero is no change.

    A point likelihood of 0 ranks first in its group and keeps weight 1, so its ``-inf`` is in
    both ``old`` and ``new``: ``-inf - (-inf)`` would be NaN and spoil every later step.
    """
    with np.errstate(invalid="ignore"):
        change = np.subtract(new, old)
    return np.where(np.isneginf(new) & np.isneginf(old), 0.0, change)


class _Stopped(Exception):
    """A part of the band gave up because another one failed or the user interrupted."""


def _run_steps(
    a: Arrays,
    uncertain: np.ndarray,
    part,
    progress: Progress | None,
    stop: threading.Event | None = None,
    keep: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Every step for one part's draws: the items' contributions, then each predictive.

    ``part`` adds an item's draws (``add``), fills a step's predictives (``predict``) and,
    if compiled, runs a stretch of items in no group at once (``free_steps``). ``stop``
    (a ``threading.Event``): give up between steps once it is set. ``keep`` (N+1, S, H): filled
    with each step's per-draw posterior (compiled stretches are then not used). Returns the last step's
    ``const`` (H,) and ``drawn`` (S, H, H) parts of the draws' log posteriors.
    """
    n_items, n_h = a.mu.shape
    ws = workspace()
    const = np.zeros(n_h)  # exact parts: the same for every draw
    shape = part.drawn_shape
    drawn = ws.filled("drawn", shape)  # drawn parts, by draw, conditioning h and hypothesis
    group_const: dict[int, np.ndarray] = {}
    group_drawn: dict[int, np.ndarray] = {}  # a group's drawn part now, and a spare buffer
    spare: dict[int, np.ndarray] = {}
    group_w = {int(g): prefix_weights(a, int(g)) for g in np.unique(a.group[a.group >= 0])}
    grouped_steps = np.flatnonzero(a.group >= 0) + 1
    k = 0
    while k <= n_items:
        if stop is not None and stop.is_set():
            raise _Stopped
        if part.compiled and keep is None and (k == 0 or a.group[k - 1] < 0):
            nxt = np.searchsorted(grouped_steps, k)
            end = grouped_steps[nxt] if nxt < grouped_steps.size else n_items + 1
            end = min(end, k + _RUN)
            part.free_steps(k, end, const, drawn)
            k = end
            if progress is not None:
                progress(k - 1, n_items)
            continue
        if k > 0:
            i = k - 1
            g = a.group[i]
            if g < 0:
                if uncertain[i]:
                    part.add(drawn, i, 1.0, k)
                else:
                    const += log_effective(a.mu[i][None], a.r[i])[0]
            else:  # a group's weights change: its members' contributions are drawn anew
                members = np.flatnonzero(a.group[:k] == g)
                w_all = group_w[int(g)][: members.size, members.size - 1]
                exact = ~uncertain[members]
                new_const = (
                    w_all[exact, None] * log_effective(a.mu[members[exact]], a.r[members[exact]])
                ).sum(axis=0)
                const += _change(new_const, group_const.get(int(g), 0.0))
                group_const[int(g)] = new_const
                if not exact.all():
                    new_drawn = spare.pop(int(g), None)
                    if new_drawn is None:
                        second = "b" if int(g) in group_drawn else "a"  # two per group
                        new_drawn = ws.array(f"group {int(g)} {second}", shape)
                    new_drawn.fill(0.0)
                    for j, w in zip(members[~exact], w_all[~exact], strict=True):
                        part.add(new_drawn, j, float(w), k)
                    old = group_drawn.get(int(g))
                    if old is None:
                        drawn += new_drawn
                    else:  # drawn += new - old, the difference first (as the numbers were)
                        drawn += np.subtract(new_drawn, old, out=ws.array("difference", shape))
                        spare[int(g)] = old
                    group_drawn[int(g)] = new_drawn
        part.predict(k, const, drawn)
        if keep is not None:
            keep[k] = part.posterior(k, const, drawn)
        if progress is not None and k > 0:
            progress(k, n_items)
        k += 1
    return const, drawn


_ROWS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _log_pi_rows(log_pi: np.ndarray) -> np.ndarray:
    """``log_pi`` (H, S, H) as rows (S * H, H), row ``s * H + h``; kept for the last array."""
    got = _ROWS.get(id(log_pi))
    if got is None or got[0] is not log_pi:
        n_h = log_pi.shape[0]
        rows = np.ascontiguousarray(log_pi.transpose(1, 0, 2)).reshape(-1, n_h)
        _ROWS.clear()
        _ROWS[id(log_pi)] = got = (log_pi, rows)
    return got[1]


class _NumpyPart:
    """Vectorised draws for every draw of every hypothesis still in use, remembered.

    The predictives in blocks of steps.
    """

    compiled = False

    def __init__(self, a, ids, h_of, log_pi, p, last_k, seed, out):
        self.a, self.ids, self.h_of, self.p, self.seed, self.out = a, ids, h_of, p, seed, out
        self.log_pi = log_pi
        self.draws, n_h = p.shape
        self.last_needed = last_k.max(axis=1)
        self.row_of = np.arange(self.draws) * n_h  # row of (draw s, hypothesis h): s * H + h
        # the drawn parts as (conditioning h, draw, hypothesis): an item's draws given h are
        # added to one contiguous block, many times faster than a strided one
        self.drawn_shape = (n_h, self.draws, n_h)
        self.every = np.arange(self.draws)
        self.log_pi_rows = _log_pi_rows(log_pi)
        self.block = max(1, min(_CHUNK_ELEMENTS // (self.draws * n_h), h_of.shape[0]))
        self.totals = workspace().filled("totals", (self.block, self.draws, n_h))
        self.consts = np.zeros((self.block, n_h))
        self.n_block = 0
        self.any_drawn = False

    def add(self, out: np.ndarray, i: int, w: float, k: int) -> None:
        """Add item i's ``w log Lr`` draws to ``out`` (H, S, H) for the hypotheses used."""
        a, draws, seed = self.a, self.draws, self.seed
        log_c = log_expected_tilt(a.mu[i : i + 1], a.sd[i : i + 1], a.r[i : i + 1], [w])[0]
        for h in np.flatnonzero(self.last_needed >= k):
            key = (seed, draws, self.ids[i], a.mu[i].tobytes(), a.sd[i].tobytes(), a.r[i], w, h)
            x = caches.DRAWS.get(key)
            if x is None:
                rng = stream(seed, self.ids[i], int(h))  # per (item, hypothesis)
                try:
                    x = sample_tilted(a.mu[i], a.sd[i], a.r[i], w, int(h), draws, rng, log_c=log_c)
                except ValueError as exc:
                    raise type(exc)(f"evidence item {self.ids[i]!r}: {exc}") from None
                x = w * log_effective(x, a.r[i])
                caches.DRAWS.put(key, x)
            out[h] += x
        self.any_drawn = True

    def predict(self, k: int, const: np.ndarray, drawn: np.ndarray) -> None:
        """Keep step k's totals; compute the block's predictives when it is full or last."""
        n = self.n_block
        if self.any_drawn:
            rows = self.h_of[k].astype(np.intp) * self.draws + self.every  # (h, s) in (H*S, H)
            np.take(drawn.reshape(-1, drawn.shape[2]), rows, axis=0, out=self.totals[n])
        self.consts[n] = const
        self.n_block += 1
        if self.n_block == self.block or k == self.h_of.shape[0] - 1:
            self._flush(k + 1, self.n_block)
            self.n_block = 0

    def posterior(self, k: int, const: np.ndarray, drawn: np.ndarray) -> np.ndarray:
        """Each draw's ``P(h | E_1..k, theta)`` at step k (S, H)."""
        return _draw_posterior(self.log_pi, self.h_of[k], const, drawn.transpose(1, 0, 2))

    def _flush(self, k_end: int, n: int) -> None:
        """Posterior predictive of the block of n steps ending at k_end (exclusive)."""
        a, p, consts = self.a, self.p, self.consts
        ks = np.arange(k_end - n, k_end)
        if not self.any_drawn and a.kappa is None:  # every draw differs only in p
            log_post = consts[:n] + np.log(a.prior)
            post = np.exp(log_post - log_post.max(axis=1, keepdims=True))
            self.out[ks] = (post / post.sum(axis=1, keepdims=True)) @ p.T
            return
        total = workspace().array("total", (n, self.draws, a.n_hypotheses))
        np.take(self.log_pi_rows, self.row_of + self.h_of[ks], axis=0, out=total)
        total += consts[:n, None, :]
        if self.any_drawn:
            total += self.totals[:n]
        total -= row_max(total)[..., None]
        np.exp(total, out=total)
        self.out[ks] = np.einsum("ksh,sh->ks", total, p) / total.sum(axis=2)


class _CompiledPart:
    """Compiled draws for the (draw, hypothesis) pairs a later step uses, one stream.

    Each step's predictives as soon as it is reached.
    """

    compiled = True

    @staticmethod
    def shared(a: Arrays, ids, uncertain: np.ndarray, last_needed: np.ndarray) -> dict:
        """What every part uses, computed once.

        The proposals of the uncertain items at every weight they take (those in no group in (N, H) arrays, grouped ones by
        ``(item, weight)``), and the exact items' ``log Lr`` rows.

        Raises ValueError (naming the item) where a pair that some draw uses would need
        more than :data:`MAX_PROPOSALS` tries per draw.
        """
        from . import band_loops  # loaded here, not in both threads at once

        free = np.flatnonzero(uncertain & (a.group < 0))
        row_parts, weight_parts, step_parts = [free], [np.ones(free.size)], [free + 1]
        for g in np.unique(a.group[a.group >= 0]):  # a group's weight changes as it grows
            members = np.flatnonzero(a.group == g)
            table = prefix_weights(a, int(g))
            for n in range(1, members.size + 1):
                unc = uncertain[members[:n]]
                seen = members[:n][unc]
                row_parts.append(seen)
                weight_parts.append(table[:n, n - 1][unc])
                step_parts.append(np.full(seen.size, members[n - 1] + 1))
        rows, weights, steps = (np.concatenate(x) for x in (row_parts, weight_parts, step_parts))
        prior_mode, g_star, p_flat, log_cost = proposal_rows(
            a.mu[rows], a.sd[rows], a.r[rows], weights
        )
        used = last_needed[None, :] >= steps[:, None]  # some draw needs the pair (item, h)
        bad = np.flatnonzero((used & (log_cost > np.log(MAX_PROPOSALS))).any(axis=1))
        if bad.size:
            j = bad[0]
            cost = log_cost[j][used[j]].max()
            raise InputError(f"evidence item {ids[rows[j]]!r}: {_too_costly(cost)}")
        n_free = free.size
        proposals = tuple(np.zeros(a.mu.shape, m.dtype) for m in (prior_mode, g_star, p_flat))
        for full, part in zip(proposals, (prior_mode, g_star, p_flat), strict=True):
            full[free] = part[:n_free]
        grouped = {
            (int(i), float(w)): (prior_mode[j], g_star[j], p_flat[j])
            for j, (i, w) in enumerate(zip(rows, weights, strict=True))
            if j >= n_free
        }
        exact_add = np.where(uncertain[:, None], 0.0, log_effective(a.mu, a.r))
        return {
            "kernels": band_loops,
            "proposals": proposals,
            "grouped": grouped,
            "alike": first_alike(a.mu, a.sd),  # hypotheses whose draws an item shares
            "exact_add": exact_add,
            "uncertain": uncertain,
        }

    def __init__(self, a, shared, h_of, log_pi, p, last_k, seed_words):
        self.kernels = shared["kernels"]
        self.a, self.common = a, shared
        self.h_of = np.ascontiguousarray(h_of)
        self.log_pi = np.ascontiguousarray(log_pi)
        self.p = np.ascontiguousarray(p)
        self.last_k = np.ascontiguousarray(last_k)
        self.rng = np.random.default_rng(seed_words)
        self.draws = self.p.shape[0]
        self.drawn_shape = (self.draws, a.n_hypotheses, a.n_hypotheses)  # as the kernels use
        self.out = np.empty((h_of.shape[0], self.draws))

    def add(self, out: np.ndarray, i: int, w: float, k: int) -> None:
        """Add item i's ``w log Lr`` draws to ``out`` for the pairs used from step k on."""
        a, s = self.a, self.common
        modes = s["grouped"].get((int(i), float(w)))
        if modes is None:  # an item in no group (weight 1), outside a compiled stretch
            modes = tuple(m[i] for m in s["proposals"])
        self.kernels.add_item(
            out, self.last_k, k, a.mu[i], a.sd[i], s["alike"][i], float(a.r[i]), float(w),
            *modes, self.rng,
        )  # fmt: skip

    def free_steps(self, k0: int, k1: int, const: np.ndarray, drawn: np.ndarray) -> None:
        """Steps k0 .. k1 - 1, whose items are in no group, and their predictives."""
        a, s = self.a, self.common
        self.kernels.free_steps(
            k0, k1, self.out, a.mu, a.sd, s["alike"], a.r, s["uncertain"], s["exact_add"],
            s["proposals"], self.last_k, self.h_of, self.log_pi, const, drawn, self.p, self.rng,
        )  # fmt: skip

    def posterior(self, k: int, const: np.ndarray, drawn: np.ndarray) -> np.ndarray:
        """Each draw's ``P(h | E_1..k, theta)`` at step k (S, H)."""
        return _draw_posterior(self.log_pi, self.h_of[k], const, drawn)

    def predict(self, k: int, const: np.ndarray, drawn: np.ndarray) -> None:
        self.kernels.predict_step(self.out[k], self.h_of[k], self.log_pi, const, drawn, self.p)
