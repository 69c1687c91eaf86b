"""The audit: the CIS monitoring controls of a real AWS account, checked link by link and by meaning.

Data flows one way: an inventory of the account (``trailguard.aws``) → candidate chains trail → log group →
metric filter → alarm → topic → subscription (``chains``) → the meaning of each filter pattern against the
control's reference (``meaning``) → a simulation of the alarm on the events the control requires (``firing``)
→ one finding per control and region, as the JSON document described in docs/audit-document.md.
"""
