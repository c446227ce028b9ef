"""The fast recourse against the exact LP recourse, NPV line by line (issue 13, item 2).

For the built-in plan (or ``--robust K``: the robust plan of ``fabnet risk --robust K``), in the
nominal future and in ``--futures`` sampled futures (the uncertainties both recourses apply the
same way, :data:`SHARED`), prints each recourse's discounted cash-flow lines (B$, mean over the
futures) and their difference, then the per-future NPV pairs. The exact recourse's lines are read
from its solved model (``pm.ex``), the fast recourse's from :func:`fabnet.risk.recourse.
evaluate_draws` (``lines=``). Exact futures are cached under ``--cache`` (they take 15-60 s each).

    .venv/bin/python benchmarks/recourse_agreement.py --futures 12 --seed 11

``--by-product`` prints units per level and product for every future, ``--by-bucket F`` future
``F`` bucket by bucket where the two part.
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np

import fabnet.plan.solve as plan_solve
from fabnet.plan import solve_plan
from fabnet.plan.model import MONEY, QTY
from fabnet.risk import build_risk_model, compile_uncertainties, model_from_plan
from fabnet.risk.lp_recourse import applied_alike, future_scenario, metrics_from_plan
from fabnet.risk.recourse import evaluate_draws, identity_draws
from fabnet.risk.sampling import Chunk
from fabnet.scenario import load_scenario

SHARED = applied_alike(load_scenario())

_CAPTURED: dict[str, Any] = {}
_build_tables = plan_solve.build_tables


def _capture(pm, *args, **kw):  # type: ignore[no-untyped-def]
    _CAPTURED["pm"] = pm
    return _build_tables(pm, *args, **kw)


plan_solve.build_tables = _capture  # keep the solved model of each exact future


def _series(pm: Any, key: str, n_t: int) -> np.ndarray:
    expr = pm.ex.get(key)
    if expr is None:
        return np.zeros(n_t)
    if not hasattr(expr, "solution"):
        return np.broadcast_to(np.asarray(expr, dtype=float), (n_t,)) * MONEY
    v = np.nan_to_num(np.asarray(expr.solution.values, dtype=float))
    return np.broadcast_to(v, (n_t,)) * MONEY


def exact_lines(pm: Any, result: Any) -> dict[str, np.ndarray]:
    """Per-bucket cash lines (USD) of a solved plan model, and its quantities."""
    n_t = pm.d.buckets.n
    out = {k: _series(pm, k, n_t) for k in (
        "capex", "sustaining", "grants", "tax", "interest", "prepaid", "recovered",
        "opex_wafers", "opex_outside", "opex_packaging", "opex_hbm",
    )}  # fmt: skip
    rbc = pm.ex["revenue_by_customer"].solution
    out["revenue_c"] = np.nan_to_num(rbc.transpose("customer", "bucket").values) * MONEY
    tv = pm.value("terminal_value") * MONEY if "terminal_value" in pm.ex else 0.0
    out["terminal"] = np.array(tv)
    bal = _series(pm, "prepayment_balance", n_t)
    out["owed_at_end"] = np.array(bal[-1])
    q = pm.ex["delivered"].solution.transpose("customer", "product", "bucket").values
    out["delivered_c"] = np.nan_to_num(q).sum(axis=1) * QTY
    out["delivered_cpt"] = np.nan_to_num(q) * QTY
    for key in ("finished_inventory", "die_inventory"):
        v = pm.extra[key].solution.transpose("product", "bucket").values
        out[key] = np.nan_to_num(v) * QTY
    for name, dims in (("Option-wafers", ("option", "product", "bucket")),
                       ("Pool-wafers", ("group", "product", "bucket")),
                       ("Outside-wafers", ("outside", "product", "bucket")),
                       ("Packages", ("line", "product", "bucket"))):  # fmt: skip
        if name in pm.m.variables:
            v = pm.m.variables[name].solution.transpose(*dims).values
            out[name] = np.nan_to_num(v) * QTY
    out["npv"] = np.array(result.summary["npv"])
    return out


def _discounted(model: Any, lines: dict[str, np.ndarray], f: int | None) -> dict[str, float]:
    """NPV lines (USD, discounted) of future ``f`` (None: a single exact future)."""
    b = model.data.buckets
    df = b.discount
    df_end = (1.0 + float(model.ds.attrs.get("discount_rate", 0.0))) ** (-b.n_months / 12.0)
    pr = model.values("priority")

    def g(k: str) -> np.ndarray:
        v = np.asarray(lines[k], dtype=float)
        return v if f is None else v[f]

    row: dict[str, float] = {}
    rev = g("revenue_c")  # C x T
    for level in np.unique(pr):
        row[f"revenue P{level}"] = float((rev[pr == level] * df).sum())
    sign = {"grants": 1, "prepaid": 1}
    for k in ("opex_wafers", "opex_outside", "opex_packaging", "opex_hbm", "capex",
              "sustaining", "grants", "tax", "interest", "prepaid", "recovered"):  # fmt: skip
        row[k] = sign.get(k, -1) * float((g(k) * df).sum())
    row["terminal"] = df_end * float(np.asarray(g("terminal")).reshape(-1)[0])
    row["owed_at_end"] = -df_end * float(np.asarray(g("owed_at_end")).reshape(-1)[0])
    row["npv (sum)"] = sum(row.values())
    return row


def _by_product(model: Any, fast: np.ndarray, exact: list[np.ndarray]) -> None:
    """Units delivered (M, summed over buckets) per future, priority level and product:
    exact, and fast − exact (``fast`` [F, T, C, P]); with the exact's finished stock carried."""
    pr = model.values("priority")
    names = " ".join(f"{p[:10]:>10}" for p in model.data.products)
    print(f"\nunits delivered (M) per level and product, exact / fast − exact\n{'':8}{names}")
    for f, ex in enumerate(exact):
        fd = np.moveaxis(fast[f], 0, -1)  # C x P x T
        for level in np.unique(pr):
            e = ex[pr == level].sum(axis=(0, 2)) / 1e6
            d = (fd[pr == level] - ex[pr == level]).sum(axis=(0, 2)) / 1e6
            print(
                f"{f:3d} P{level}  "
                + " ".join(f"{a:5.2f}/{b:+5.2f}" for a, b in zip(e, d, strict=True))
            )


