"""The posting consumer: the only writer of the journal."""
