"""Unit tests of load_raw_events' own arguments (the parsing is fstore_lake's: test_raw_event)."""

import pytest
from load_raw_events import detect_format, parse_args


def test_arguments():
    args = parse_args(["--input", "/x/a.csv"])
    assert args.table == "ecommerce.transactions" and args.rejects_table is None
    with pytest.raises(SystemExit):
        parse_args(["--input", "/x/a.csv", "--table", "drop table x; --"])
    assert detect_format("/x/a.ndjson", None) == "ndjson"
    assert detect_format("/x/a.CSV", None) == "csv"
    assert detect_format("/x/a.txt", "csv") == "csv"
