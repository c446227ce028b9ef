"""Read an SMT2020 dataset (AutoSched AP tables, tab-separated) into a :class:`FabModel`.

Source: Kopp, Hassoun, Kalir, Mönch, "SMT2020 — A Semiconductor Manufacturing Testbed", IEEE
TSM 33(4):522–531, 2020. Column meanings follow the AutoSched format as read by the public
PySCFabSim simulator (github.com/prosysscience/PySCFabSim-release, ``simulation/classes.py``,
``file_instance.py``):

- ``tool.txt.1l``: one row per tool family (``STNFAM``) with ``STNQTY`` tools, area ``STNGRP``,
  load/unload times, ``STNCAP=2`` for cascading tools, location ``STNFAMLOC``, batching
  criterion ``BATCHCRITF`` (``crit_sameroutestep``: one batch = one route step), dispatching
  ranks ``FWLRANK`` (the most common last rank becomes ``FabModel.dispatch``: HVLM ``rank_FIFO``,
  LVHM ``rank_CR``).
- ``route_*.txt``: one row per step. ``PTPER`` is ``per_piece`` (× wafers per lot), ``per_lot`` or
  ``per_batch``; ``PDIST=uniform`` with ``PTIME`` the mean and ``PTIME2`` the width of the
  interval; ``BATCHMN``/``BATCHMX`` in wafers; ``PartInterval`` (per-wafer cascade: the lot takes
  ``PTIME + PartInterval·(n−1)``, the tool ``PartInterval·n``) and ``BatchInterval`` (the tool is
  free again after it); ``SETUP``/``STIME`` (step setup); ``StepPercent`` (sampling),
  ``REWORK``% back to ``RWKSTEP``; ``STEP_CQT``/``CQT`` (critical queue time to a later step);
  ``SVESTN=yes``/``FORSTEP`` (lot-to-lens dedication: the later step must use the same tool).
- ``order.txt`` (periodic releases), ``WIP.txt`` (initial WIP), ``part.txt`` (part → route file),
  ``attach.txt`` + ``downcal.txt`` + ``pmcal.txt`` (failures and PMs; an empty ``FOAUNITS`` means
  a wafer-count PM), ``setup.txt``, ``setupgrp.txt`` (minimum runs), ``fromto.txt`` (transport).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import os
import pickle
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fabnet.datasets import cache_dir, resolve_smt2020, smt2020_dir
from fabnet.errors import DataError
from fabnet.fab.model import (
    DIST_CONST,
    DIST_EXP,
    DIST_UNIFORM,
    Calendar,
    FabModel,
    Order,
    Product,
    Route,
    Step,
    ToolGroup,
    WipLot,
)

__all__ = ["default_smt2020_dir", "load_smt2020"]

_UNITS = {"sec": 1 / 60, "s": 1 / 60, "min": 1.0, "hr": 60.0, "day": 1440.0}
_DISTS = {"uniform": DIST_UNIFORM, "exponential": DIST_EXP, "constant": DIST_CONST}
_DATE_FORMAT = "%m/%d/%y %H:%M:%S"
# tool.txt FWLRANK's last rank (after rank_HP; rank_RSETUP) -> fabnet's rule
_DATASET_RULES = {"rank_FIFO": "fifo", "rank_CR": "cr", "rank_EDD": "edd", "rank_SPT": "spt"}


def default_smt2020_dir() -> Path:
    """Where the SMT2020 tables are: ``$FABNET_SMT2020_DIR``, else the user cache's
    ``smt2020`` folder that ``fabnet data fetch smt2020`` fills (:mod:`fabnet.datasets`)."""
    return smt2020_dir()


def _cache_key(d: Path) -> str:
    """SHA-256 over the dataset's files (names and bytes) and over this loader's own source and
    the model's: a cached model is reused only for the same tables read by the same code."""
    h = hashlib.sha256()
    for own in (Path(__file__), Path(__file__).with_name("model.py")):
        h.update(own.read_bytes())
    for path in sorted(p for p in d.iterdir() if p.is_file() and not p.name.startswith(".")):
        h.update(path.name.encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def load_smt2020(directory: str | Path) -> FabModel:
    """Load an SMT2020 dataset: a folder (e.g. ``.../SMT2020_HVLM``) or a name (``SMT2020_HVLM``,
    ``HVLM``, ``LVHM``: the folder of that name under :func:`default_smt2020_dir`).

    The tables are parsed once; the model is kept in the user cache (``<cache>/models``, a
    pickle keyed by the SHA-256 of the files and of the loader, see :func:`_cache_key`) and read
    from there next time (a few tens of milliseconds instead of parsing). A cache that cannot be
    written is skipped.

    Raises:
        DataError: a file is missing or a cell cannot be read (message names file, line, column);
            a dataset name whose tables were not fetched (message names the fetch command).
    """
    d = resolve_smt2020(directory)
    if not d.is_dir():
        return _parse_smt2020(d)  # raises the loader's error
    key = _cache_key(d)
    cached = cache_dir() / "models" / f"smt2020-{d.name}-{key[:32]}.pickle"
    gc_was_enabled = gc.isenabled()
    gc.disable()  # tens of thousands of small objects: the cyclic GC would pass over them often
    try:
        with cached.open("rb") as fh:
            model = pickle.load(fh)
        if isinstance(model, FabModel):
            return model
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError):
        pass
    finally:
        if gc_was_enabled:
            gc.enable()
    model = _parse_smt2020(d)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=".model-")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(model, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cached)
    except OSError:
        pass
    return model


