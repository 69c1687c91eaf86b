"""trailguard: CloudWatch Logs metric filters, metrics and alarms over CloudTrail, with AWS's semantics."""

__version__ = "0.1.0"
