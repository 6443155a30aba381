"""Platform governance controls (Strata's conventions by default), each configurable per stack."""
