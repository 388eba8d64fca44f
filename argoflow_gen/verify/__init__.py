"""Proving a fork against a real cluster, read-only: ``verify`` renders the profiles, builds every Application,
checks the cluster's preflight facts and has the API server judge every object with a dry run, in the order
Argo CD would sync them (``plan``). ``format_text``, ``format_markdown`` and ``format_json`` print its report.
"""

from __future__ import annotations

from .kubeconfig import Credentials, load_credentials
from .plan import Item, Plan, Sync, plan
from .report import Counts, Finding, Report, format_json, format_markdown, format_text
from .run import verify

__all__ = [
    "Counts",
    "Credentials",
    "Finding",
    "Item",
    "Plan",
    "Report",
    "Sync",
    "format_json",
    "format_markdown",
    "format_text",
    "load_credentials",
    "plan",
    "verify",
]
