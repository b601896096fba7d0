"""The compiled iteration of the ruin and recreate in sisr.py (numba, integer arrays only);
one route's arrays and the best place for a job in it are in sisr_route.py.

The arrays travel in three tuples so that the kernels' signatures stay readable:
- `data`: the problem, (T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n,
  dl, has_dl, dlv, pck, TT, CT): dl is each node's deadline (BIG: none), has_dl whether any
  task has one, dlv / pck whether a node delivers / picks up (for clean before dirty), TT /
  CT the matrices transposed;
- `fleet`: what an insertion must respect, (allowed, cap, max_tasks, fixed, cbd), cbd: the
  vehicle has pickups_after_deliveries;
- `state`: the plan and each route's cached arrays,
  (route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos, rnlate, rlate, fpick,
  ldeliv): rnlate / rlate the route's late tasks and their lateness, fpick the position of
  its first pickup (rlen: none), ldeliv of its last delivery (-1: none).

The objective is a triple compared in order (`better`): (priority left out x (jobs + 1) +
tasks late, total lateness, jobs left out x m0 + cost), with m0 above any plan's cost.
Without deadlines it orders plans exactly as the single number priority x m1 + left out x
m0 + cost did.
A second `state` tuple holds the accepted plan while an iteration is tried.
Kernels unpack a whole tuple even when they use a few of its arrays, so that each array
has one name everywhere (hence the file-wide RUF059 exemption). Numba counts a reference
to every array taken out of a tuple, with an atomic instruction each time (40 % of the
search's time until 6 Dec, then 20-40 % in the kernels called per job and per insertion),
so every kernel that allocates nothing is compiled without numba's reference counting
(`_nrt=False`, an internal numba option: numba is pinned, and the routing tests compile
every kernel): it cannot make or slice an array, and loops element by element instead.
"""

# ruff: noqa: RUF059

from __future__ import annotations

import math

import numpy as np
from numba import njit

from routing.sisr_route import BIG, best_place, better, refresh, total

AVG_REMOVED = 10  # SISR's c-bar: jobs removed per iteration on average
MAX_STRING = 10  # SISR's L-max: longest string removed from one route
BLINK = 0.01  # chance of skipping a place while inserting
RETRY_NEAR = 10  # a job left out is tried again when one of its nearest 10 was removed
RETRY_CHANCE = 0.02  # or at random
# Once stuck, annealing weighs the whole objective in units of the average cost per job:
# a unit of priority left out, a task late (and a job left out) cost this many units, a
# second of lateness one unit of cost. Plans worse in priority or lateness can then be
# accepted on the way (the best plan is still kept by the exact order).
SOFT_PRIORITY = 0.1
SOFT_LATE = 1.0
INSERT_NEAR = 40  # a job is put back into the routes of its nearest 40 jobs (and one empty van a kind)

__all__ = ["BIG", "copy_touched", "iterate", "refresh", "seed", "total"]


@njit(cache=True)
def seed(value):
    np.random.seed(value)


# About 65 lines: SISR's string choice and removal are one loop over the neighbours;
# split, its random draws (and so its results) would change order.
@njit(cache=True, _nrt=False)
def _ruin(near, jobs, touched, pending, data, state):
    """Remove strings of consecutive jobs from routes near a random job; returns how many."""
    route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos, rnlate, rlate, fpick, ldeliv = state  # fmt: skip
    n = data[13]
    V = rlen.shape[0]
    served = 0
    used = 0
    for v in range(V):
        if ntask[v] > 0:
            served += ntask[v]
            used += 1
    touched[:] = False
    n_pend = 0
    if served == 0:
        return 0
    ls_max = min(float(MAX_STRING), served / used)
    ks_max = 4.0 * AVG_REMOVED / (1.0 + ls_max) - 1.0
    ks = int(np.random.random() * ks_max) + 1
    seed_job = jobs[np.random.randint(0, jobs.shape[0])]
    n_ruined = 0
    for k in range(near.shape[1]):
        c = near[seed_job, k]
        if c < 0 or n_ruined >= ks:
            break
        v = where[c]
        if v < 0 or touched[v]:
            continue
        touched[v] = True
        n_ruined += 1
        n_r = rlen[v]
        length = int(np.random.random() * min(float(ntask[v]), ls_max)) + 1
        length = min(length, n_r)
        first = max(pos[c] - np.random.randint(0, length), 0)
        first = min(first, n_r - length)
        # Split string: keep a few stops inside the removed stretch.
        keep = 0
        if length < n_r and np.random.random() < 0.5:
            keep = 1
            while length + keep < n_r and np.random.random() < 0.5:
                keep += 1
            first = min(first, n_r - length - keep)
        kept_from = first + np.random.randint(0, length + 1)
        w = 0
        for i in range(n_r):
            node = route[v, i]
            removed = node < n and first <= i < first + length + keep and not (kept_from <= i < kept_from + keep)
            if removed:
                pending[n_pend] = node
                n_pend += 1
                where[node] = -1
                pos[node] = -1
            else:
                route[v, w] = node
                w += 1
        rlen[v] = w
    for v in range(V):
        if touched[v]:
            refresh(v, data, state)
    return n_pend


