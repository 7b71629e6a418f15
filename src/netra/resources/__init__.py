"""Data files of the rule baseline (see README.md here) and the script that builds regions.tsv."""