def _by_bucket(model: Any, f: int, fast: dict[str, np.ndarray], ex: dict[str, np.ndarray]) -> None:
    """Future ``f``, every bucket where the recourses part: units delivered per priority level,
    interposer wafers packaged per line (k, fast / exact) and the exact side's stock."""
    pr, ppw = model.values("priority"), model.values("packages_per_interposer_wafer")
    b, levels = model.data.buckets, np.unique(model.values("priority"))
    fd = fast["delivered"][f]  # T x C x P
    ed = np.moveaxis(ex["delivered_cpt"], 2, 0)
    fa = fast["assembled"][f]  # T x L x P
    ea = np.moveaxis(ex["Packages"], 2, 0) if "Packages" in ex else np.zeros_like(fa)
    print(f"\nfuture {f} by bucket (k units; fast/exact): level deliveries | line wafers | "
          "exact finished + die stock")  # fmt: skip
    for t in range(b.n):
        lv = [(fd[t][pr == k].sum(), ed[t][pr == k].sum()) for k in levels]
        wf = [((fa[t, li] / ppw).sum(), (ea[t, li] / ppw).sum()) for li in range(fa.shape[1])]
        if max(abs(a - e) for a, e in lv + wf) < 500.0:
            continue
        stock = (ex["finished_inventory"][:, t].sum() + ex["die_inventory"][:, t].sum()) / 1e3
        print(f"t{t:2d} m{b.start[t]:3d} | "
              + " ".join(f"P{k} {a / 1e3:5.0f}/{e / 1e3:5.0f}" for k, (a, e) in zip(levels, lv, strict=True))
              + " | " + " ".join(f"{a / 1e3:5.1f}/{e / 1e3:5.1f}" for a, e in wf)
              + f" | {stock:6.0f}")  # fmt: skip


