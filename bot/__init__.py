"""claimbot: a chatbot for the regionPAY paper-coupon outage of 2023-02-24 (Nara)."""

__version__ = "0.1.0"
