"""The ``trailguard`` command line."""
