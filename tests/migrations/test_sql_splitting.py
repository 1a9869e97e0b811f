"""Statement boundaries the way PostgreSQL sees them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from warp_repo.migrations import split_statements
from warp_repo.migrations._sqltext import code_only


def texts(sql: str) -> list[str]:
    return [s.text for s in split_statements(sql)]


def test_plain_statements_split_on_semicolons() -> None:
    assert texts("SELECT 1;\nSELECT 2;  SELECT 3") == ["SELECT 1", "SELECT 2", "SELECT 3"]


def test_semicolons_inside_quotes_and_comments_do_not_split() -> None:
    sql = """
    INSERT INTO t VALUES ('a;b', 'it''s;', E'\\';x', "odd;name");
    -- a comment; with a semicolon
    /* block; /* nested; */ still comment; */ SELECT 2;
    """
    assert texts(sql) == [
        "INSERT INTO t VALUES ('a;b', 'it''s;', E'\\';x', \"odd;name\")",
        "SELECT 2",
    ]


def test_dollar_quoted_bodies_do_not_split() -> None:
    sql = "DO $$ BEGIN PERFORM 1; END $$;\nCREATE FUNCTION g() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql;"
    assert texts(sql) == [
        "DO $$ BEGIN PERFORM 1; END $$",
        "CREATE FUNCTION g() RETURNS int AS $fn$ SELECT 1; $fn$ LANGUAGE sql",
    ]


def test_a_dollar_tag_only_closes_with_the_same_tag() -> None:
    sql = "SELECT $a$ $b$ ; $b$ $a$; SELECT $1;"
    assert texts(sql) == ["SELECT $a$ $b$ ; $b$ $a$", "SELECT $1"]


def test_sql_standard_routine_bodies_do_not_split() -> None:
    sql = """
CREATE OR REPLACE FUNCTION h(x int) RETURNS int LANGUAGE sql
BEGIN ATOMIC
    SELECT CASE WHEN x > 0 THEN 1 ELSE 0 END;
    SELECT x;
END;
SELECT 'after';
"""
    result = texts(sql)
    assert len(result) == 2
    assert result[0].endswith("SELECT x;\nEND")
    assert result[1] == "SELECT 'after'"


def test_parentheses_hold_semicolons() -> None:
    assert texts("CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);SELECT 3;") == [
        "CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2)",
        "SELECT 3",
    ]


def test_only_comments_and_empty_statements_give_nothing() -> None:
    assert texts("-- nothing here;\n/* nor; here */ ;;\n") == []


def test_lines_count_from_the_given_first_line() -> None:
    statements = split_statements("\n-- note\nSELECT 1;\n\n  SELECT\n 2;", first_line=10)
    assert [(s.text, s.line) for s in statements] == [("SELECT 1", 12), ("SELECT\n 2", 14)]


def test_keywords_skip_comments() -> None:
    (statement,) = split_statements("/* x */ create -- y\n unique index i on t (a)")
    assert statement.keywords == ("CREATE", "UNIQUE", "INDEX", "I")


def test_code_only_blanks_strings_and_drops_comments() -> None:
    assert code_only("SELECT 'CREATE INDEX' -- CREATE INDEX\n, $$x$$ /* y */ FROM t") == "SELECT '' , '' FROM t"


# Pieces that may sit inside one statement: each holds semicolons only where they must not split.
_PIECES = [
    "SELECT 1",
    "'a;b'",
    "'it''s; fine'",
    "E'\\';'",
    '"semi;colon"',
    "$$ BEGIN; END; $$",
    "$tag$ ; $$ ; $tag$",
    "/* ; /* ; */ ; */",
    "(SELECT 2; SELECT 3)",
    "-- trailing; comment\n",
]
_COMMENTS = {"/* ; /* ; */ ; */", "-- trailing; comment\n"}


@given(st.lists(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=5), min_size=1, max_size=6))
def test_pieces_joined_by_semicolons_split_back_into_the_same_statements(statements: list[list[str]]) -> None:
    written = ["x " + " ".join(pieces) for pieces in statements]
    sql = ";\n".join(written) + ";"
    # A statement's text ends at its last token: comments after it are not part of it.
    expected = []
    for pieces in statements:
        while pieces and pieces[-1] in _COMMENTS:
            pieces = pieces[:-1]
        expected.append(("x " + " ".join(pieces)).rstrip())
    assert [s.text for s in split_statements(sql)] == expected
