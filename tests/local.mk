# tests: fragment of the top-level Makefile.am
include tests/cli.mk