class _Table:
    """Rows of one tab-separated file, with typed getters that raise :class:`DataError`."""

    def __init__(self, path: Path):
        self.path = path
        if not path.is_file():
            raise DataError("file missing: an SMT2020 dataset directory needs it", file=str(path))
        with path.open(newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.reader(fh, delimiter="\t"))
        if not rows:
            raise DataError("empty file: expected a header row", file=str(path), line=1)
        self.header = [h.strip() for h in rows[0]]
        self.rows: list[tuple[int, dict[str, str]]] = []
        for i, raw in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in raw):
                continue
            d = {h: (raw[j].strip() if j < len(raw) else "") for j, h in enumerate(self.header)}
            self.rows.append((i, d))

    def require(self, *columns: str) -> None:
        for c in columns:
            if c not in self.header:
                raise DataError(
                    f"missing column {c!r}; the header has {', '.join(self.header)}",
                    file=str(self.path),
                    line=1,
                    column=c,
                )

    def num(self, line: int, row: dict[str, str], col: str, default: float | None = None) -> float:
        text = row.get(col, "")
        if text == "":
            if default is not None:
                return default
            raise DataError("expected a number, got an empty cell", str(self.path), line, col)
        try:
            return float(text)
        except ValueError:
            raise DataError(f"expected a number, got {text!r}", str(self.path), line, col) from None

    def unit(self, line: int, row: dict[str, str], col: str, allow_pieces: bool = False) -> float:
        text = row.get(col, "")
        if text in _UNITS:
            return _UNITS[text]
        if allow_pieces and text in ("", "pieces"):
            return 0.0  # marks a count in wafers
        valid = ", ".join(sorted(_UNITS)) + (", pieces or empty" if allow_pieces else "")
        raise DataError(f"unknown time unit {text!r}; valid: {valid}", str(self.path), line, col)

    def dist(self, line: int, row: dict[str, str], col: str) -> int:
        text = row.get(col, "") or "constant"
        if text not in _DISTS:
            raise DataError(
                f"unknown distribution {text!r}; valid: {', '.join(_DISTS)}",
                str(self.path),
                line,
                col,
            )
        return _DISTS[text]

    def date(self, line: int, row: dict[str, str], col: str) -> datetime:
        text = row.get(col, "")
        try:
            return datetime.strptime(text, _DATE_FORMAT)
        except ValueError:
            raise DataError(
                f"expected a date like 01/31/18 13:45:00, got {text!r}", str(self.path), line, col
            ) from None


