"""netra: labelled, structured data from Indonesian news about civil servants (ASN) and elections."""

__version__ = "0.1.0"
