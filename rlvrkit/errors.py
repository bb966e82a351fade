"""The three ways a command can fail, each with its own exit code.

- `BadInput` (exit 2): the user's usage or data is wrong (a bad line, an input file that cannot be read, options that
  cannot go together); the message names the source and line, the path, or the options.
- `InvalidRecord`: raised by a record check with the problem only; the reader adds the location and turns it into
  `BadInput` (or skips the line under `--on-error skip`).
- `Failure` (exit 1): the environment failed at run time in a way the user can act on: a missing model folder, an
  output that cannot be written (``cannot write out.jsonl: No space left on device``, a folder, no permission).

Each is reported as one line; a traceback means a bug.
"""


class BadInput(Exception):
    """Input or usage the user must fix. ``str()`` reads like ``stdin:17: not valid JSON: …`` or names the options;
    commands exit with status 2."""


class InvalidRecord(ValueError):
    """A record that parsed as JSON but breaks the record contract; the message says what is wrong, not where."""


class Failure(Exception):
    """A run-time failure explained in one message, naming what failed and why; commands exit with status 1."""
