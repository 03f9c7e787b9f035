"""vegan_lib: the library behind the VEGAN Cookbook."""

__version__ = "0.1.0"
