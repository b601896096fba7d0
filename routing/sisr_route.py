"""One route of the compiled ruin and recreate (sisr.py): its cached arrays, and the best
place for a job in it. The tuples `data`, `fleet` and `state` are described in
sisr_kernels.py.
"""

# ruff: noqa: RUF059

from __future__ import annotations

import numpy as np
from numba import njit

BIG = 1 << 60


@njit(cache=True, _nrt=False)
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


@njit(cache=True, _nrt=False)
def better(a_hi, a_mid, a_lo, b_hi, b_mid, b_lo):
    """Is objective a strictly better than b (in order: hi, mid, lo)?"""
    if a_hi != b_hi:
        return a_hi < b_hi
    if a_mid != b_mid:
        return a_mid < b_mid
    return a_lo < b_lo


@njit(cache=True, _nrt=False)
def _first_start(ws, we, j, t):
    for k in range(ws.shape[1]):
        if t <= we[j, k]:
            return max(t, ws[j, k])
    return BIG


@njit(cache=True, _nrt=False)
def _latest_start(ws, we, j, bound):
    for k in range(ws.shape[1] - 1, -1, -1):
        if ws[j, k] <= bound:
            return min(bound, we[j, k])
    return -BIG


# About 65 lines: one forward pass fills every per-stop array at once (a second pass
# would double the work of the kernel called after every change).
@njit(cache=True, _nrt=False)
def refresh(v, data, state):
    """Recompute route v's cached arrays (and where/pos of its nodes)."""
    T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n, dl, has_dl, dlv, pck, TT, CT = data  # fmt: skip
    (route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos, rnlate, rlate, fpick, ldeliv) = state
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
    _refresh_latest(v, T, vtype, dur, ws, we, end, tw1, n, route, rlen, lt, rloc)
    _refresh_loads(v, deliv, pick, route, rlen, pre, suf)


@njit(cache=True, _nrt=False)
def _refresh_latest(v, T, vtype, dur, ws, we, end, tw1, n, route, rlen, lt, rloc):
    """Latest starts; lt[v, n_r] is the latest arrival at the end."""
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


@njit(cache=True, _nrt=False)
def _refresh_loads(v, deliv, pick, route, rlen, pre, suf):
    """Loads after each step (step 0: leaving with every delivery, already in suf[v, 0]),
    then their prefix maxima (pre) and suffix maxima (suf)."""
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


@njit(cache=True, _nrt=False)
def _fits_load(j, v, g, cap, deliv, pick, pre, suf):
    for d in range(deliv.shape[1]):
        if pre[v, g, d] + deliv[j, d] > cap[v, d] or suf[v, g, d] + pick[j, d] > cap[v, d]:
            return False
    return True


# About 85 lines: the routes' loop and the gaps' loop are one function, called once per job;
# it and what it calls are compiled without reference counting (sisr_kernels' docstring).
@njit(cache=True, _nrt=False)
def best_place(j, cand, n_c, blink, data, fleet, state):
    """(tasks made late, lateness added, cost added, vehicle, gap) of the best feasible
    place for job j in the routes cand[:n_c], compared in that order (the first on a tie);
    vehicle -1 when there is none."""
    T, C, vtype, loc, dur, ws, we, deliv, pick, start, end, tw0, tw1, n, dl, has_dl, dlv, pck, TT, CT = data  # fmt: skip
    allowed, cap, max_tasks, fixed, cbd = fleet
    route, rlen, st, lt, pre, suf, rcost, rloc, ntask, where, pos, rnlate, rlate, fpick, ldeliv = state  # fmt: skip
    best_n, best_l, best, best_v, best_g = BIG, BIG, BIG, -1, -1
    lj = loc[j]
    opens, closes = ws[j, 0], we[j, 0]  # j's first window opens, its last one closes
    for w in range(1, we.shape[1]):
        closes = max(closes, we[j, w])
    for q in range(n_c):
        v = cand[q]
        if not allowed[j, v] or ntask[v] + 1 > max_tasks[v]:
            continue
        tt, n_r = vtype[v], rlen[v]
        for g in range(n_r + 1):
            if g == 0:
                lp = start[v]
                dep = tw0[v]
            else:
                lp = rloc[v, g - 1]
                dep = st[v, g - 1] + dur[route[v, g - 1]]
            if dep > closes:
                break  # departures only grow along the route: no later gap can be on time
            if max(dep, opens) + dur[j] > lt[v, g]:
                continue  # j would end after the latest start of what follows (no matrix read)
            if not _fits_load(j, v, g, cap, deliv, pick, pre, suf):
                continue
            # Clean before dirty: no pickup before j's delivery, no delivery after its pickup.
            if cbd[v] and ((dlv[j] and g > fpick[v]) or (pck[j] and g <= ldeliv[v])):
                continue
            s = _first_start(ws, we, j, dep + TT[tt, lj, lp])  # row lj: stays in the cache
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
            delta = CT[tt, lj, lp] + C[tt, lj, ln] - C[tt, lp, ln]
            if ntask[v] == 0:
                delta += fixed[v] + C[tt, lp, ln]
            d_n, d_l = 0, 0
            if has_dl:
                d_n, d_l = _push_late(v, k, t, lj, T, vtype, loc, dur, ws, we, n, dl, route, rlen, st)
                if s > dl[j]:
                    d_n += 1
                    d_l += s - dl[j]
            if better(d_n, d_l, delta, best_n, best_l, best):
                if blink > 0.0 and np.random.random() < blink:
                    continue  # skipped at random (drawn only for a place that would win)
                best_n, best_l, best, best_v, best_g = d_n, d_l, delta, v, g
    return best_n, best_l, best, best_v, best_g


@njit(cache=True, _nrt=False)
def _push_late(v, k, t, lp, T, vtype, loc, dur, ws, we, n, dl, route, rlen, st):
    """(tasks made late, lateness added) when the stops from position k on start as early
    as they can after the van is free at time t at location lp."""
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
