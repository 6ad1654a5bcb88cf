"""The parts of a GenBank flat file the panel build and the oracle's test documents read: the
record's accession.version, organism and taxon id, and its feature table.

    version, organism, taxid, features = read_record(Path("NC_000962.3.gbk.gz"))
    # features: [(kind, location, [(qualifier, value), ...]), ...] in file order
"""

import gzip
import re
from pathlib import Path

# A feature's first line: five spaces, then its kind (a qualifier line has 21 spaces).
FEATURE_LINE = re.compile(r"^     \S")


def qualifier_values(lines: list) -> list:
    """(name, value) of each qualifier; a value continued over several lines is joined with a
    space, as GenBank wraps free text."""
    values = []
    for line in lines:
        text = line.strip()
        if text.startswith("/"):
            name, _, value = text[1:].partition("=")
            values.append([name, value])
        elif values:
            values[-1][1] += " " + text
    return [(name, value.strip('"')) for name, value in values]


def read_features(lines: list) -> list:
    """(kind, location, qualifiers) of every feature of the FEATURES table: a feature's
    qualifiers run until the next feature, however many lines they take."""
    features, inside = [], False
    for line in lines:
        if line.startswith("FEATURES"):
            inside = True
        elif inside and not line.startswith(" "):
            break
        elif inside and FEATURE_LINE.match(line):
            kind, location = line.split(None, 1)
            features.append((kind, location.strip(), []))
        elif inside and features:
            features[-1][2].append(line)
    return [(kind, location, qualifier_values(q)) for kind, location, q in features]


def read_record(path: Path):
    """The record's accession.version, organism, taxon id and features, from a gzipped file."""
    with gzip.open(path, "rt") as f:
        lines = f.read().split("\n")
    version = next(line.split()[1] for line in lines if line.startswith("VERSION "))
    organism = next(line[12:].strip() for line in lines if line.startswith("  ORGANISM "))
    features = read_features(lines)
    source = next(q for kind, _, q in features if kind == "source")
    taxid = next(int(v.split(":", 1)[1]) for n, v in source if n == "db_xref" and v.startswith("taxon:"))
    return version, organism, taxid, features


def qualifier(qualifiers: list, name: str, default: str = "") -> str:
    """The first value of qualifier `name`."""
    return next((value for n, value in qualifiers if n == name), default)
