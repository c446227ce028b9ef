"""A scenario's fab template as a simulator model.

A scenario lists the fabs it wants simulated under ``fab_templates``
(:class:`fabnet.scenario.fab_template.FabTemplate`): an SMT2020 dataset folder or a small fab
written inline. ``fabnet fab simulate|curve --scenario FILE --template NAME`` runs one.
"""

from __future__ import annotations

from fabnet.fab.inline import build_fab
from fabnet.fab.model import FabModel
from fabnet.fab.smt2020 import load_smt2020
from fabnet.scenario.fab_template import FabTemplate

__all__ = ["model_from_template"]


def model_from_template(template: FabTemplate) -> FabModel:
    """The :class:`FabModel` of a template (an SMT2020 dataset, or the inline fab)."""
    if template.smt2020 is not None:
        return load_smt2020(template.smt2020)
    assert template.fab is not None  # the template's validator requires exactly one source
    spec = template.fab.model_dump()
    spec["name"] = template.name
    return build_fab(spec, source=f"fab template {template.name!r}")
