"""Coverage-guided fuzzing of the all-features app with atheris (optional: ``pip install atheris``; not run in CI).

    python tests/reliability/atheris_fuzz.py -max_total_time=300

Each input is split into a method, a path, a query string, headers and a body, sent over raw ASGI. The checks are
the hypothesis suite's (``test_fuzz.check``): no 5xx, no unhandled exception logged, no traceback, every 4xx says
why; a failed check is a crash, whose input libFuzzer saves. Panther's modules are instrumented, so inputs that reach
new code are kept and mutated further.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).parent))

with atheris.instrument_imports(include=["panther"]):
    from everything import create_app
    from harness import Driver, ErrorLog
    from test_fuzz import METHODS, PATHS, check


def main() -> None:
    error_log = ErrorLog()
    logging.getLogger().addHandler(error_log)
    logging.getLogger("panther").addHandler(error_log)
    driver = Driver(create_app(tempfile.mkdtemp(prefix="panther-atheris-")))

    def one_input(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        method = METHODS[fdp.ConsumeIntInRange(0, len(METHODS) - 1)]
        path = PATHS[fdp.ConsumeIntInRange(0, len(PATHS) - 1)] + fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 40))
        query = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 60))
        headers = [
            (fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 20)).lower(), fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 80)))
            for _ in range(fdp.ConsumeIntInRange(0, 6))
        ]
        body = fdp.ConsumeBytes(fdp.remaining_bytes())
        check(driver.http(method, path, query, headers, body), error_log, method)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()  # libFuzzer prints the number of runs ("Done N runs") when it stops


if __name__ == "__main__":
    main()
