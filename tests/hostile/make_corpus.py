"""Write the hostile corpus (``tests/hostile/corpus/``) from a small valid base scenario.

Run ``python tests/hostile/make_corpus.py`` to regenerate it; the files are kept in the repository
so that each can be read and tried by hand (``fabnet scenario validate tests/hostile/corpus/X``).
What each file must give is listed in ``test_corpus.py``.

Each file is the base scenario (``base.yaml``, valid) with one hostile change, written as a text
edit so that YAML-specific spellings (``.inf``, unquoted dates, aliases, duplicate keys) stay as
an attacker or a careless user would write them; a few are generated whole (alias bombs, deep
nesting, binary junk), and some are odd but valid.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).parent / "corpus"
TABLES = HERE / "tables"

BASE = """\
# A small valid scenario: every hostile file in this folder is this one with one change.
name: hostile-base
policy:
  start: 2024-01
  horizon_months: 24
  time_limit_seconds: 30
nodes:
  - {name: N4, d0_start_per_cm2: 0.5, d0_mature_per_cm2: 0.07, learning_tau_months: 6, mask_layers: 80}
fabs:
  - kind: existing
    name: Utah
    region: US
    node: N4
    capacity_wspm: 20000
    asking_price_usd: 900.0e6
    opex_per_wafer_usd: 3500
  - kind: greenfield
    name: Tainan
    region: Taiwan
    nodes: [{node: N4, capex_per_kwspm_usd: 0.30e9}]
    module_wspm: 10000
    lead_time_months: 12
    max_modules: 2
    opex_per_wafer_usd: 4000
products:
  - name: H100-class
    node: N4
    die_width_mm: 26.0
    die_height_mm: 31.3
    hbm_stacks: 5
    packaging: CoWoS
    packages_per_interposer_wafer: 29
    list_price_usd: 25000
packaging:
  - {name: CoWoS slots, kind: CoWoS, owner: outsourced, capacity_wpm: 3000, cost_per_wafer_usd: 21750}
hbm:
  - {name: SK hynix, stacks_per_month: 150000, price_usd: 270}
customers:
  - name: OpenAI
    priority: 1
    demand: {H100-class: 20000}
    price_usd: {H100-class: 9000}
investors:
  - name: SoftBank
    commitment_usd: 6.0e9
    pay_in:
      - {month: 2024-01, amount_usd: 3.0e9}
      - {month: 2025-01, amount_usd: 3.0e9}
financing:
  debt_limit_usd: 10.0e9
uncertainties:
  - name: delay
    target: fabs.*.months_to_first_output
    effect: add
    distribution: {dist: uniform, low: 0, high: 6}
