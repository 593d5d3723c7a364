"""The bottom layer: the records that cross stages, the options, the error tree, and the
rules everything shares (billing, codecs, quality flag names, languages). Imports nothing
else of the toolkit."""

#: The toolkit's version (also in pyproject.toml).
__version__ = "0.1.0"
