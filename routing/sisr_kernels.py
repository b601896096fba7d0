"""The compiled kernels of the ruin and recreate in sisr.py (numba, integer arrays only).

The arrays travel in three tuples so that the kernels' signatures stay readable:
- `data`: the problem, (T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n);
- `fleet`: what an insertion must respect, (allowed, cap, max_tasks, fixed);
- `state`: the plan and each route's cached arrays,
  (route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos).
A second `state` tuple holds the accepted plan while an iteration is tried.
Kernels unpack a whole tuple even when they use a few of its arrays, so that each array
has one name everywhere (hence the file-wide RUF059 exemption).
"""

# ruff: noqa: RUF059

from __future__ import annotations

import math

import numpy as np
from numba import njit

BIG = 1 << 60
AVG_REMOVED = 10  # SISR's c-bar: jobs removed per iteration on average
MAX_STRING = 10  # SISR's L-max: longest string removed from one route
BLINK = 0.01  # chance of skipping a place while inserting
RETRY_NEAR = 10  # a job left out is tried again when one of its nearest 10 was removed
RETRY_CHANCE = 0.02  # or at random


@njit(cache=True)
def seed(value):
    np.random.seed(value)


@njit(cache=True)
def total(rcost, where, jobs, penalty):
    """The plan's objective: route costs plus the penalty of every job left out."""
    out = rcost.sum()
    for j in jobs:
        if where[j] < 0:
            out += penalty[j]
    return out


@njit(cache=True)
def _first_start(ws, we, j, t):
    for k in range(ws.shape[1]):
        if t <= we[j, k]:
            return max(t, ws[j, k])
    return BIG


@njit(cache=True)
def _latest_start(ws, we, j, bound):
    for k in range(ws.shape[1] - 1, -1, -1):
        if ws[j, k] <= bound:
            return min(bound, we[j, k])
    return -BIG


@njit(cache=True)
def refresh(v, data, state):
    """Recompute route v's cached arrays (and where/pos of its nodes)."""
    T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n = data
    route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos = state
    tt = vtype[v]
    n_r = rlen[v]
    D = deliv.shape[1]
    # Forward: earliest starts, effective locations, cost, load at the start.
    t = tw0[v]
    lp = start[v]
    cost = 0
    count = 0
    for d in range(D):
        suf[v, 0, d] = 0
    for i in range(n_r):
        node = route[v, i]
        where[node] = v
        pos[node] = i
        if node >= n:  # a break: taken where the van is
            rloc[v, i] = lp
            s = _first_start(ws, we, node, t)
        else:
            lj = loc[node]
            rloc[v, i] = lj
            s = _first_start(ws, we, node, t + T[tt, lp, lj])
            cost += C[tt, lp, lj]
            lp = lj
            count += 1
            for d in range(D):
                suf[v, 0, d] += deliv[node, d]
        st[v, i] = s
        t = s + dur[node]
    ntask[v] = count
    rcost[v] = cost + C[tt, lp, end[v]] if count > 0 else 0
    _refresh_latest(v, data, state)
    _refresh_loads(v, data, state)


@njit(cache=True)
def _refresh_latest(v, data, state):
    """Latest starts; lt[v, n_r] is the latest arrival at the end."""
    T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n = data
    route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos = state
    tt = vtype[v]
    n_r = rlen[v]
    lt[v, n_r] = tw1[v]
    next_loc = end[v]
    next_is_break = False
    for i in range(n_r - 1, -1, -1):
        node = route[v, i]
        travel = 0 if next_is_break else T[tt, rloc[v, i], next_loc]
        lt[v, i] = _latest_start(ws, we, node, lt[v, i + 1] - travel - dur[node])
        next_is_break = node >= n
        next_loc = rloc[v, i]


@njit(cache=True)
def _refresh_loads(v, data, state):
    """Loads after each step (step 0: leaving with every delivery, already in suf[v, 0]),
    then their prefix maxima (pre) and suffix maxima (suf)."""
    deliv, pick = data[7], data[8]
    route, rlen, pre, suf = state[0], state[1], state[4], state[5]
    n_r = rlen[v]
    D = deliv.shape[1]
    for i in range(n_r):
        node = route[v, i]
        for d in range(D):
            suf[v, i + 1, d] = suf[v, i, d] - deliv[node, d] + pick[node, d]
    for d in range(D):
        m = -BIG
        for i in range(n_r + 1):
            m = max(m, suf[v, i, d])
            pre[v, i, d] = m
        m = -BIG
        for i in range(n_r, -1, -1):
            m = max(m, suf[v, i, d])
            suf[v, i, d] = m


@njit(cache=True)
def _fits_load(j, v, g, cap, deliv, pick, pre, suf):
    for d in range(deliv.shape[1]):
        if (
            pre[v, g, d] + deliv[j, d] > cap[v, d]
            or suf[v, g, d] + pick[j, d] > cap[v, d]
        ):
            return False
    return True