"""


def edit(old: str, new: str, text: str = BASE) -> str:
    """``text`` with the one occurrence of ``old`` replaced by ``new``."""
    assert text.count(old) == 1, (old, text.count(old))
    return text.replace(old, new)


def base_data() -> dict:
    from fabnet.scenario._strict import read_yaml

    data = read_yaml(BASE)
    assert isinstance(data, dict)
    return data


def bomb(levels: int, width: int = 10) -> str:
    lines = [f"a0: &a0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]")
    lines.append(f"description: *a{levels}")
    return "\n".join(lines) + "\n" + BASE


def with_table(csv_name: str) -> str:
    return edit("name: hostile-base\n", f"name: hostile-base\ndemand_table: tables/{csv_name}\n")


CUSTOMER = (
    "name: OpenAI\n    priority: 1\n    demand: {H100-class: 20000}\n"
    "    price_usd: {H100-class: 9000}"
)


def scenario_files() -> dict[str, str | bytes]:
    """File name → content of every scenario file of the corpus."""
    data = base_data()
    js = json.dumps(data, indent=1)
    import tomli_w

    toml = tomli_w.dumps(data)
    files: dict[str, str | bytes] = {"base.yaml": BASE, "base.json": js, "base.toml": toml}

    # -- resource exhaustion: aliases, nesting, size ----------------------------------------
    files["alias-bomb-8.yaml"] = bomb(8)
    files["alias-bomb-10.yaml"] = bomb(10)
    files["alias-bomb-merge-keys.yaml"] = (
        "m0: &m0 {a: 1, b: 2}\n"
        + "".join(
            f"m{i}: &m{i} {{<<: [{', '.join([f'*m{i - 1}'] * 10)}], k{i}: 1}}\n"
            for i in range(1, 9)
        )
        + "description: *m8\n"
        + BASE
    )
    files["alias-many-customers.yaml"] = edit(
        "customers:\n  - " + CUSTOMER,
        "customers:\n  - &c " + CUSTOMER + "\n" + "  - *c\n" * 12_000,
    )
    files["alias-recursive.yaml"] = edit("uncertainties:", "loop: &loop [1, *loop]\nuncertainties:")
    files["deep-flow.yaml"] = "description: " + "[" * 5000 + "]" * 5000 + "\n" + BASE
    files["deep-block.yaml"] = (
        BASE + "fab_templates:\n" + "".join(" " * (2 * i) + f"- l{i}:\n" for i in range(60))
    )
    files["deep-40.yaml"] = "description: " + "[" * 40 + "1" + "]" * 40 + "\n" + BASE
    files["deep.json"] = '{"name": ' + "[" * 3000 + "]" * 3000 + "}"
    files["deep.toml"] = "name = " + "[" * 5000 + "]" * 5000 + "\n"
    files["long-string.yaml"] = edit(
        "name: hostile-base\n", "name: hostile-base\ndescription: " + "x" * 20_000 + "\n"
    )
    files["long-series.yaml"] = edit(
        "demand: {H100-class: 20000}",
        "demand:\n      H100-class: {"
        + ", ".join(f"{1900 + m // 12}-{m % 12 + 1:02d}: 5" for m in range(1500))
        + "}",
    )
    files["too-many-ramp-points.yaml"] = edit(
        "    max_modules: 2\n",
        "    max_modules: 2\n    ramp_curve: [" + ", ".join(["1.0"] * 11_000) + "]\n",
    )
    files["huge-int.yaml"] = edit("capacity_wspm: 20000", "capacity_wspm: " + "9" * 5000)
    files["huge-int.json"] = js.replace('"capacity_wspm": 20000', '"capacity_wspm": ' + "9" * 5000)

    # -- syntax: duplicates, tags, encodings ------------------------------------------------
    files["duplicate-key-top.yaml"] = BASE + "name: second-name\n"
    files["duplicate-key-nested.yaml"] = edit(
        "    capacity_wspm: 20000\n", "    capacity_wspm: 20000\n    capacity_wspm: 1\n"
    )
    files["duplicate-key.json"] = js.replace(
        '"name": "hostile-base",', '"name": "a", "name": "b",', 1
    )
    files["duplicate-key.toml"] = 'name = "again"\n' + toml
    files["python-tag.yaml"] = edit(
        "name: hostile-base", 'name: !!python/object/apply:os.system ["echo pwned"]'
    )
    files["unknown-tag.yaml"] = edit("region: US", "region: !custom US")
    files["bad-int-tag.yaml"] = edit("capacity_wspm: 20000", "capacity_wspm: !!int abc")
    files["impossible-timestamp-tag.yaml"] = edit("start: 2024-01", "start: !!timestamp 2024-02-30")
    files["multi-document.yaml"] = BASE + "---\n" + BASE
    files["tab-indent.yaml"] = edit("    region: US\n", "\tregion: US\n")
    files["unhashable-key.yaml"] = BASE + "? [a, b]\n: 1\n"
    files["unclosed.json"] = js[:-10]
    files["trailing-comma.json"] = js.rstrip().rstrip("}") + ",}"
    files["empty.yaml"] = ""
    files["comment-only.yaml"] = "# nothing here\n"
    files["top-level-list.json"] = "[1, 2, 3]"
    files["top-level-string.yaml"] = "just a string\n"
    files["not-utf8.yaml"] = BASE.replace("Taiwan", "Ta\u00efwan").encode("latin-1")
    files["binary-junk.yaml"] = bytes(range(256)) * 4
    files["nul-byte-in-text.yaml"] = BASE.replace("region: US", "region: U\x00S")

    # -- numbers: non-finite, out of range, not numbers -----------------------------------
    files["inf-capacity.yaml"] = edit("capacity_wspm: 20000", "capacity_wspm: .inf")
    files["neg-inf-price.yaml"] = edit("list_price_usd: 25000", "list_price_usd: -.inf")
    files["nan-customer-price.yaml"] = edit(
        "price_usd: {H100-class: 9000}", "price_usd: {H100-class: .nan}"
    )
    files["nan-distribution.yaml"] = edit(
        "{dist: uniform, low: 0, high: 6}", "{dist: uniform, low: .nan, high: 6}"
    )
    files["inf-commitment.yaml"] = edit("commitment_usd: 6.0e9", "commitment_usd: .inf")
    files["inf-debt-limit.yaml"] = edit("debt_limit_usd: 10.0e9", "debt_limit_usd: .inf")
    files["inf-time-limit.yaml"] = edit("time_limit_seconds: 30", "time_limit_seconds: .inf")
    files["exponent-overflow.yaml"] = edit("asking_price_usd: 900.0e6", "asking_price_usd: 1e400")
    files["demand-1e308.yaml"] = edit(
        "demand: {H100-class: 20000}", "demand: {H100-class: 1.0e+308}"
    )
    files["demand-inf.yaml"] = edit("demand: {H100-class: 20000}", "demand: {H100-class: .inf}")
    files["demand-series-nan.yaml"] = edit(
        "demand: {H100-class: 20000}", "demand: {H100-class: {2024-01: 5, 2024-06: .nan}}"
    )
    files["demand-negative.yaml"] = edit("demand: {H100-class: 20000}", "demand: {H100-class: -5}")
    files["nan.json"] = js.replace('"capacity_wspm": 20000', '"capacity_wspm": NaN')
    files["infinity.json"] = js.replace(
        '"commitment_usd": 6000000000.0', '"commitment_usd": Infinity'
    )
    files["neg-infinity.json"] = js.replace(
        '"list_price_usd": 25000', '"list_price_usd": -Infinity'
    )
    files["inf.toml"] = toml.replace("capacity_wspm = 20000", "capacity_wspm = inf")
    files["nan.toml"] = toml.replace("time_limit_seconds = 30", "time_limit_seconds = nan")
    files["price-above-limit.yaml"] = edit("list_price_usd: 25000", "list_price_usd: 2.0e9")
    files["money-above-limit.yaml"] = edit("debt_limit_usd: 10.0e9", "debt_limit_usd: 1.0e20")
    files["priority-ratio-huge.yaml"] = edit(
        "time_limit_seconds: 30", "time_limit_seconds: 30\n  priority_weight_ratio: 1.0e6"
    )
    files["lognormal-sigma-huge.yaml"] = edit(
        "{dist: uniform, low: 0, high: 6}", "{dist: lognormal, median: 1, sigma: 1000}"
    )
    files["true-as-number.yaml"] = edit("capacity_wspm: 20000", "capacity_wspm: true")
    files["true-as-number.json"] = js.replace('"capacity_wspm": 20000', '"capacity_wspm": true')
    files["true-as-integer.yaml"] = edit("horizon_months: 24", "horizon_months: true")
    files["true-in-series.yaml"] = edit("demand: {H100-class: 20000}", "demand: {H100-class: true}")
    files["yes-as-boolean.yaml"] = edit("    effect: add\n", "    effect: add\n    per_item: yes\n")
    files["sexagesimal-trap.yaml"] = edit("capacity_wspm: 20000", "capacity_wspm: 12:30")
    files["octal-trap.yaml"] = edit("mask_layers: 80", "mask_layers: 010")
    files["text-as-number.yaml"] = edit("capacity_wspm: 20000", "capacity_wspm: lots")

    # -- dates ------------------------------------------------------------------------------
    files["impossible-date.yaml"] = edit("start: 2024-01", "start: 2024-02-30")
    files["impossible-date-quoted.yaml"] = edit(
        "    opex_per_wafer_usd: 3500\n",
        '    opex_per_wafer_usd: 3500\n    available_from: "2023-02-29"\n',
    )
    files["impossible-date.toml"] = toml.replace('start = "2024-01"', "start = 2024-02-30")
    files["month-13.yaml"] = edit("start: 2024-01", "start: 2024-13")
    files["year-1.yaml"] = edit("start: 2024-01", "start: 0001-01")
    files["series-bad-month.yaml"] = edit(
        "demand: {H100-class: 20000}", "demand: {H100-class: {2024-02-31: 5}}"
    )

    # -- shapes: a list where a name is expected, wrong containers --------------------------
    files["list-as-name.yaml"] = edit("  - name: OpenAI\n", "  - name: [Open, AI]\n")
    files["list-as-name-with-table.yaml"] = edit(
        "  - name: OpenAI\n", "  - name: [Open, AI]\n", with_table("ok.csv")
    )
    files["customers-string-with-table.yaml"] = edit(
        "customers:\n  - " + CUSTOMER, "customers: 'oops'", with_table("ok.csv")
    )
    files["number-as-name.yaml"] = edit("  - name: OpenAI\n", "  - name: 123\n")
    files["int-key-in-demand.yaml"] = edit("demand: {H100-class: 20000}", "demand: {2024: 20000}")
    files["null-section.yaml"] = edit("nodes:\n", "nodes: ~\nnodes_:\n")

    # -- file references ---------------------------------------------------------------------
    files["nul-in-demand-table-path.yaml"] = edit(
        "name: hostile-base\n", 'name: hostile-base\ndemand_table: "tables/ok\\0.csv"\n'
    )
    files["nul-in-operating-curve-path.yaml"] = edit(
        "    opex_per_wafer_usd: 3500\n",
        '    opex_per_wafer_usd: 3500\n    operating_curve: "curve\\0.json"\n',
    )
    files["nul-in-smt2020-path.yaml"] = (
        BASE + 'fab_templates:\n  - {name: t, smt2020: "data\\0set"}\n'
    )
    files["long-path.yaml"] = edit(
        "name: hostile-base\n", f"name: hostile-base\ndemand_table: {'d/' * 2000}x.csv\n"
    )
    files["demand-table-is-directory.yaml"] = with_table("")
    files["demand-table-missing.yaml"] = with_table("nope.csv")
    files["operating-curve-missing.yaml"] = edit(
        "    opex_per_wafer_usd: 3500\n",
        "    opex_per_wafer_usd: 3500\n    operating_curve: no-such-curve.json\n",
    )

    # -- demand tables (each scenario points at one table in tables/) ---------------------
    for table in [*TABLE_FILES, *EXCEL_TABLES]:
        if table not in ("ok.csv", "header-only.csv", "ok.xlsx"):
            files[f"table-{Path(table).stem}.yaml"] = with_table(table)

    # -- odd but valid -------------------------------------------------------------------------
    files["ok-norway.yaml"] = edit("region: US", "region: NO")
    files["ok-anchors-and-merge.yaml"] = edit(
        "products:\n",
        "  - {<<: *utah, name: Utah-2, capacity_wspm: 5000}\nproducts:\n",
        edit(
            "  - kind: existing\n    name: Utah\n",
            "  - &utah\n    kind: existing\n    name: Utah\n",
        ),
    )
    files["ok-unicode-names.yaml"] = BASE.replace("OpenAI", "Öpen AI 🚀").replace(
        "SoftBank", "ソフトバンク"
    )
    files["ok-crlf.yaml"] = BASE.replace("\n", "\r\n")
    files["ok-bom.yaml"] = "\ufeff" + BASE
    files["ok-bom.json"] = "\ufeff" + js
    files["ok-quoted-numbers.yaml"] = edit(
        "asking_price_usd: 900.0e6", 'asking_price_usd: "900.0e6"'
    )
    files["ok-dates-with-days.yaml"] = edit("start: 2024-01", "start: 2024-01-15")
    files["ok-toml-date.toml"] = toml.replace('start = "2024-01"', "start = 2024-01-01")
    files["ok-table.yaml"] = with_table("ok.csv")
    files["ok-table-header-only.yaml"] = with_table("header-only.csv")
    files["ok-table.xlsx.yaml"] = with_table("ok.xlsx")
    files["ok-zero-demand.yaml"] = edit("demand: {H100-class: 20000}", "demand: {H100-class: 0}")
    return files


OK_ROWS = (
    "customer,product,month,units\nOpenAI,H100-class,2024-06,1000\nOpenAI,H100-class,2025-01,3000\n"
)

TABLE_FILES: dict[str, str | bytes] = {
    "ok.csv": OK_ROWS,
    "header-only.csv": "customer,product,month,units\n",
    "units-abc.csv": "customer,product,month,units\nOpenAI,H100-class,2024-01,abc\n",
    "units-negative.csv": "customer,product,month,units\nOpenAI,H100-class,2024-01,-5\n",
    "units-empty.csv": "customer,product,month,units\nOpenAI,H100-class,2024-01,\n",
    "units-inf.csv": "customer,product,month,units\nOpenAI,H100-class,2024-01,inf\n",
    "units-1e400.csv": "customer,product,month,units\nOpenAI,H100-class,2024-01,1e400\n",
    "units-nan.csv": "customer,product,month,units\nOpenAI,H100-class,2024-01,NaN\n",
    "units-true.csv": "customer,product,month,units\nOpenAI,H100-class,2024-01,TRUE\n",
    "product-empty.csv": "customer,product,month,units\nOpenAI,,2024-01,5\n",
    "customer-unknown.csv": "customer,product,month,units\nOpenAl,H100-class,2024-01,5\n",
    "product-unknown.csv": "customer,product,month,units\nOpenAI,H200,2024-01,5\n",
    "month-impossible.csv": "customer,product,month,units\nOpenAI,H100-class,2024-02-30,5\n",
    "month-garbage.csv": "customer,product,month,units\nOpenAI,H100-class,soon,5\n",
    "column-extra.csv": "customer,product,month,units,unit\nOpenAI,H100-class,2024-01,5,1\n",
    "column-missing.csv": "customer,product,month\nOpenAI,H100-class,2024-01\n",
    "row-duplicate.csv": OK_ROWS + "OpenAI,H100-class,2025-01,7\n",
    "row-too-wide.csv": "customer,product,month,units\nOpenAI,H100-class,2024-01,5,extra\n",
    "not-utf8.csv": "customer,product,month,units\nÖpenAI,H100-class,2024-01,5\n".encode("latin-1"),
    "nul-bytes.csv": "customer,product,month,units\nOpen\x00AI,H100-class,2024-01,5\n",
    "empty.csv": "",
    "bad-quote.csv": 'customer,product,month,units\n"OpenAI,H100-class,2024-01,5\n',
    "corrupt.xlsx": b"PK\x03\x04 this is not really a workbook",
}


EXCEL_TABLES = ("ok.xlsx", "units-bool.xlsx", "units-text.xlsx", "month-number.xlsx")


def excel_tables() -> dict[str, bytes]:
    """Workbooks (made with openpyxl): a good one, one with a boolean and one with text units."""
    import io

    import openpyxl

    def book(rows: list[list[object]]) -> bytes:
        wb = openpyxl.Workbook()  # (openpyxl stamps the time of saving: bytes differ per run)
        ws = wb.active
        for row in rows:
            ws.append(row)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    head = ["customer", "product", "month", "units"]
    return {
        "ok.xlsx": book([head, ["OpenAI", "H100-class", "2024-06", 1000]]),
        "units-bool.xlsx": book([head, ["OpenAI", "H100-class", "2024-06", True]]),
        "units-text.xlsx": book([head, ["OpenAI", "H100-class", "2024-06", "lots"]]),
        "month-number.xlsx": book([head, ["OpenAI", "H100-class", 202406, 5]]),
    }


def main() -> None:
    TABLES.mkdir(parents=True, exist_ok=True)
    tables: dict[str, str | bytes] = {**TABLE_FILES, **excel_tables()}
    for name, content in tables.items():
        _write(TABLES / name, content)
    for name, content in scenario_files().items():
        _write(HERE / name, content)
    print(f"wrote {len(scenario_files())} scenario files and {len(tables)} tables to {HERE}")


def _write(path: Path, content: str | bytes) -> None:
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8"))
    else:
        path.write_bytes(content)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
    main()
