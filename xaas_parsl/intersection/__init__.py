"""Feature intersection: what an application supports ∩ what a node offers, then a choice."""

from xaas_parsl.intersection.intersect import intersect
from xaas_parsl.intersection.policy import Policy, load_policy, policy_from_dict
from xaas_parsl.intersection.result import Choice, Intersection

__all__ = ["Choice", "Intersection", "Policy", "intersect", "load_policy", "policy_from_dict"]
