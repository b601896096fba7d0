"""Insertion machinery (vectorised with numpy): per route, the best place for each job.

A route is a list of steps ("task", i) / ("break", b). A break has no location: it is
taken where the vehicle is (after the previous stop), before driving on.
Shipments are left to the solver; only jobs are inserted here (regret.py, lns.py).
"""

from __future__ import annotations

import numpy as np

from routing.problem import INF_TIME, Problem, Route, first_start

BIG = np.int64(1) << np.int64(60)


def _first_start_vec(arr: np.ndarray, ws: np.ndarray, we: np.ndarray) -> np.ndarray:
    """Earliest start >= arr inside windows; ws/we (J, K) broadcast over arr (J, G)."""
    out = np.full(arr.shape, BIG, dtype=np.int64)
    found = np.zeros(arr.shape, dtype=bool)
    for k in range(ws.shape[1]):
        ok = (~found) & (arr <= we[:, k : k + 1])
        out = np.where(ok, np.maximum(arr, ws[:, k : k + 1]), out)
        found |= ok
    return out


def _latest_start(windows, bound: int) -> int:
    """Largest start <= bound inside one of the windows, or -BIG."""
    for a, b in reversed(windows):
        if a <= bound:
            return min(bound, b)
    return -int(BIG)


class Inserter:
    """Insertion machinery for one problem; vehicles' matrices and job arrays cached."""

    def __init__(self, problem: Problem, allowed: list[set[int]]):
        self.p = problem
        tasks = problem.tasks
        n = len(tasks)
        self.jobs = [i for i, t in enumerate(tasks) if t.kind == "job" and allowed[i]]
        K = max(len(t.windows) for t in tasks)
        self.loc = np.array([t.location for t in tasks], dtype=np.int64)
        self.dur = np.array([t.setup + t.service for t in tasks], dtype=np.int64)
        self.ws = np.full((n, K), BIG, dtype=np.int64)
        self.we = np.full((n, K), -1, dtype=np.int64)
        for i, t in enumerate(tasks):
            for k, (a, b) in enumerate(t.windows):
                self.ws[i, k], self.we[i, k] = a, b
        D = max(problem.dims, 1)
        self.deliv = np.zeros((n, D), dtype=np.int64)
        self.pick = np.zeros((n, D), dtype=np.int64)
        for i, t in enumerate(tasks):
            if t.kind == "job" and problem.dims:
                self.deliv[i] = t.delivery
                self.pick[i] = t.pickup
        self.prio = np.array([t.priority for t in tasks], dtype=np.int64)
        self.deadline = np.array([int(BIG) if t.deadline is None else t.deadline for t in tasks], dtype=np.int64)
        self.has_dl = problem.has_deadlines
        self.delivers = np.array([t.delivers for t in tasks], dtype=bool)
        self.picks_up = np.array([t.picks_up for t in tasks], dtype=bool)
        V = len(problem.vehicles)
        self.allowed = np.zeros((n, V), dtype=bool)
        for i, vs in enumerate(allowed):
            for v in vs:
                self.allowed[i, v] = True
        self.T = [problem.durations[v.profile] for v in problem.vehicles]
        self.C = [problem.cost_matrix(v) for v in problem.vehicles]
        self.S = [problem.distances.get(v.profile) for v in problem.vehicles]
        self.cap = [np.array(v.capacity if problem.dims else (INF_TIME,), dtype=np.int64) for v in problem.vehicles]
        # Python lists for the scalar loops of RouteState.refresh (numpy scalars are slow).
        cache: dict[int, list] = {}

        def as_list(m):
            if m is None:
                return None
            if id(m) not in cache:
                cache[id(m)] = m.tolist()
            return cache[id(m)]

        self.Tl = [as_list(m) for m in self.T]
        self.Cl = [as_list(m) for m in self.C]
        self.Sl = [as_list(m) for m in self.S]
        self.dur_l = self.dur.tolist()
        # Insertion keys with deadlines: a second late outweighs any cost saving, a task
        # made late outweighs (nearly) any lateness (the exact order is the searches').
        self.late_w = 1 + max(int(c.max(axis=1).sum()) for c in self.C)
        self.nlate_w = self.late_w * 100_000


