"""SEEI's benchmark suite: ``make bench`` (``python bench/run.py``). See bench/README.md."""
