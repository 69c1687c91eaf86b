"""Catalogs of ready-made monitors; today the CIS AWS Foundations Benchmark monitoring controls.

from trailguard.catalog import resolve, cis_controls

monitors = resolve("4.6")                                   # v7.0.0 (default), canonical id
monitors = resolve("3.6", "1.2.0")                          # the same control, v1.2.0 numbering
monitors = resolve("all", "6.0.0", topic_name="sec-alerts", account_id="111122223333")
for control in cis_controls("1.4.0"):
    print(control.id, control.native_id, control.level, control.pattern)
"""

from trailguard.catalog.cis import (
    CIS_NAMESPACE,
    CIS_VERSIONS,
    DEFAULT_CIS_TOPIC_NAME,
    DEFAULT_CIS_VERSION,
    CatalogError,
    CisControl,
    PatternVariant,
    cis_configuration,
    cis_control,
    cis_controls,
    normalize_version,
    resolve,
    resolve_controls,
)

__all__ = [
    "CIS_NAMESPACE",
    "CIS_VERSIONS",
    "DEFAULT_CIS_TOPIC_NAME",
    "DEFAULT_CIS_VERSION",
    "CatalogError",
    "CisControl",
    "PatternVariant",
    "cis_configuration",
    "cis_control",
    "cis_controls",
    "normalize_version",
    "resolve",
    "resolve_controls",
]
