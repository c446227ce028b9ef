"""Closed-form queueing results used to validate the simulator.

- M/M/1: mean wait in queue Wq = ρ/(μ − λ), ρ = λ/μ (Kleinrock, Queueing Systems I, §3.2).
- M/M/c (Erlang C): P(wait) = C(c, a) with a = λ/μ offered load and ρ = a/c,
  C = (a^c/c!)/(1−ρ) / (Σ_{k<c} a^k/k! + (a^c/c!)/(1−ρ)); Wq = C/(cμ − λ) (Kleinrock §3.5).
- Jackson tandem line of M/M/c_i stations: mean sojourn = Σ_i (Wq_i + 1/μ_i) (Jackson 1957).
"""

from __future__ import annotations

import math

__all__ = ["erlang_c", "mm1_wq", "mmc_wq", "tandem_sojourn"]


def mm1_wq(arrival_rate: float, service_rate: float) -> float:
    """Mean waiting time in queue of an M/M/1 queue (requires λ < μ)."""
    if arrival_rate >= service_rate:
        raise ValueError(f"unstable queue: arrival rate {arrival_rate} >= service {service_rate}")
    return (arrival_rate / service_rate) / (service_rate - arrival_rate)


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with offered load a = λ/μ < c."""
    c, a = servers, offered_load
    if a >= c:
        raise ValueError(f"unstable queue: offered load {a} >= servers {c}")
    term = 1.0
    total = 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    top = term * a / c / (1 - a / c)
    return top / (total + top)


def mmc_wq(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean waiting time in queue of an M/M/c queue."""
    p_wait = erlang_c(servers, arrival_rate / service_rate)
    return p_wait / (servers * service_rate - arrival_rate)


def tandem_sojourn(arrival_rate: float, stations: list[tuple[float, int]]) -> float:
    """Mean time through a line of M/M/c stations ``[(service_rate, servers), ...]``."""
    return sum(mmc_wq(arrival_rate, mu, c) + 1 / mu for mu, c in stations)


_ = math
