"""Governance: the maturity assessment (:mod:`.maturity`) and cost allocation (:mod:`.cost`)."""