@njit(cache=True, _nrt=False)
def _add_retries(n_pend, pending, removed_flag, near, jobs, where):
    """Jobs left out before are tried again when they are near the ruined stretches, and
    a few others at random; returns the new number pending."""
    n_removed = n_pend
    for q in range(n_removed):
        removed_flag[pending[q]] = True
    for k in range(jobs.shape[0]):
        j = jobs[k]
        if where[j] >= 0 or removed_flag[j]:
            continue
        retry = np.random.random() < RETRY_CHANCE
        for q in range(1, min(near.shape[1], RETRY_NEAR + 1)):
            if retry:
                break
            retry = removed_flag[near[j, q]]
        if retry:
            pending[n_pend] = j
            n_pend += 1
    for q in range(n_removed):
        removed_flag[pending[q]] = False
    return n_pend


@njit(cache=True)
def _recreate_order(n_pend, pending, keys, prio, demand, far):
    """Priority first, then random, largest demand, farthest, or nearest."""
    r = np.random.random() * 11.0
    for q in range(n_pend):
        j = pending[q]
        if r < 4.0:
            keys[q] = np.random.random()
        elif r < 8.0:
            keys[q] = -demand[j] + np.random.random() * 1e-3
        elif r < 10.0:
            keys[q] = -far[j] + np.random.random() * 1e-3
        else:
            keys[q] = far[j] + np.random.random() * 1e-3
        keys[q] -= prio[j] * 1e13
    return np.argsort(keys[:n_pend])


@njit(cache=True, _nrt=False)
def _candidates(j, cand, seen, near, vclass, state):
    """The routes worth trying for job j: those of its INSERT_NEAR nearest jobs, and one
    empty van of each kind (interchangeable empty vans give the same places); marks them
    in `seen`, returns how many."""
    rlen, ntask, where = state[1], state[8], state[9]
    n_c = 0
    for q in range(1, min(near.shape[1], INSERT_NEAR + 1)):
        c = near[j, q]
        if c < 0:
            break
        v = where[c]
        if v >= 0 and not seen[v]:
            seen[v] = True
            cand[n_c] = v
            n_c += 1
    for v in range(rlen.shape[0]):
        if ntask[v] == 0 and not seen[v] and not seen[rlen.shape[0] + vclass[v]]:
            seen[rlen.shape[0] + vclass[v]] = True
            seen[v] = True
            cand[n_c] = v
            n_c += 1
    return n_c


@njit(cache=True, _nrt=False)
def _recreate(n_pend, pending, order, touched, cand, seen, prio, near, vclass, data, fleet, state):
    """Put each pending job at its best place over the routes near it (if it has one;
    over all routes when none near it takes it without lateness).

    A job without priority is left out rather than make any task late (the objective
    counts late tasks before tasks served). `cand` and `seen` are work space: V routes,
    and 2 x V flags (routes, then kinds of empty van), all False.
    """
    route, rlen = state[0], state[1]
    V = rlen.shape[0]
    for q in range(n_pend):
        j = pending[order[q]]
        n_c = _candidates(j, cand, seen, near, vclass, state)
        best_n, best_l, best_d, best_v, best_g = best_place(j, cand, n_c, BLINK, data, fleet, state)
        if best_v < 0 or best_n > 0 or best_l > 0:
            n_all = n_c
            for v in range(V):
                if not seen[v]:
                    cand[n_all - n_c] = v
                    n_all += 1
            more = best_place(j, cand, n_all - n_c, BLINK, data, fleet, state)
            if more[3] >= 0 and better(more[0], more[1], more[2], best_n, best_l, best_d):
                best_n, best_l, best_d, best_v, best_g = more
        for v in range(2 * V):
            seen[v] = False
        if best_v < 0 or (prio[j] == 0 and better(0, 0, 0, best_n, best_l, 0)):
            continue
        v = best_v
        for i in range(rlen[v], best_g, -1):
            route[v, i] = route[v, i - 1]
        route[v, best_g] = j
        rlen[v] += 1
        touched[v] = True
        refresh(v, data, state)


