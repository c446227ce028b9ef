"""Time buckets of the plan: monthly detail first, quarterly after (``policy.monthly_detail_months``).

A bucket is a run of consecutive months; it is labelled by its first month (``YYYY-MM``). Flows
(wafers, units, money) are summed over a bucket's months; capacities are per month and are
multiplied by the months a bucket holds. Cash flows are discounted at the bucket's middle:

.. math::

    \\mathrm{DF}_b = (1 + r)^{-(s_b + L_b/2)/12}

with :math:`s_b` the months from the start of the horizon to the bucket's first month,
:math:`L_b` its length in months and :math:`r` the yearly discount rate (end-of-month timing
conventions differ by at most half a bucket).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from fabnet.scenario import Scenario, add_months

__all__ = ["Buckets", "make_buckets"]


@dataclass(frozen=True)
class Buckets:
    """The plan's time buckets.

    Attributes:
        labels: first month of each bucket, ``YYYY-MM``.
        start: months from the horizon start to each bucket's first month.
        length: months in each bucket (1 or 3; the last may be shorter).
        month_bucket: bucket index of every month of the horizon.
        discount: discount factor of each bucket (middle of the bucket).
    """

    labels: tuple[str, ...]
    start: npt.NDArray[np.int64]
    length: npt.NDArray[np.int64]
    month_bucket: npt.NDArray[np.int64]
    discount: npt.NDArray[np.float64]

    @property
    def n(self) -> int:
        """Number of buckets."""
        return len(self.labels)

    @property
    def n_months(self) -> int:
        """Months in the horizon."""
        return int(self.month_bucket.size)

    def aggregate(self, monthly: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Sum a per-month array (last axis = months) into buckets (last axis = buckets)."""
        arr = np.asarray(monthly, dtype=np.float64)
        return np.add.reduceat(arr, self.start, axis=-1)


def make_buckets(scenario: Scenario, bucket: str | None = None) -> Buckets:
    """Buckets for ``scenario.policy``: monthly (or quarterly) over the horizon.

    With ``bucket="month"`` and ``monthly_detail_months = k``, the first ``k`` months are monthly
    buckets and the rest quarterly; ``bucket="quarter"`` makes every bucket a quarter.
    """
    policy = scenario.policy
    kind = bucket or policy.bucket
    horizon = policy.horizon_months
    detail = horizon if kind == "month" else 0
    if kind == "month" and policy.monthly_detail_months is not None:
        detail = min(horizon, policy.monthly_detail_months)
    starts: list[int] = []
    lengths: list[int] = []
    m = 0
    while m < horizon:
        step = 1 if m < detail else 3
        step = min(step, horizon - m)
        starts.append(m)
        lengths.append(step)
        m += step
    start = np.asarray(starts, dtype=np.int64)
    length = np.asarray(lengths, dtype=np.int64)
    month_bucket = np.repeat(np.arange(start.size, dtype=np.int64), length)
    years = (start + length / 2.0) / 12.0
    discount = (1.0 + policy.discount_rate) ** (-years)
    labels = tuple(add_months(policy.start, int(s)) for s in start)
    return Buckets(labels, start, length, month_bucket, discount)
