"""The core: canonical keys, settings, agency levels, media types and text heuristics. No I/O but reading settings."""
