"""Fleets: many clusters from one repository and one Argo CD (the hub's).

``load_fleet`` reads and validates a fleet file; ``render_fleet`` renders every cluster's profile into
``clusters/<name>/`` (Applications named after their cluster and targeting it), writes folders that clusters
render alike once under ``shared/``, and adds what the hub's Argo CD needs to drive them.
"""

from __future__ import annotations

from .load import load_fleet
from .model import Cluster, Credentials, Fleet, RolloutStep
from .render import cluster_profile, render_fleet

__all__ = ["Cluster", "Credentials", "Fleet", "RolloutStep", "cluster_profile", "load_fleet", "render_fleet"]
