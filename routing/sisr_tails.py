"""Tail exchange (2-opt*) between routes, as a descent on the compiled search's current plan.

Ruin and recreate moves a few short strings at a time; exchanging the ends of two long
routes (route A keeps its stops up to job a and then takes route B's stops from job b on,
and B takes A's rest) is out of its reach, and on long routes with wide windows it still
finds gains in a plan the search has settled (Gehring and Homberger's R2 at 1,000
customers: 0.3 % after 30 s, issue 13). Job b is one of a's nearest jobs, so the new leg
a -> b is short.

Only between vans with the same matrices, end of shift and breaks, and without
clean-before-dirty. Vans from different depots too: each new route goes home to its own
van's end, and on a county day with three depots neighbouring vans often live apart. A
break belongs to its van: a tail takes its breaks along, renamed to the other van's, so
both tails must hold the same ones. The quick tests use the routes'
cached arrays; each exchange is then checked on the refreshed routes and kept only when
it is feasible and strictly better by the objective's order (with a late task on either
route, a longer plan may be). The arrays and tuples are sisr_kernels'.
"""

# ruff: noqa: RUF059

from __future__ import annotations

from numba import njit

from routing.sisr_route import BIG, _first_start, better, refresh

TAIL_NEAR = 20  # b among a's nearest 20 jobs


@njit(cache=True, _nrt=False)
def _alike(va, vb, data, fleet, state):
    """Can routes va and vb exchange tails (see the module's docstring)?"""
    vtype, dur, ws, we, tw1, n = data[2], data[4], data[5], data[6], data[12], data[13]
    cbd = fleet[4]
    if va == vb or vtype[va] != vtype[vb] or tw1[va] != tw1[vb] or cbd[va] or cbd[vb]:
        return False
    nb = _breaks_each(data, state)
    for b in range(nb):  # the same breaks: a tail takes its van's breaks to the other van
        x, y = n + va * nb + b, n + vb * nb + b
        if dur[x] != dur[y]:
            return False
        for w in range(ws.shape[1]):
            if ws[x, w] != ws[y, w] or we[x, w] != we[y, w]:
                return False
    return True


@njit(cache=True, _nrt=False)
def _breaks_each(data, state):
    """Break nodes per van (nodes n + v * NB + b, see sisr.Plan)."""
    return (data[3].shape[0] - data[13]) // state[1].shape[0]


@njit(cache=True, _nrt=False)
def _tail_breaks(v, first, data, state):
    """Which of van v's breaks are in its route from position `first` on (a bit each)."""
    n = data[13]
    nb = _breaks_each(data, state)
    route, rlen = state[0], state[1]
    mask = 0
    for q in range(first, rlen[v]):
        if route[v, q] >= n:
            mask |= 1 << ((route[v, q] - n) % nb)
    return mask


@njit(cache=True, _nrt=False)
def _home_change(M, v, to, data, state):
    """How much more (M: times or costs) van v's last stop is from van `to`'s end than from
    its own: what its tail adds when it goes home with the other van (0 for one depot)."""
    end = data[10]
    if end[v] == end[to]:
        return 0
    last = state[7][v, state[1][v] - 1]
    tt = data[2][v]
    return M[tt, last, end[to]] - M[tt, last, end[v]]


@njit(cache=True, _nrt=False)
def _gain(va, i, vb, j, data, state):
    """Cost saved by A[..i] + B[j..] and B[..j-1] + A[i+1..] (same matrices). Each new route
    ends at its own van's end: with vans from different depots, the legs home change too."""
    C, vtype, loc, start, end = data[1], data[2], data[3], data[9], data[10]
    route, rlen, rloc = state[0], state[1], state[7]
    tt = vtype[va]
    la, lb = loc[route[va, i]], loc[route[vb, j]]
    l_prev = rloc[vb, j - 1] if j > 0 else start[vb]
    saved = C[tt, l_prev, lb] - C[tt, la, lb]
    if i + 1 < rlen[va]:
        l_next = loc[route[va, i + 1]]
        saved += C[tt, la, l_next] - C[tt, l_prev, l_next] - _home_change(C, va, vb, data, state)
    else:
        saved += C[tt, la, end[va]] - C[tt, l_prev, end[vb]]
        if j == 0:
            saved += C[tt, l_prev, end[vb]]  # B is left empty: its leg from start to end goes too
    return saved - _home_change(C, vb, va, data, state)  # B's tail goes home with A


@njit(cache=True, _nrt=False)
def _on_time(va, i, vb, j, data, state):
    """Are both new routes within every time window (hard) and shift end?

    A tail's latest starts were worked back from its own van's end; going to the other
    van's end, up to the extra drive home later, is asked of it (a sufficient test, and
    the exact one when the two vans share their end)."""
    T, vtype, loc, dur, ws, we = data[0], data[2], data[3], data[4], data[5], data[6]
    start, end, tw0 = data[9], data[10], data[11]
    route, rlen, st, lt, rloc = state[0], state[1], state[2], state[3], state[7]
    tt = vtype[va]
    a, b = route[va, i], route[vb, j]
    s = _first_start(ws, we, b, st[va, i] + dur[a] + T[tt, loc[a], loc[b]])
    if s > lt[vb, j] - max(0, _home_change(T, vb, va, data, state)):
        return False
    if j > 0:
        p = route[vb, j - 1]
        dep, lp = st[vb, j - 1] + dur[p], rloc[vb, j - 1]
    else:
        dep, lp = tw0[vb], start[vb]
    if i + 1 < rlen[va]:
        nxt = route[va, i + 1]
        later = max(0, _home_change(T, va, vb, data, state))
        return _first_start(ws, we, nxt, dep + T[tt, lp, loc[nxt]]) <= lt[va, i + 1] - later
    return j == 0 or dep + T[tt, lp, end[vb]] <= lt[vb, rlen[vb]]


