"""Specialization points: an application's build-time performance choices (upstream format)."""

from xaas_parsl.spec.load import load_spec, spec_from_dict
from xaas_parsl.spec.model import SpecPoints

__all__ = ["SpecPoints", "load_spec", "spec_from_dict"]