@njit(cache=True)
def best_gap(j, v, blink, data, fleet, state):
    """(added cost, gap) of the cheapest feasible place for job j in route v."""
    T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n = data
    allowed, cap, max_tasks, fixed = fleet
    route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos = state
    if not allowed[j, v] or ntask[v] + 1 > max_tasks[v]:
        return BIG, -1
    tt = vtype[v]
    n_r = rlen[v]
    lj = loc[j]
    best = BIG
    best_g = -1
    for g in range(n_r + 1):
        if blink > 0.0 and np.random.random() < blink:
            continue
        if not _fits_load(j, v, g, cap, deliv, pick, pre, suf):
            continue
        if g == 0:
            lp = start[v]
            dep = tw0[v]
        else:
            lp = rloc[v, g - 1]
            dep = st[v, g - 1] + dur[route[v, g - 1]]
        s = _first_start(ws, we, j, dep + T[tt, lp, lj])
        if s >= BIG:
            continue
        # Breaks right after the gap are now taken at j's place, before driving on.
        t = s + dur[j]
        k = g
        while k < n_r and route[v, k] >= n:
            t = _first_start(ws, we, route[v, k], t)
            if t >= BIG:
                break
            t += dur[route[v, k]]
            k += 1
        if t >= BIG:
            continue
        ln = end[v] if k == n_r else loc[route[v, k]]
        if t + T[tt, lj, ln] > lt[v, k]:
            continue
        delta = C[tt, lp, lj] + C[tt, lj, ln] - C[tt, lp, ln]
        if ntask[v] == 0:
            delta += fixed[v] + C[tt, lp, ln]
        if delta < best:
            best = delta
            best_g = g
    return best, best_g


@njit(cache=True)
def _ruin(near, jobs, touched, pending, data, state):
    """Remove strings of consecutive jobs from routes near a random job; returns how many."""
    route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos = state
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
            removed = (
                node < n
                and first <= i < first + length + keep
                and not (kept_from <= i < kept_from + keep)
            )
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


@njit(cache=True)
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


@njit(cache=True)
def _recreate(n_pend, pending, order, touched, data, fleet, state):
    """Put each pending job at its cheapest place over all routes (if it has one)."""
    route, rlen = state[0], state[1]
    for q in range(n_pend):
        j = pending[order[q]]
        best_d = BIG
        best_v = -1
        best_g = -1
        for v in range(rlen.shape[0]):
            d, g = best_gap(j, v, BLINK, data, fleet, state)
            if d < best_d:
                best_d, best_v, best_g = d, v, g
        if best_v < 0:
            continue
        v = best_v
        for i in range(rlen[v], best_g, -1):
            route[v, i] = route[v, i - 1]
        route[v, best_g] = j
        rlen[v] += 1
        touched[v] = True
        refresh(v, data, state)


@njit(cache=True)
def iterate(
    n_iter, temp, cur, best, best_route, best_rlen, search, data, fleet, state, saved
):
    """n_iter ruin-and-recreate steps at one temperature; returns (current, best) cost.

    `search` is (penalty, prio, near, demand, far, jobs); `saved` is the accepted plan.
    """
    penalty, prio, near, demand, far, jobs = search
    route, rlen, rcost, where = state[0], state[1], state[6], state[9]
    nj = jobs.shape[0]
    touched = np.zeros(rlen.shape[0], dtype=np.bool_)
    pending = np.empty(nj, dtype=np.int64)
    keys = np.empty(nj, dtype=np.float64)
    removed_flag = np.zeros(where.shape[0], dtype=np.bool_)
    for _ in range(n_iter):
        n_pend = _ruin(near, jobs, touched, pending, data, state)
        n_pend = _add_retries(n_pend, pending, removed_flag, near, jobs, where)
        order = _recreate_order(n_pend, pending, keys, prio, demand, far)
        _recreate(n_pend, pending, order, touched, data, fleet, state)
        # Accept by simulated annealing (a threshold drawn per iteration).
        new = total(rcost, where, jobs, penalty)
        if new < cur - temp * math.log(np.random.random() + 1e-300):
            cur = new
            copy_touched(touched, state, saved)
            if new < best:
                best = new
                best_route[:] = route
                best_rlen[:] = rlen
        else:
            copy_touched(touched, saved, state)
    return cur, best


@njit(cache=True)
def copy_touched(touched, src, dst):
    """Copy the touched routes' arrays (and every job's place) from one plan to the other."""
    route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos = src
    to_route, to_rlen, to_st, to_lt, to_pre, to_suf, to_rcost, to_rloc, to_ntask = dst[
        :9
    ]
    for v in range(touched.shape[0]):
        if touched[v]:
            to_route[v] = route[v]
            to_rlen[v] = rlen[v]
            to_st[v] = st[v]
            to_lt[v] = lt[v]
            to_pre[v] = pre[v]
            to_suf[v] = suf[v]
            to_rcost[v] = rcost[v]
            to_rloc[v] = rloc[v]
            to_ntask[v] = ntask[v]
    dst[9][:] = where
    dst[10][:] = pos