def _parse_smt2020(d: Path) -> FabModel:
    """Parse the tables of one SMT2020 dataset folder into a :class:`FabModel`."""
    if not d.is_dir():
        raise DataError(
            "not a directory; pass an SMT2020 dataset folder such as .../SMT2020_HVLM "
            "(with tool.txt.1l, route_*.txt, order.txt, ...)",
            file=str(d),
        )
    groups, group_index, dispatch = _read_tool_groups(d)
    orders_t = _Table(d / "order.txt")
    orders_t.require("LOT", "PART", "PRIOR", "PIECES", "START", "REPEAT", "RUNITS", "RPT#", "DUE")
    wip_t = _Table(d / "WIP.txt")
    wip_t.require("LOT", "PART", "PRIOR", "PIECES", "CURSTEP", "DUE")
    parts = _Table(d / "part.txt")
    parts.require("PART", "ROUTEFILE")
    pieces = 25
    for tab in (orders_t, wip_t):
        for line, r in tab.rows:
            pieces = int(tab.num(line, r, "PIECES"))
            break

    routes: list[Route] = []
    route_of_file: dict[str, int] = {}
    products: list[Product] = []
    product_index: dict[str, int] = {}
    for _line, r in parts.rows:
        rf = r["ROUTEFILE"]
        if rf not in route_of_file:
            route_of_file[rf] = len(routes)
            routes.append(_read_route(d / rf, group_index, pieces))
        product_index[r["PART"]] = len(products)
        products.append(Product(name=r["PART"], route=route_of_file[rf], pieces=pieces))

    def product_of(tab: _Table, line: int, row: dict[str, str]) -> int:
        if row["PART"] not in product_index:
            raise DataError(
                f"unknown part {row['PART']!r}; part.txt defines {', '.join(product_index)}",
                str(tab.path),
                line,
                "PART",
            )
        return product_index[row["PART"]]

    orders, due_of_order, t0 = _read_orders(orders_t, product_of)
    wip = _read_wip(wip_t, product_of, routes, products, due_of_order, t0)
    setup_minutes, min_run, transport = _read_setups_and_transport(d)
    return FabModel(
        name=d.name,
        groups=groups,
        routes=routes,
        products=products,
        orders=orders,
        wip=wip,
        calendars=_read_calendars(d, groups),
        setup_minutes=setup_minutes,
        setup_min_run=min_run,
        transport=transport,
        dispatch=dispatch,
    )


def _read_tool_groups(d: Path) -> tuple[list[ToolGroup], dict[str, int], str]:
    """``tool.txt.1l``: the tool families, their index by name, and the rule the tables rank by
    (the most common last rank of ``FWLRANK``)."""
    tools = _Table(d / "tool.txt.1l" if (d / "tool.txt.1l").is_file() else d / "tool.txt")
    tools.require("STNFAM", "STNQTY", "STNGRP")
    groups: list[ToolGroup] = []
    group_index: dict[str, int] = {}
    ranked: Counter[str] = Counter()  # the families' last dispatching rank, e.g. rank_CR
    for line, r in tools.rows:
        ranks = [x.strip() for x in r.get("FWLRANK", "").split(";") if x.strip()]
        if ranks:
            ranked[ranks[-1]] += 1
        qty = int(tools.num(line, r, "STNQTY"))
        if qty < 1:
            raise DataError("STNQTY must be at least 1", str(tools.path), line, "STNQTY")
        load = 0.0
        for tcol, ucol in (("LTIME", "LTUNITS"), ("ULTIME", "ULTUNITS")):
            if r.get(tcol, ""):
                load += tools.num(line, r, tcol) * tools.unit(line, r, ucol)
        cap = r.get("STNCAP", "")
        group_index[r["STNFAM"]] = len(groups)
        groups.append(
            ToolGroup(
                name=r["STNFAM"],
                count=qty,
                area=r.get("STNGRP", ""),
                load_minutes=load,
                cascading=cap != "" and int(float(cap)) == 2,
                location=r.get("STNFAMLOC", "") or "Fab",
                batch_same_route="crit_sameroutestep" in r.get("BATCHCRITF", ""),
            )
        )
    dispatch = _DATASET_RULES.get(ranked.most_common(1)[0][0], "fifo") if ranked else "fifo"
    return groups, group_index, dispatch


def _read_orders(orders_t: _Table, product_of) -> tuple[list[Order], dict[str, float], datetime]:
    """``order.txt``: the release streams, each order's due offset, and the first start."""
    t0 = min(orders_t.date(line, r, "START") for line, r in orders_t.rows)
    orders: list[Order] = []
    due_of_order: dict[str, float] = {}
    for line, r in orders_t.rows:
        start = orders_t.date(line, r, "START")
        due = orders_t.date(line, r, "DUE")
        due_minutes = (due - start).total_seconds() / 60
        due_of_order[r["LOT"]] = due_minutes
        orders.append(
            Order(
                name=r["LOT"],
                product=product_of(orders_t, line, r),
                priority=int(orders_t.num(line, r, "PRIOR")),
                start=(start - t0).total_seconds() / 60,
                interval=orders_t.num(line, r, "REPEAT") * orders_t.unit(line, r, "RUNITS"),
                count=int(orders_t.num(line, r, "RPT#")),
                lots_per_release=int(orders_t.num(line, r, "LOTSPERRPT", 1)),
                due_minutes=due_minutes,
                interval_dist=orders_t.dist(line, r, "RDIST"),
            )
        )
    return orders, due_of_order, t0