@njit(cache=True)
def iterate(n_iter, temp, cur, best, best_route, best_rlen, since_best, search, data, fleet, state, saved):
    """n_iter ruin-and-recreate steps at one temperature; returns (current, best).

    `search` is (prio, near, demand, far, jobs, m0, nw, vclass, unit); `saved` is the accepted
    plan; `cur` and `best` are objectives (hi, mid, lo); `since_best` flags the routes
    changed since the best plan was copied. Simulated annealing acts on lo (cost) only, so a
    plan worse in priority, lateness or jobs served is never accepted, until the search is
    stuck (unit > 0): then it acts on `_soft`. A plan that gains priority or lateness by a
    longer detour once, or that serves every job of a tight day in one poor way, is stuck
    otherwise: the strict order forbids every step back.
    """
    prio, near, demand, far, jobs, m0, nw, vclass, unit = search
    route, rlen, where = state[0], state[1], state[9]
    nj = jobs.shape[0]
    touched = np.zeros(rlen.shape[0], dtype=np.bool_)
    pending = np.empty(nj, dtype=np.int64)
    keys = np.empty(nj, dtype=np.float64)
    removed_flag = np.zeros(where.shape[0], dtype=np.bool_)
    cand = np.empty(rlen.shape[0], dtype=np.int64)
    seen = np.zeros(2 * rlen.shape[0], dtype=np.bool_)
    for _ in range(n_iter):
        n_pend = _ruin(near, jobs, touched, pending, data, state)
        n_pend = _add_retries(n_pend, pending, removed_flag, near, jobs, where)
        order = _recreate_order(n_pend, pending, keys, prio, demand, far)
        _recreate(n_pend, pending, order, touched, cand, seen, prio, near, vclass, data, fleet, state)
        # Accept by simulated annealing (a threshold drawn per iteration).
        new = total(state, jobs, prio, m0, nw)
        slack = -temp * math.log(np.random.random() + 1e-300)
        if unit > 0:
            ok = (
                better(new[0], new[1], new[2], cur[0], cur[1], cur[2])
                or _soft(new, m0, nw, unit) < _soft(cur, m0, nw, unit) + slack
            )
        else:
            ok = better(new[0], new[1], new[2], cur[0], cur[1], cur[2] + slack)
        if ok:
            cur = new
            copy_touched(touched, state, saved)
            since_best |= touched
            if better(new[0], new[1], new[2], best[0], best[1], best[2]):
                best = new
                _copy_best(since_best, route, rlen, best_route, best_rlen)
        else:
            copy_touched(touched, saved, state)
    return cur, best


@njit(cache=True, _nrt=False)
def _soft(obj, m0, nw, unit):
    """The objective (hi, mid, lo) as one number in cost units, for annealing only."""
    hi, mid, lo = obj
    prio_out, late = hi // nw, hi % nw
    return (prio_out * SOFT_PRIORITY + late * SOFT_LATE + lo // m0) * unit + mid + lo % m0


@njit(cache=True, _nrt=False)
def _copy_best(since_best, route, rlen, best_route, best_rlen):
    """The best plan := the current one (only the routes changed since the last copy)."""
    for v in range(rlen.shape[0]):
        if since_best[v]:
            for i in range(rlen[v]):
                best_route[v, i] = route[v, i]
            since_best[v] = False
        best_rlen[v] = rlen[v]


@njit(cache=True, _nrt=False)
def copy_touched(touched, src, dst):
    """Copy the touched routes' arrays (and every job's place) from one plan to the other.

    Only each route's used part: the rest of a row is never read. Element by element, as
    slices would need numba's reference counting (see the module's docstring)."""
    route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos, rnlate, rlate, fpick, ldeliv = src  # fmt: skip
    d_route, d_rlen, d_st, d_lt, d_pre, d_suf, d_rcost, d_rloc, d_ntask, d_where, d_pos, d_rnlate, d_rlate, d_fpick, d_ldeliv = dst  # fmt: skip
    for v in range(touched.shape[0]):
        if not touched[v]:
            continue
        m = rlen[v]
        for i in range(m):
            d_route[v, i] = route[v, i]
            d_st[v, i] = st[v, i]
            d_rloc[v, i] = rloc[v, i]
        for i in range(m + 1):
            d_lt[v, i] = lt[v, i]
            for d in range(pre.shape[2]):
                d_pre[v, i, d] = pre[v, i, d]
                d_suf[v, i, d] = suf[v, i, d]
        d_rlen[v] = m
        d_rcost[v] = rcost[v]
        d_ntask[v] = ntask[v]
        d_rnlate[v] = rnlate[v]
        d_rlate[v] = rlate[v]
        d_fpick[v] = fpick[v]
        d_ldeliv[v] = ldeliv[v]
    for i in range(where.shape[0]):
        d_where[i] = where[i]
        d_pos[i] = pos[i]
