"""The monitoring engine: metric filters publish datapoints, per-minute aggregates hold them, alarms evaluate them."""
