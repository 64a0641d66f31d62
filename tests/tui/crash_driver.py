"""Code sentence after sentence until killed: ``python crash_driver.py PROJECT``.

The crash test runs this in a subprocess and kills it with SIGKILL at some point. It opens
the workbench headless (built as the command line builds it, the coder from
``QUALCODE_CODER``) and, in a loop, presses ``j`` (next sentence) and ``1`` (favourite code 1).
When the app's ``Coded`` message arrives, that is once the coding is committed and drawn, it
prints ``shown <coding id>``: every id printed is a coding the researcher saw and must never
lose. The next keys go in only then, so the loop runs as fast as the app codes.
"""

from __future__ import annotations

import asyncio
import sys

from textual.message import Message

from qualcode.tui.app import Coded, build_app


async def code_until_killed(project: str) -> None:
    coded = asyncio.Event()

    def report(message: Message) -> None:
        if isinstance(message, Coded):
            print(f"shown {message.coding.id}", flush=True)
            coded.set()

    app = build_app(project)
    async with app.run_test(size=(120, 40), message_hook=report) as pilot:
        await pilot.pause()
        while True:
            coded.clear()
            app.simulate_key("j")
            app.simulate_key("1")
            await coded.wait()


if __name__ == "__main__":
    asyncio.run(code_until_killed(sys.argv[1]))