@njit(cache=True, _nrt=False)
def _fits(va, i, vb, j, data, fleet, state):
    """Loads, allowed vans and stop limits of both new routes."""
    deliv, pick = data[7], data[8]
    allowed, cap, max_tasks = fleet[0], fleet[1], fleet[2]
    route, rlen, pre, suf = state[0], state[1], state[4], state[5]
    n = data[13]
    na, nb = rlen[va], rlen[vb]
    a_tasks, b_tasks = 0, 0  # tasks in the new routes
    for q in range(na):
        if route[va, q] < n:
            if q <= i:
                a_tasks += 1
            elif allowed[route[va, q], vb]:
                b_tasks += 1
            else:
                return False
    for q in range(nb):
        if route[vb, q] < n:
            if q < j:
                b_tasks += 1
            elif allowed[route[vb, q], va]:
                a_tasks += 1
            else:
                return False
    if a_tasks > max_tasks[va] or b_tasks > max_tasks[vb]:
        return False
    for d in range(deliv.shape[1]):
        a_tail, b_tail, a_head, b_head = 0, 0, 0, 0  # deliveries after the cut, pickups before
        for q in range(na):
            if q > i:
                a_tail += deliv[route[va, q], d]
            else:
                a_head += pick[route[va, q], d]
        for q in range(nb):
            if q >= j:
                b_tail += deliv[route[vb, q], d]
            else:
                b_head += pick[route[vb, q], d]
        if pre[va, i + 1, d] - a_tail + b_tail > cap[va, d] or suf[vb, j, d] + a_head - b_head > cap[va, d]:
            return False
        if pre[vb, j, d] - b_tail + a_tail > cap[vb, d] or suf[va, i + 1, d] + b_head - a_head > cap[vb, d]:
            return False
    return True


@njit(cache=True, _nrt=False)
def _swap_tails(va, i, vb, j, spare, data, state):
    """Apply the exchange (applying it again at the same (i, j) undoes it)."""
    route, rlen = state[0], state[1]
    na, nb = rlen[va], rlen[vb]
    ta = na - i - 1
    for q in range(ta):
        spare[q] = route[va, i + 1 + q]
    for q in range(j, nb):
        route[va, i + 1 + q - j] = route[vb, q]
    for q in range(ta):
        route[vb, j + q] = spare[q]
    rlen[va] = i + 1 + nb - j
    rlen[vb] = j + ta
    n = data[13]
    per_van = _breaks_each(data, state)
    for v, other in ((va, vb), (vb, va)):  # the breaks that came with a tail become this van's
        for q in range(rlen[v]):
            node = route[v, q]
            if node >= n and (node - n) // per_van == other:
                route[v, q] = node + (v - other) * per_van
    refresh(va, data, state)
    refresh(vb, data, state)


@njit(cache=True, _nrt=False)
def _valid(v, fleet, state):
    """Route v within its time windows, shift and capacity (a check behind the quick tests)."""
    cap = fleet[1]
    rlen, st, lt, pre = state[1], state[2], state[3], state[4]
    for q in range(rlen[v]):
        if st[v, q] >= BIG or st[v, q] > lt[v, q]:
            return False
    for d in range(cap.shape[1]):  # noqa: SIM110 - a generator needs numba's reference counting
        if pre[v, rlen[v], d] > cap[v, d]:
            return False
    return True


@njit(cache=True, _nrt=False)
def exchange_tails(near, jobs, touched, spare, data, fleet, state):
    """First-improvement descent over tail exchanges; marks the routes changed in
    `touched` (not cleared here) and returns how many exchanges were made. `spare` is work
    space of one route's length."""
    route, rlen, rcost, where, pos, rnlate, rlate = (
        state[0],
        state[1],
        state[6],
        state[9],
        state[10],
        state[11],
        state[12],
    )
    n = data[13]
    moves = 0
    improved = True
    while improved:
        improved = False
        for q in range(jobs.shape[0]):
            a = jobs[q]
            for r in range(1, min(near.shape[1], TAIL_NEAR + 1)):
                b = near[a, r]
                va = where[a]
                if b < 0 or va < 0:
                    break
                vb = where[b]
                if vb < 0 or not _alike(va, vb, data, fleet, state):
                    continue
                i, j = pos[a], pos[b]
                if i + 1 < rlen[va] and route[va, i + 1] >= n:
                    continue  # a break right after a would be taken somewhere else
                late = rnlate[va] + rnlate[vb] > 0  # then a longer plan may still be better
                if not late and _gain(va, i, vb, j, data, state) <= 0:
                    continue
                if _tail_breaks(va, i + 1, data, state) != _tail_breaks(vb, j, data, state):
                    continue
                if not _on_time(va, i, vb, j, data, state) or not _fits(va, i, vb, j, data, fleet, state):
                    continue
                was_n, was_l, was_c = rnlate[va] + rnlate[vb], rlate[va] + rlate[vb], rcost[va] + rcost[vb]
                _swap_tails(va, i, vb, j, spare, data, state)
                now_n, now_l, now_c = rnlate[va] + rnlate[vb], rlate[va] + rlate[vb], rcost[va] + rcost[vb]
                ok = _valid(va, fleet, state) and _valid(vb, fleet, state)
                if ok and better(now_n, now_l, now_c, was_n, was_l, was_c):
                    touched[va] = True
                    touched[vb] = True
                    moves += 1
                    improved = True
                else:  # later on the second route: lateness can outweigh the saving
                    _swap_tails(va, i, vb, j, spare, data, state)
    return moves


__all__ = ["BIG", "exchange_tails"]
