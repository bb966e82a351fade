"""The three ways a command can fail, each with its own exit code.

- `BadInput` (exit 2): the data the user fed in is wrong; the message names the source and line.
- `InvalidRecord`: raised by a record check with the problem only; the reader adds the location and turns it into
  `BadInput` (or skips the line under `--on-error skip`).
- `Failure` (exit 1): something went wrong at run time that the user can act on (a missing model folder, a full disk).
"""


class BadInput(Exception):
    """Input the user must fix. ``str()`` reads like ``stdin:17: not valid JSON: …``; commands exit with status 2."""


class InvalidRecord(ValueError):
    """A record that parsed as JSON but breaks the record contract; the message says what is wrong, not where."""


class Failure(Exception):
    """A run-time failure explained in one message; commands exit with status 1."""