def _read_wip(wip_t: _Table, product_of, routes: list[Route], products: list[Product],
              due_of_order: dict[str, float], t0: datetime) -> list[WipLot]:  # fmt: skip
    """``WIP.txt``: the lots in the fab at time 0 (release = due date minus the order's due
    offset)."""
    wip: list[WipLot] = []
    for line, r in wip_t.rows:
        p = product_of(wip_t, line, r)
        n_steps = len(routes[products[p].route].steps)
        cur = int(wip_t.num(line, r, "CURSTEP"))
        if not 1 <= cur <= n_steps:
            raise DataError(
                f"CURSTEP {cur} outside the route's steps 1..{n_steps}",
                str(wip_t.path),
                line,
                "CURSTEP",
            )
        due_min = (wip_t.date(line, r, "DUE") - t0).total_seconds() / 60
        name = r["LOT"]
        base = name[name.index("_") + 1 : name.rindex("_")] if name.startswith("Init_") else name
        release = due_min - due_of_order.get(base, 0.0)
        wip.append(
            WipLot(
                name=name,
                product=p,
                priority=int(wip_t.num(line, r, "PRIOR")),
                step=cur - 1,
                due=due_min,
                release=release,
            )
        )
    return wip


def _read_setups_and_transport(
    d: Path,
) -> tuple[dict[tuple[str, str], float], dict[str, int], tuple[float, float]]:
    """``setup.txt`` (setup times), ``setupgrp.txt`` (minimum runs), ``fromto.txt`` (transport
    between two ``Fab`` locations: mean and half-width)."""
    setup_minutes: dict[tuple[str, str], float] = {}
    st = _Table(d / "setup.txt")
    for line, r in st.rows:
        setup_minutes[(r.get("CURSETUP", ""), r["NEWSETUP"])] = st.num(line, r, "STIME") * st.unit(
            line, r, "STUNITS"
        )
    min_run: dict[str, int] = {}
    sg = _Table(d / "setupgrp.txt")
    for line, r in sg.rows:
        min_run[r["SETUP"]] = int(sg.num(line, r, "MINRUN"))
    transport = (0.0, 0.0)
    ft_path = d / "fromto.txt"
    if ft_path.is_file():
        ft = _Table(ft_path)
        for line, r in ft.rows:
            if r.get("FROMLOC") == "Fab" and r.get("TOLOC") == "Fab":
                u = ft.unit(line, r, "DUNITS")
                transport = (ft.num(line, r, "DTIME") * u, ft.num(line, r, "DTIME2", 0) * u / 2)
    return setup_minutes, min_run, transport


