"""The ``secondround`` command: what an operator types.

secondround validate FILE     check a round file; lists every problem, sends nothing
"""

from __future__ import annotations

import argparse
import sys

from config.errors import RoundFileError
from config.loading import load_round


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="secondround", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check a hiring-round file")
    validate.add_argument("file")
    args = parser.parse_args(argv)
    if args.command == "validate":
        try:
            round_ = load_round(args.file)
        except RoundFileError as exc:
            sys.stderr.write(f"{exc}\n")
            return 1
        shortlisted = sum(1 for c in round_.candidates if c.waitlist_rank is None)
        sys.stdout.write(
            f"{args.file}: round {round_.id} is valid: {shortlisted} candidates to call, "
            f"{len(round_.candidates) - shortlisted} waitlisted\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
