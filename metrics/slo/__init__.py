"""SLOs, error budgets and the deploy gate. The stable entry points for other
modules are re-exported here: ``slo_status``, ``slo_statuses``, ``gate`` and the
``ErrorBudget`` and ``GateDecision`` results."""

from .budget import ErrorBudget
from .gate import GateDecision, gate
from .status import slo_status, slo_statuses

__all__ = ["ErrorBudget", "GateDecision", "gate", "slo_status", "slo_statuses"]