def _read_route(path: Path, group_index: dict[str, int], pieces: int) -> Route:
    t = _Table(path)
    t.require("STEP", "DESC", "STNFAM", "PTIME", "PTUNITS", "PTPER")
    step_no: dict[int, int] = {}
    for i, (line, r) in enumerate(t.rows):
        step_no[int(t.num(line, r, "STEP"))] = i

    def index_of(line: int, r: dict[str, str], col: str) -> int:
        if not r.get(col, ""):
            return -1
        n = int(t.num(line, r, col))
        if n not in step_no:
            raise DataError(f"refers to step {n}, which the route lacks", str(path), line, col)
        return step_no[n]

    steps: list[Step] = []
    for line, r in t.rows:
        fam = r["STNFAM"]
        if fam not in group_index:
            raise DataError(
                f"unknown tool family {fam!r}: not in tool.txt", str(path), line, "STNFAM"
            )
        u = t.unit(line, r, "PTUNITS")
        mean = t.num(line, r, "PTIME") * u
        width = t.num(line, r, "PTIME2", 0.0) * u
        per = r["PTPER"]
        if per not in ("per_piece", "per_lot", "per_batch"):
            raise DataError(
                f"PTPER {per!r}; valid: per_piece, per_lot, per_batch", str(path), line, "PTPER"
            )
        tool_minutes: float | None = None
        if r.get("PartInterval", ""):
            interval = t.num(line, r, "PartInterval") * t.unit(line, r, "PartIntUnits")
            mean = mean + interval * (pieces - 1)
            tool_minutes = interval * pieces
        elif per == "per_piece":
            mean, width = mean * pieces, width * pieces
        if r.get("BatchInterval", ""):
            tool_minutes = t.num(line, r, "BatchInterval") * t.unit(line, r, "BatchIntUnits")
        bmin = int(t.num(line, r, "BATCHMN", 0) // pieces) if r.get("BATCHMN") else 1
        bmax = int(t.num(line, r, "BATCHMX", 0) // pieces) if r.get("BATCHMX") else 1
        setup_minutes = None
        if r.get("STIME", ""):
            setup_minutes = t.num(line, r, "STIME") * t.unit(line, r, "STUNITS")
        cqt_to = index_of(line, r, "STEP_CQT")
        steps.append(
            Step(
                name=r["DESC"],
                group=group_index[fam],
                mean=mean,
                half_width=width / 2,
                dist=t.dist(line, r, "PDIST"),
                per=per[4:],
                tool_minutes=tool_minutes,
                batch_min=max(1, min(bmin, bmax)),
                batch_max=max(1, bmax),
                setup=r.get("SETUP", ""),
                setup_minutes=setup_minutes,
                sample_percent=t.num(line, r, "StepPercent", 100.0),
                rework_percent=t.num(line, r, "REWORK", 0.0),
                rework_to=index_of(line, r, "RWKSTEP"),
                cqt_to=cqt_to,
                cqt_minutes=(t.num(line, r, "CQT") * t.unit(line, r, "CQTUNITS"))
                if cqt_to >= 0
                else 0.0,
                dedicate_to=index_of(line, r, "FORSTEP") if r.get("SVESTN") == "yes" else -1,
            )
        )
    name = t.rows[0][1]["ROUTE"] if t.rows else path.stem
    return Route(name=name, steps=tuple(steps))


def _read_calendars(d: Path, groups: list[ToolGroup]) -> list[Calendar]:
    attach = _Table(d / "attach.txt")
    attach.require("CALNAME", "CALTYPE", "RESTYPE", "RESNAME", "FOADIST", "FOA")
    downcal = _Table(d / "downcal.txt")
    pmcal = _Table(d / "pmcal.txt")
    downs = {r["DOWNCALNAME"]: (line, r) for line, r in downcal.rows}
    pms = {r["PMCALNAME"]: (line, r) for line, r in pmcal.rows}
    first_tool: list[int] = []
    t = 0
    for g in groups:
        first_tool.append(t)
        t += g.count
    out: list[Calendar] = []
    for line, r in attach.rows:
        restype = r["RESTYPE"]
        if restype == "stngrp":
            gids = [i for i, g in enumerate(groups) if g.area == r["RESNAME"]]
        elif restype == "stnfam":
            gids = [i for i, g in enumerate(groups) if g.name == r["RESNAME"]]
        else:
            raise DataError(
                f"RESTYPE {restype!r}; valid: stngrp, stnfam", str(attach.path), line, "RESTYPE"
            )
        if not gids:
            raise DataError(
                f"no tool family or area named {r['RESNAME']!r}", str(attach.path), line, "RESNAME"
            )
        tool_ids = tuple(first_tool[g] + k for g in gids for k in range(groups[g].count))
        foa_unit = attach.unit(line, r, "FOAUNITS", allow_pieces=True)
        by_pieces = foa_unit == 0.0
        first = attach.num(line, r, "FOA") * (1.0 if by_pieces else foa_unit)
        first_dist = attach.dist(line, r, "FOADIST")
        kind = r["CALTYPE"]
        name = r["CALNAME"]
        if kind == "down":
            if name not in downs:
                raise DataError(f"calendar {name!r} not in downcal.txt", str(attach.path), line)
            cl, c = downs[name]
            every = downcal.num(cl, c, "MTTF") * downcal.unit(cl, c, "MTTFUNITS")
            every_dist = downcal.dist(cl, c, "MTTFDIST")
            rep_dist = downcal.dist(cl, c, "MTTRDIST")
            rep_mean = downcal.num(cl, c, "MTTR") * downcal.unit(cl, c, "MTTRUNITS")
            rep_half = 0.0
        elif kind == "pm":
            if name not in pms:
                raise DataError(f"calendar {name!r} not in pmcal.txt", str(attach.path), line)
            cl, c = pms[name]
            pm_unit = pmcal.unit(cl, c, "MTBPMUNITS", allow_pieces=True)
            every = pmcal.num(cl, c, "MTBPM") * (1.0 if pm_unit == 0.0 else pm_unit)
            every_dist = DIST_CONST
            rep_dist = pmcal.dist(cl, c, "MTTRDIST")
            ru = pmcal.unit(cl, c, "MTTRUNITS")
            rep_mean = pmcal.num(cl, c, "MTTR") * ru
            rep_half = pmcal.num(cl, c, "MTTR2", 0.0) * ru / 2
        else:
            raise DataError(f"CALTYPE {kind!r}; valid: down, pm", str(attach.path), line, "CALTYPE")
        out.append(
            Calendar(
                name=name,
                kind=kind,
                tools=tool_ids,
                every=every,
                every_dist=every_dist,
                repair_mean=rep_mean,
                repair_half_width=rep_half,
                repair_dist=rep_dist,
                first=first,
                first_dist=first_dist,
                by_pieces=by_pieces,
            )
        )
    return out


_Loader = Callable[[Path], FabModel]
