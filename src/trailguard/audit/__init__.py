"""``trailguard audit``: the CIS monitoring controls of a real AWS account, checked by meaning."""
