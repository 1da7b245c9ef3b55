"""What a step sends to its database: for the tests that check how many
queries it costs, and when."""

from sqlalchemy import event


def statements_during(database, action):
    """Every statement `action()` sends (whitespace folded), with "COMMIT" where a transaction
    committed, in order; and its answer."""
    sent = []

    def statement(_conn, _cursor, text, *_rest):
        sent.append(" ".join(text.split()))

    def commit(_conn):
        sent.append("COMMIT")

    event.listen(database.engine, "before_cursor_execute", statement)
    event.listen(database.engine, "commit", commit)
    try:
        answer = action()
    finally:
        event.remove(database.engine, "before_cursor_execute", statement)
        event.remove(database.engine, "commit", commit)
    return sent, answer


def selects_from(database, table, action):
    """The SELECTs of `table` that `action()` sends, and its answer."""
    sent, answer = statements_during(database, action)
    return [s for s in sent if s.startswith("SELECT") and f"FROM {table} " in f"{s} "], answer
