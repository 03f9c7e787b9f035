"""Benchmarks of the VEGAN Cookbook: scripts that time things and print markdown tables.

Run each as a module from the repository root, e.g. ``python -m benchmarks.trainer``;
see ``benchmarks/README.md``. They are not part of ``make test`` and not in the book.
"""
