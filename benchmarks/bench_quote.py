"""Order-promising benchmark: ATP answers, a batch of 1,000 requests and a CTP answer on the
built-in plan.

One command (from the repository root)::

    .venv/bin/python benchmarks/bench_quote.py                       # solves the built-in plan first
    .venv/bin/python benchmarks/bench_quote.py --home H --plan RUN   # reuse a stored plan run

Phases (targets, 2 cores): ``atp_answer`` — one request answered from the plan's loaded book
(median and max over ``--repeat`` requests) ≤ 20 ms; ``atp_quote`` — the same end to end
(load the run and its scenario, build the book with the quotes already held, answer, keep the
record); ``batch_1000`` — 1,000 seeded requests from loading the run to keeping all records
≤ 20 s; ``ctp`` — "NewCo asks for 50,000 H100-class by 2027-06" at priority 2, re-optimised with
the plan's decisions held, ≤ 15 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time

import numpy as np

from fabnet.pipelines.quote import atp_book, holding_quotes, load_plan_run, make_quote, make_quotes
from fabnet.quote import AtpBook, QuoteRequest  # AtpBook: load the planner before timing
from fabnet.store import RunStore
from fabnet.store.quotes import QuoteStore


def _plan(store: RunStore) -> str:
    from fabnet.pipelines.plan import record_plan
    from fabnet.plan import solve_plan
    from fabnet.scenario import dump_scenario, load_scenario

    sc = load_scenario(None)
    t0 = time.perf_counter()
    result = solve_plan(sc)
    print(f"built-in plan solved in {time.perf_counter() - t0:.1f} s")
    with store.start_run("plan", sc.name, dump_scenario(sc), {}) as run:
        record_plan(run, result, sc.name)
    return run.id


def _requests(n: int, products: list[str], months: list[str], seed: int) -> list[QuoteRequest]:
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    out = []
    for i in range(n):
        out.append(
            QuoteRequest(
                buyer=f"buyer-{i % 37}",
                product=str(rng.choice(products)),
                quantity=float(rng.integers(1, 50) * 1000),
                wanted=str(rng.choice(months)),
                priority=int(rng.integers(1, 6)),
            )
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", default=None, help="run store (default: a temporary folder)")
    ap.add_argument("--plan", default=None, help="plan run id in --home (default: solve one)")
    ap.add_argument("--repeat", type=int, default=200, help="ATP answers timed")
    ap.add_argument("--batch", type=int, default=1000, help="requests in the batch")
    ap.add_argument("--no-ctp", action="store_true", help="skip the CTP answer")
    args = ap.parse_args()

    home = args.home or tempfile.mkdtemp(prefix="fabnet-bench-quote-")
    store = RunStore(home)
    run_id = args.plan or _plan(store)
    out: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "load_average": os.getloadavg(),
        "plan_run": run_id,
    }

    assert AtpBook is not None
    t0 = time.perf_counter()
    run = load_plan_run(store, run_id)
    t1 = time.perf_counter()
    book = atp_book(run, holding_quotes(QuoteStore(store), run))
    t2 = time.perf_counter()
    out["load_run_s"] = round(t1 - t0, 3)
    out["load_run_parts_s"] = {k: round(v, 3) for k, v in run.seconds.items()}
    out["build_book_s"] = round(t2 - t1, 3)

    products = list(book.products)
    window = [m for m in book.months if "2027-01" <= m <= "2031-12"]
    reqs = _requests(args.repeat, products, window, seed=1)
    times = []
    for req in reqs:
        s = time.perf_counter()
        book.promise(req, commit=False)
        times.append(time.perf_counter() - s)
    out["atp_answer_ms"] = {
        "median": round(1e3 * statistics.median(times), 2),
        "p95": round(1e3 * statistics.quantiles(times, n=20)[-1], 2),
        "max": round(1e3 * max(times), 2),
        "n": len(times),
    }

    s = time.perf_counter()
    rec = make_quote(store, run_id, QuoteRequest("NewCo", "H100-class", 50_000, "2027-06"))
    out["atp_quote_end_to_end_s"] = round(time.perf_counter() - s, 3)
    QuoteStore(store).expire(rec.id)

    batch = _requests(args.batch, products, window, seed=2)
    s = time.perf_counter()
    records = make_quotes(store, run_id, batch)
    out["batch_s"] = round(time.perf_counter() - s, 3)
    out["batch_n"] = len(records)
    out["batch_promised_units"] = round(sum(r.answer.atp.promised_quantity for r in records))
    quotes = QuoteStore(store)
    for r in records:
        quotes.expire(r.id)

    if not args.no_ctp:
        s = time.perf_counter()
        rec = make_quote(
            store,
            run_id,
            QuoteRequest("NewCo", "H100-class", 50_000, "2027-06", priority=2),
            ctp=True,
        )
        out["ctp_s"] = round(time.perf_counter() - s, 3)
        ctp = rec.answer.ctp
        assert ctp is not None
        out["ctp_solve_s"] = round(ctp.solve_seconds, 3)
        out["ctp_answer"] = {
            "quantity": ctp.quantity,
            "complete_by": ctp.complete_by,
            "price_per_unit": ctp.price_per_unit,
            "npv_change": ctp.npv_change,
            "displaced_rows": len(ctp.displaced),
        }
        quotes.expire(rec.id)
    out["load_average_after"] = os.getloadavg()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
