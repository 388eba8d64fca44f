"""Built-in presets, reachable as preset:NAME."""