class RouteState:
    """Cached timing/load data of one route for O(1) insertion checks per gap."""

    def __init__(self, ins: Inserter, v: int, steps: Route):
        self.ins, self.v, self.steps = ins, v, list(steps)
        self.refresh()

    def n_tasks(self) -> int:
        return self._n_tasks

    def refresh(self) -> None:
        """Recompute the cached arrays after the steps changed."""
        steps = self.steps
        # real_next[s]: is step s+1 a task (the end counts as one)?
        real_next = [kind == "task" for kind, _ in steps] + [True]
        task_ids = [i for kind, i in steps if kind == "task"]
        self._n_tasks = len(task_ids)
        self._loads(task_ids, real_next)
        real = self._forward()
        latest = self._latest(real, real_next)
        self._gaps(latest, real_next)
        self._clean_dirty()

    def _clean_dirty(self) -> None:
        """List index of the first pickup (len: none) and of the last delivery (-1: none)."""
        tasks, steps = self.ins.p.tasks, self.steps
        self.fpick, self.ldeliv = len(steps), -1
        for s, (kind, i) in enumerate(steps):
            if kind == "task" and tasks[i].picks_up and self.fpick == len(steps):
                self.fpick = s
            if kind == "task" and tasks[i].delivers:
                self.ldeliv = s

    def _loads(self, task_ids: list[int], real_next: list[bool]) -> None:
        """Loads after each step (index 0 = start): all deliveries on board at the start."""
        ins, k = self.ins, len(self.steps)
        D = ins.deliv.shape[1]
        delta = np.zeros((k + 1, D), dtype=np.int64)
        if task_ids:
            rows = [s + 1 for s in range(k) if real_next[s]]
            delta[rows] = ins.pick[task_ids] - ins.deliv[task_ids]
            delta[0] = ins.deliv[task_ids].sum(axis=0)
        loads = np.cumsum(delta, axis=0)
        self.loads = loads
        pm = np.maximum.accumulate(loads, axis=0)
        sm = np.full_like(loads, -int(BIG))
        if k >= 1:
            sm[:-1] = np.maximum.accumulate(loads[::-1], axis=0)[::-1][1:]
        self.pmax, self.smax = pm, sm

    def _forward(self) -> list[int]:
        """Departure times, travel, distance and cost; returns the real location at or
        before each step (index 0 = start)."""
        ins, tasks = self.ins, self.ins.p.tasks
        veh = ins.p.vehicles[self.v]
        T, C, S = ins.Tl[self.v], ins.Cl[self.v], ins.Sl[self.v]
        k = len(self.steps)
        real = [veh.start] * (k + 1)
        dep = [0] * (k + 1)
        start = [0] * (k + 2)  # service start of each step (index k+1: end arrival)
        wait = [0] * (k + 2)
        self.late_n = self.late_sum = 0
        t = veh.window[0]
        dep[0] = t
        loc = veh.start
        travel = dist = cost = 0
        dur_l = ins.dur_l
        for s, (kind, i) in enumerate(self.steps, start=1):
            if kind == "task":
                task = tasks[i]
                tl = task.location
                leg = T[loc][tl]
                travel += leg
                cost += C[loc][tl]
                if S is not None:
                    dist += S[loc][tl]
                st = first_start(task.windows, t + leg)
                # Late (st None) only in keep-order mode.
                st = st if st is not None else t + leg
                wait[s] = st - (t + leg)
                if task.late_by(st):
                    self.late_n += 1
                    self.late_sum += task.late_by(st)
                t = st + dur_l[i]
                loc = tl
            else:
                b = veh.breaks[i]
                st = first_start(b.windows, t)
                st = st if st is not None else t
                wait[s] = st - t
                t = st + b.service
            start[s] = st
            real[s] = loc
            dep[s] = t
        travel += T[loc][veh.end]
        cost += C[loc][veh.end]
        if S is not None:
            dist += S[loc][veh.end]
        self.travel, self.cost, self.dist = travel, cost, dist
        start[k + 1] = t + T[loc][veh.end]
        self.a_loc = np.array(real, dtype=np.int64)
        self.dep = np.array(dep, dtype=np.int64)
        self.start = np.array(start, dtype=np.int64)
        self.cum_wait = np.cumsum(np.array(wait, dtype=np.int64))
        return real

    def _latest(self, real: list[int], real_next: list[bool]) -> list[int]:
        """Latest start of each step (index k+1 = end: latest arrival)."""
        ins, tasks, steps = self.ins, self.ins.p.tasks, self.steps
        veh = ins.p.vehicles[self.v]
        T = ins.Tl[self.v]
        k = len(steps)
        latest = [0] * (k + 2)
        latest[k + 1] = veh.window[1]
        nxt_loc = veh.end
        for s in range(k, 0, -1):
            kind, i = steps[s - 1]
            if kind == "task":
                task = tasks[i]
                # A break next starts where we are; the drive comes after it.
                bound = latest[s + 1] - (T[task.location][nxt_loc] if real_next[s] else 0)
                latest[s] = _latest_start(task.windows, bound - ins.dur_l[i])
                nxt_loc = task.location
            else:
                b = veh.breaks[i]
                bound = latest[s + 1] - (T[real[s - 1]][nxt_loc] if real_next[s] else 0)
                latest[s] = _latest_start(b.windows, bound - b.service)
        return latest

    def _gaps(self, latest: list[int], real_next: list[bool]) -> None:
        """Gap arrays: gap g sits between step g and step g+1 (g = 0..k)."""
        tasks, steps = self.ins.p.tasks, self.steps
        veh = self.ins.p.vehicles[self.v]
        k = len(steps)
        G = k + 1
        b_loc = [0] * G
        next_latest = [0] * G
        brk = [-1] * G  # break index when the next step is a break
        q_latest = [0] * G
        blocked = [False] * G
        big = int(BIG)
        for g in range(G):
            s = g + 1
            if s == k + 1 or real_next[g]:
                b_loc[g] = veh.end if s == k + 1 else tasks[steps[s - 1][1]].location
                next_latest[g] = latest[s]
            else:
                brk[g] = steps[s - 1][1]
                q = s + 1
                if q <= k and not real_next[q - 1]:
                    blocked[g] = True  # two breaks in a row: not worth handling
                    b_loc[g] = veh.end
                else:
                    b_loc[g] = veh.end if q == k + 1 else tasks[steps[q - 1][1]].location
                q_latest[g] = latest[q] if q <= k + 1 else veh.window[1]
                next_latest[g] = big
        self.b_loc = np.array(b_loc, dtype=np.int64)
        self.next_latest = np.array(next_latest, dtype=np.int64)
        self.brk = np.array(brk, dtype=np.int64)
        self.q_latest = np.array(q_latest, dtype=np.int64)
        self.blocked = np.array(blocked, dtype=bool)

    def evaluate(self, jobs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(best insertion key, best gap, whether it makes a task late) for each job.

        The key is the added cost, BIG when the job does not fit; with deadlines, lateness
        added counts first (weights late_w and nlate_w).
        """
        ins, v = self.ins, self.v
        veh = ins.p.vehicles[v]
        nj = len(jobs)
        none = np.zeros(nj, dtype=bool)
        if nj == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), none
        if veh.max_tasks is not None and self.n_tasks() >= veh.max_tasks:
            return np.full(nj, BIG), np.zeros(nj, dtype=np.int64), none
        T, C = ins.T[v], ins.C[v]
        jl = ins.loc[jobs]
        a, b = self.a_loc, self.b_loc
        arr = self.dep[None, :] + T[a[None, :], jl[:, None]]
        st = _first_start_vec(arr, ins.ws[jobs], ins.we[jobs])
        dp = st + ins.dur[jobs][:, None]
        ok = st < BIG
        arr_n = dp + T[jl[:, None], b[None, :]]
        ok &= arr_n <= self.next_latest[None, :]
        arr_next = arr_n.copy()  # arrival at the next real step (for lateness)
        for g in np.nonzero(self.brk >= 0)[0]:
            br = veh.breaks[int(self.brk[g])]
            bws = np.array([[w[0] for w in br.windows]], dtype=np.int64)
            bwe = np.array([[w[1] for w in br.windows]], dtype=np.int64)
            bs = _first_start_vec(dp[:, g : g + 1], np.repeat(bws, nj, 0), np.repeat(bwe, nj, 0))[:, 0]
            arr_q = bs + br.service + T[jl, b[g]]
            arr_next[:, g] = arr_q
            ok[:, g] = (st[:, g] < BIG) & (bs < BIG) & (arr_q <= self.q_latest[g]) & (~self.blocked[g])
        ok &= self._fits_otherwise(jobs)
        cost = C[a[None, :], jl[:, None]] + C[jl[:, None], b[None, :]] - C[a, b][None, :]
        if not self.n_tasks():
            cost = cost + veh.fixed
        adds = np.zeros(cost.shape, dtype=bool)
        if ins.has_dl:
            d_n, d_late = self._lateness(jobs, st, arr_next)
            cost = cost + d_n * ins.nlate_w + d_late * ins.late_w
            adds = (d_n > 0) | (d_late > 0)
        cost = np.where(ok, cost, BIG)
        g = np.argmin(cost, axis=1)
        rows = np.arange(nj)
        return cost[rows, g], g, adds[rows, g]

    def _fits_otherwise(self, jobs: np.ndarray) -> np.ndarray:
        """(jobs, gaps) mask of everything but time: loads, skills, clean before dirty,
        travel time and distance limits."""
        ins, v = self.ins, self.v
        veh = ins.p.vehicles[v]
        T = ins.T[v]
        jl = ins.loc[jobs]
        a, b = self.a_loc, self.b_loc
        cap = ins.cap[v]
        dl, pk = ins.deliv[jobs], ins.pick[jobs]
        ok = np.all(self.pmax[None, :, :] + dl[:, None, :] <= cap, axis=2)
        ok &= np.all(self.loads[None, :, :] + pk[:, None, :] <= cap, axis=2)
        ok &= np.all(self.smax[None, :, :] + pk[:, None, :] <= cap, axis=2)
        ok &= ins.allowed[jobs, v][:, None]
        if veh.pickups_after_deliveries:
            g_idx = np.arange(len(self.b_loc))[None, :]
            ok &= ~(ins.delivers[jobs][:, None] & (g_idx > self.fpick))
            ok &= ~(ins.picks_up[jobs][:, None] & (g_idx <= self.ldeliv))
        if veh.max_travel_time is not None:
            dt = T[a[None, :], jl[:, None]] + T[jl[:, None], b[None, :]] - T[a, b][None, :]
            ok &= self.travel + dt <= veh.max_travel_time
        if veh.max_distance is not None and ins.S[v] is not None:
            S = ins.S[v]
            dd = S[a[None, :], jl[:, None]] + S[jl[:, None], b[None, :]] - S[a, b][None, :]
            ok &= self.dist + dd <= veh.max_distance
        return ok

    def _lateness(self, jobs: np.ndarray, st: np.ndarray, arr_next: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(tasks made late, lateness added) per job and gap, the job's own included.

        The delay at the next real step carries on to later stops less the waiting
        between them (a jump to a later time window is not modelled: a close estimate).
        """
        ins, steps = self.ins, self.steps
        dlj = ins.deadline[jobs][:, None]
        fits = (st < BIG) & (arr_next < BIG)  # the others are masked by the caller
        st, arr_next = np.where(fits, st, 0), np.where(fits, arr_next, 0)
        own = np.maximum(0, st - dlj)
        d_n = (own > 0).astype(np.int64)
        d_late = own
        pos = [s for s, (kind, i) in enumerate(steps, start=1) if kind == "task"]
        pos = np.array([s for s in pos if ins.deadline[steps[s - 1][1]] < BIG], dtype=np.int64)
        if not len(pos):
            return d_n, d_late
        G = len(self.b_loc)
        nxt = np.arange(G) + 1 + (self.brk >= 0)  # step index of the next real step
        nxt = np.minimum(nxt, len(steps) + 1)
        delay = np.maximum(0, arr_next - self.start[nxt][None, :])  # (J, G)
        s_d = self.start[pos]
        dl_d = ins.deadline[[steps[s - 1][1] for s in pos]]
        absorbed = self.cum_wait[pos][None, :] - self.cum_wait[nxt][:, None]  # (G, K)
        after = pos[None, :] >= nxt[:, None]
        pushed = np.maximum(0, delay[:, :, None] - absorbed[None, :, :]) * after[None]
        new_l = np.maximum(0, s_d + pushed - dl_d)
        old_l = np.maximum(0, s_d - dl_d)
        d_late = d_late + (new_l - old_l).sum(axis=2)
        d_n = d_n + ((new_l > 0).astype(np.int64) - (old_l > 0)).sum(axis=2)
        return d_n, d_late

    def insert(self, job: int, gap: int) -> None:
        self.steps.insert(gap, ("task", job))
        self.refresh()
