"""The compiled kernels of the ruin and recreate in sisr.py (numba, integer arrays only).

The arrays travel in three tuples so that the kernels' signatures stay readable:
- `data`: the problem, (T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n,
  dl, has_dl, dlv, pck): dl is each node's deadline (BIG: none), has_dl whether any task
  has one, dlv / pck whether a node delivers / picks up (for clean before dirty);
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
def total(state, jobs, prio, m0, nw):
    """The plan's objective (hi, mid, lo); see the module's docstring."""
    rcost, where, rnlate, rlate = state[6], state[9], state[11], state[12]
    hi = rnlate.sum()
    lo = rcost.sum()
    for j in jobs:
        if where[j] < 0:
            hi += prio[j] * nw
            lo += m0
    return hi, rlate.sum(), lo


@njit(cache=True)
def better(a_hi, a_mid, a_lo, b_hi, b_mid, b_lo):
    """Is objective a strictly better than b (in order: hi, mid, lo)?"""
    if a_hi != b_hi:
        return a_hi < b_hi
    if a_mid != b_mid:
        return a_mid < b_mid
    return a_lo < b_lo


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
    (
        T,
        C,
        vtype,
        loc,
        dur,
        ws,
        we,
        deliv,
        pick,
        start,
        end,
        tw0,
        tw1,
        n,
        dl,
        has_dl,
        dlv,
        pck,
    ) = data
    (
        route,
        rlen,
        st,
        lt,
        pre,
        suf,
        rcost,
        rloc,
        ntask,
        where,
        pos,
        rnlate,
        rlate,
        fpick,
        ldeliv,
    ) = state
    tt = vtype[v]
    n_r = rlen[v]
    D = deliv.shape[1]
    # Forward: earliest starts, effective locations, cost, load at the start.
    t = tw0[v]
    lp = start[v]
    cost = 0
    count = 0
    n_late = 0
    late = 0
    fpick[v] = n_r
    ldeliv[v] = -1
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
            if s > dl[node]:
                n_late += 1
                late += s - dl[node]
            if pck[node] and fpick[v] == n_r:
                fpick[v] = i
            if dlv[node]:
                ldeliv[v] = i
        st[v, i] = s
        t = s + dur[node]
    ntask[v] = count
    rnlate[v] = n_late
    rlate[v] = late
    rcost[v] = cost + C[tt, lp, end[v]] if count > 0 else 0
    _refresh_latest(v, data, state)
    _refresh_loads(v, data, state)


@njit(cache=True)
def _refresh_latest(v, data, state):
    """Latest starts; lt[v, n_r] is the latest arrival at the end."""
    (
        T,
        C,
        vtype,
        loc,
        dur,
        ws,
        we,
        deliv,
        pick,
        start,
        end,
        tw0,
        tw1,
        n,
        dl,
        has_dl,
        dlv,
        pck,
    ) = data
    (
        route,
        rlen,
        st,
        lt,
        pre,
        suf,
        rcost,
        rloc,
        ntask,
        where,
        pos,
        rnlate,
        rlate,
        fpick,
        ldeliv,
    ) = state
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
    """(tasks made late, lateness added, cost added, gap) of the best feasible place for
    job j in route v, compared in that order; gap -1 when there is none."""
    (
        T,
        C,
        vtype,
        loc,
        dur,
        ws,
        we,
        deliv,
        pick,
        start,
        end,
        tw0,
        tw1,
        n,
        dl,
        has_dl,
        dlv,
        pck,
    ) = data
    allowed, cap, max_tasks, fixed, cbd = fleet
    (
        route,
        rlen,
        st,
        lt,
        pre,
        suf,
        rcost,
        rloc,
        ntask,
        where,
        pos,
        rnlate,
        rlate,
        fpick,
        ldeliv,
    ) = state
    if not allowed[j, v] or ntask[v] + 1 > max_tasks[v]:
        return BIG, BIG, BIG, -1
    tt = vtype[v]
    n_r = rlen[v]
    lj = loc[j]
    best_n, best_l, best, best_g = BIG, BIG, BIG, -1
    for g in range(n_r + 1):
        if blink > 0.0 and np.random.random() < blink:
            continue
        if not _fits_load(j, v, g, cap, deliv, pick, pre, suf):
            continue
        # Clean before dirty: no pickup before j's delivery, no delivery after its pickup.
        if cbd[v] and ((dlv[j] and g > fpick[v]) or (pck[j] and g <= ldeliv[v])):
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
        d_n, d_l = 0, 0
        if has_dl:
            d_n, d_l = _push_late(v, k, t, lj, data, state)
            if s > dl[j]:
                d_n += 1
                d_l += s - dl[j]
        if better(d_n, d_l, delta, best_n, best_l, best):
            best_n, best_l, best, best_g = d_n, d_l, delta, g
    return best_n, best_l, best, best_g


@njit(cache=True)
def _push_late(v, k, t, lp, data, state):
    """(tasks made late, lateness added) when the stops from position k on start as early
    as they can after the van is free at time t at location lp."""
    (
        T,
        C,
        vtype,
        loc,
        dur,
        ws,
        we,
        deliv,
        pick,
        start,
        end,
        tw0,
        tw1,
        n,
        dl,
        has_dl,
        dlv,
        pck,
    ) = data
    (
        route,
        rlen,
        st,
        lt,
        pre,
        suf,
        rcost,
        rloc,
        ntask,
        where,
        pos,
        rnlate,
        rlate,
        fpick,
        ldeliv,
    ) = state
    tt = vtype[v]
    d_n, d_l = 0, 0
    for i in range(k, rlen[v]):
        node = route[v, i]
        if node >= n:  # a break: taken where the van is
            s = _first_start(ws, we, node, t)
        else:
            s = _first_start(ws, we, node, t + T[tt, lp, loc[node]])
            lp = loc[node]
        if s == st[v, i]:
            break  # from here on, nothing moves
        if node < n and dl[node] < BIG:
            new_l = max(0, s - dl[node])
            old_l = max(0, st[v, i] - dl[node])
            d_l += new_l - old_l
            d_n += int(new_l > 0) - int(old_l > 0)
        t = s + dur[node]
    return d_n, d_l


@njit(cache=True)
def _ruin(near, jobs, touched, pending, data, state):
    """Remove strings of consecutive jobs from routes near a random job; returns how many."""
    (
        route,
        rlen,
        st,
        lt,
        pre,
        suf,
        rcost,
        rloc,
        ntask,
        where,
        pos,
        rnlate,
        rlate,
        fpick,
        ldeliv,
    ) = state
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
def _recreate(n_pend, pending, order, touched, prio, data, fleet, state):
    """Put each pending job at its best place over all routes (if it has one).

    A job without priority is left out rather than make any task late (the objective
    counts late tasks before tasks served).
    """
    route, rlen = state[0], state[1]
    for q in range(n_pend):
        j = pending[order[q]]
        best_n, best_l, best_d, best_v, best_g = BIG, BIG, BIG, -1, -1
        for v in range(rlen.shape[0]):
            d_n, d_l, d, g = best_gap(j, v, BLINK, data, fleet, state)
            if g >= 0 and better(d_n, d_l, d, best_n, best_l, best_d):
                best_n, best_l, best_d, best_v, best_g = d_n, d_l, d, v, g
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
def iterate(
    n_iter, temp, cur, best, best_route, best_rlen, search, data, fleet, state, saved
):
    """n_iter ruin-and-recreate steps at one temperature; returns (current, best).

    `search` is (prio, near, demand, far, jobs, m0, nw); `saved` is the accepted plan;
    `cur` and `best` are objectives (hi, mid, lo). Simulated annealing acts on lo only:
    a plan worse in hi or mid is never accepted.
    """
    prio, near, demand, far, jobs, m0, nw = search
    route, rlen, where = state[0], state[1], state[9]
    nj = jobs.shape[0]
    touched = np.zeros(rlen.shape[0], dtype=np.bool_)
    pending = np.empty(nj, dtype=np.int64)
    keys = np.empty(nj, dtype=np.float64)
    removed_flag = np.zeros(where.shape[0], dtype=np.bool_)
    for _ in range(n_iter):
        n_pend = _ruin(near, jobs, touched, pending, data, state)
        n_pend = _add_retries(n_pend, pending, removed_flag, near, jobs, where)
        order = _recreate_order(n_pend, pending, keys, prio, demand, far)
        _recreate(n_pend, pending, order, touched, prio, data, fleet, state)
        # Accept by simulated annealing (a threshold drawn per iteration).
        new = total(state, jobs, prio, m0, nw)
        slack = -temp * math.log(np.random.random() + 1e-300)
        if better(new[0], new[1], new[2], cur[0], cur[1], cur[2] + slack):
            cur = new
            copy_touched(touched, state, saved)
            if better(new[0], new[1], new[2], best[0], best[1], best[2]):
                best = new
                best_route[:] = route
                best_rlen[:] = rlen
        else:
            copy_touched(touched, saved, state)
    return cur, best


@njit(cache=True)
def copy_touched(touched, src, dst):
    """Copy the touched routes' arrays (and every job's place) from one plan to the other."""
    (
        route,
        rlen,
        st,
        lt,
        pre,
        suf,
        rcost,
        rloc,
        ntask,
        where,
        pos,
        rnlate,
        rlate,
        fpick,
        ldeliv,
    ) = src
    for v in range(touched.shape[0]):
        if touched[v]:
            dst[0][v] = route[v]
            dst[1][v] = rlen[v]
            dst[2][v] = st[v]
            dst[3][v] = lt[v]
            dst[4][v] = pre[v]
            dst[5][v] = suf[v]
            dst[6][v] = rcost[v]
            dst[7][v] = rloc[v]
            dst[8][v] = ntask[v]
            dst[11][v] = rnlate[v]
            dst[12][v] = rlate[v]
            dst[13][v] = fpick[v]
            dst[14][v] = ldeliv[v]
    dst[9][:] = where
    dst[10][:] = pos
