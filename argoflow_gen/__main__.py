"""``python -m argoflow_gen``."""

from .cli import main

main()