def _plan(robust: int, cache: Path) -> tuple[Any, Any]:
    sc = load_scenario("ai-fab-network-2024")
    path = cache / f"plan_{robust}.pkl"
    if path.exists():
        return sc, pickle.loads(path.read_bytes())
    plan = solve_plan(sc, explain=False)
    if robust:  # the robust plan of ``fabnet risk --robust K --seed 2``
        from fabnet.risk.robust import robust_saa

        res = robust_saa(sc, plan, robust, seed=2, out_of_sample=10)
        plan = res.plans[res.chosen]
    path.write_bytes(pickle.dumps(plan))
    return sc, plan


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--futures", type=int, default=12)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--robust", type=int, default=0)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/agree13"))
    ap.add_argument("--per-future", action="store_true")
    ap.add_argument(
        "--by-product",
        action="store_true",
        help="units delivered per priority level and product, fast − exact",
    )
    ap.add_argument(
        "--by-bucket",
        type=int,
        default=None,
        metavar="F",
        help="future F bucket by bucket where the recourses part (levels, line wafers, stock)",
    )
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    sc, plan = _plan(args.robust, args.cache)
    sampler = compile_uncertainties(sc, only=SHARED)
    if hasattr(plan, "tables"):
        model = model_from_plan(sc, plan, sampler=sampler)
    else:  # a robust plan (SAAResult): the mix is its futures' mean wafer starts
        model = build_risk_model(sc, plan.data, plan.units, plan.blocks,
                                 wafer_starts=plan.wafer_starts, sampler=sampler)  # fmt: skip
        print(plan.decisions.to_string())
    key = hashlib.sha1(pickle.dumps(plan.decisions)).hexdigest()[:10]

    chunk = Chunk(0, 0, args.futures, args.seed)
    draws = model.sampler.draw(chunk)
    t0 = time.process_time()
    fast_lines: dict[str, np.ndarray] = {}
    fast = evaluate_draws(model, draws, fast_lines)
    fast_cpu = time.process_time() - t0
    nom_lines: dict[str, np.ndarray] = {}
    nominal = evaluate_draws(model, identity_draws(model), nom_lines)

    exact_rows, exact_npv, exact_short, exact_units, exact_all = [], [], [], [], []
    for i in range(-1, args.futures):
        path = args.cache / f"exact_{key}_{args.seed}_{i}.pkl"
        if path.exists():
            lines = pickle.loads(path.read_bytes())
        else:
            t1 = time.perf_counter()
            future = sc if i < 0 else future_scenario(sc, draws, i)
            res = solve_plan(future, policy=model.allocation, fixed=plan.decisions,
                             explain=False, threads=1)  # fmt: skip
            lines = exact_lines(_CAPTURED["pm"], res)
            m = metrics_from_plan(res, model)
            lines["shortage_total"] = m["shortage_total"]
            lines["seconds"] = np.array(time.perf_counter() - t1)
            path.write_bytes(pickle.dumps(lines))
            print(f"exact future {i}: {lines['seconds']:.1f} s", flush=True)
        if i < 0:
            exact_nom = lines
            continue
        exact_rows.append(_discounted(model, lines, None))
        exact_npv.append(float(lines["npv"]))
        exact_units.append(lines["delivered_cpt"])  # C x P x T
        exact_all.append(lines)
        exact_short.append(float(np.asarray(lines["shortage_total"]).reshape(-1)[0]))
    fast_rows = [_discounted(model, fast_lines, f) for f in range(args.futures)]

    def table(title: str, fr: list[dict], er: list[dict], fn: float, en: float) -> None:
        print(f"\n{title}  (B$, discounted; fast − exact)")
        print(f"{'line':<18}{'fast':>9}{'exact':>9}{'diff':>9}")
        for k in fr[0]:
            a = np.mean([r[k] for r in fr]) / 1e9
            e = np.mean([r[k] for r in er]) / 1e9
            print(f"{k:<18}{a:9.3f}{e:9.3f}{a - e:9.3f}")
        print(f"{'npv (reported)':<18}{fn / 1e9:9.3f}{en / 1e9:9.3f}{(fn - en) / 1e9:9.3f}")

    table("nominal future", [_discounted(model, nom_lines, 0)], [_discounted(model, exact_nom,
          None)], float(nominal["npv"][0]), float(exact_nom["npv"]))  # fmt: skip
    table(f"{args.futures} futures, seed {args.seed}", fast_rows, exact_rows,
          float(np.mean(fast["npv"])), float(np.mean(exact_npv)))  # fmt: skip
    fs, es = float(np.mean(fast["shortage_total"])), float(np.mean(exact_short))
    fn, en = float(np.mean(fast["npv"])), float(np.mean(exact_npv))
    print(f"\nmean NPV {fn / 1e9:.3f} vs {en / 1e9:.3f} B$ ({fn / en - 1:+.2%}); mean shortage "
          f"{fs / 1e6:.3f} vs {es / 1e6:.3f} M units ({fs / es - 1:+.2%}); fast CPU "
          f"{fast_cpu:.2f} s for {args.futures} futures")  # fmt: skip
    if args.by_product:
        _by_product(model, fast_lines["delivered"], exact_units)
    if args.by_bucket is not None:
        _by_bucket(model, args.by_bucket, fast_lines, exact_all[args.by_bucket])
    if args.per_future:
        keys = list(fast_rows[0])
        print("\nper future, fast − exact (M$): " + " ".join(k[:9] for k in keys))
        for f in range(args.futures):
            d = [(fast_rows[f][k] - exact_rows[f][k]) / 1e6 for k in keys]
            print(f"{f:3d} " + " ".join(f"{v:9.0f}" for v in d))
        for f in range(args.futures):
            print(f"future {f:2d}: npv fast {fast['npv'][f] / 1e9:7.3f} exact "
                  f"{exact_npv[f] / 1e9:7.3f}  shortage {fast['shortage_total'][f] / 1e6:7.3f} "
                  f"{exact_short[f] / 1e6:7.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
