"""The operator's command line: `splitbook ...`."""
