"""Distribution objects: moments against scipy.stats and against samples; bad specs."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from fabnet.errors import UsageError
from fabnet.risk import (
    BernoulliDist,
    DiscreteDist,
    LogNormalDist,
    NormalDist,
    PointDist,
    TriangularDist,
    UniformDist,
)

CASES = [
    (PointDist(3.0), None),
    (UniformDist(2.0, 5.0), stats.uniform(2.0, 3.0)),
    (NormalDist(1.0, 2.0), stats.norm(1.0, 2.0)),
    (NormalDist(1.0, 2.0, low=0.0), stats.truncnorm(-0.5, np.inf, loc=1.0, scale=2.0)),
    (LogNormalDist(1.0, 0.4), stats.lognorm(0.4, scale=1.0)),
    (TriangularDist(0.0, 3.0, 12.0), stats.triang(0.25, loc=0.0, scale=12.0)),
    (BernoulliDist.of(0.3, 5.0, 1.0), None),
    (DiscreteDist((0.0, 6.0, 12.0), (0.6, 0.3, 0.1)), None),
]


@pytest.mark.parametrize(("dist", "ref"), CASES, ids=lambda x: type(x).__name__)
def test_moments_match_scipy_and_samples(dist, ref):
    if ref is not None:  # closed forms agree with scipy.stats to 1e-9
        assert dist.mean == pytest.approx(ref.mean(), rel=1e-9, abs=1e-12)
        assert dist.variance == pytest.approx(ref.var(), rel=1e-9, abs=1e-12)
        u = np.array([0.01, 0.2, 0.5, 0.8, 0.99])
        np.testing.assert_allclose(dist.ppf(u), ref.ppf(u), rtol=1e-8)
    x = dist.sample(np.random.default_rng(1), 200_000)
    se = np.sqrt(dist.variance / x.size)
    assert abs(x.mean() - dist.mean) <= 5 * se + 1e-12
    assert x.var() == pytest.approx(dist.variance, rel=0.03, abs=1e-12)


def test_discrete_probabilities_and_point_detection():
    d = DiscreteDist((0.0, 6.0, 12.0), (0.6, 0.3, 0.1))
    x = d.sample(np.random.default_rng(2), 100_000)
    for v, p in zip(d.values, d.probs, strict=True):
        assert (x == v).mean() == pytest.approx(p, abs=5 * np.sqrt(p * (1 - p) / x.size))
    assert DiscreteDist((1.0, 2.0), (1.0, 0.0)).is_point
    assert not d.is_point


@pytest.mark.parametrize(
    "make",
    [
        lambda: NormalDist(0.0, -1.0),
        lambda: UniformDist(2.0, 1.0),
        lambda: BernoulliDist.of(1.5),
        lambda: DiscreteDist((1.0, 2.0), (0.5, 0.6)),
        lambda: TriangularDist(0.0, 5.0, 1.0),
        lambda: LogNormalDist(-1.0, 0.1),
    ],
)
def test_bad_parameters_raise_usage_error(make):
    with pytest.raises(UsageError):
        make()
