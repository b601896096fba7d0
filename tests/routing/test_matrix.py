import time

import numpy as np

from routing.matrix import build_matrices


def test_known_distance_with_road_factor():
    # Ipswich to Bury St Edmunds, about 36.7 km as the crow flies.
    dur, dist = build_matrices([(1.155, 52.06), (0.71, 52.245)], road_factor=1.0, speed_kmh=36)
    assert 36_200 < dist[0, 1] < 37_200
    assert dist[0, 1] == dist[1, 0] and dist[0, 0] == 0
    assert abs(dur[0, 1] - dist[0, 1] / 10) <= 1  # 36 km/h = 10 m/s
    _, dist13 = build_matrices([(1.155, 52.06), (0.71, 52.245)], road_factor=1.3)
    assert abs(dist13[0, 1] - 1.3 * dist[0, 1]) <= 1


def test_thousand_locations_under_half_a_second():
    rng = np.random.default_rng(1)
    pts = list(zip(rng.uniform(0.3, 1.8, 1000), rng.uniform(51.9, 52.6, 1000)))
    build_matrices(pts[:10])
    t = time.perf_counter()
    dur, dist = build_matrices(pts)
    assert time.perf_counter() - t < 0.5
    assert dur.shape == dist.shape == (1000, 1000)
    assert dur.dtype.kind == "i" and dist.dtype.kind == "i"
    assert (dist >= 0).all() and (np.diag(dist) == 0).all()
