"""A real SMTP server for the notice tests (aiosmtpd), run as its own process: aiosmtpd runs on
asyncio, which the test process's eventlet monkey-patching breaks.

    python -m tests.support.smtp_capture PORT OUT.jsonl [--tls CERT KEY] [--auth USER:PASSWORD]
                                         [--fail N] [--refuse-recipients]

Each message received is written to OUT as one JSON line: envelope, data, whether the session was
encrypted (STARTTLS) and who logged in. `--fail N` answers 451 to the first N messages;
`--refuse-recipients` refuses every recipient the way Postfix does, quoting the address (`550 5.1.1
<a@b>: Recipient address rejected`)."""

import json
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def _login(session):
    data = getattr(session, "auth_data", None)
    login = getattr(data, "login", None)
    return login.decode() if session.authenticated and isinstance(login, bytes) else None


def main(argv):
    port, out = int(argv[0]), argv[1]
    options = {}
    args = argv[2:]
    tls = auth = None
    fail = 0
    refuse = False
    while args:
        flag = args.pop(0)
        if flag == "--tls":
            tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            tls.load_cert_chain(args.pop(0), args.pop(0))
        elif flag == "--auth":
            auth = args.pop(0).split(":", 1)
        elif flag == "--fail":
            fail = int(args.pop(0))
        elif flag == "--refuse-recipients":
            refuse = True
    seen = {"count": 0}

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if refuse:
                return (
                    f"550 5.1.1 <{address}>: Recipient address "
                    "rejected: User unknown in local recipient table"
                )
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            seen["count"] += 1
            if seen["count"] <= fail:
                return "451 4.3.0 try again later"
            with open(out, "a", encoding="utf-8") as file:
                file.write(
                    json.dumps(
                        {
                            "mail_from": envelope.mail_from,
                            "rcpt_tos": envelope.rcpt_tos,
                            "data": envelope.content.decode("utf-8"),
                            "tls": session.ssl is not None,
                            "login": _login(session),
                        }
                    )
                    + "\n"
                )
            return "250 OK"

    def authenticator(server, session, envelope, mechanism, data):
        ok = (
            auth is not None
            and data.login.decode() == auth[0]
            and data.password.decode() == auth[1]
        )
        return AuthResult(success=ok, handled=False, auth_data=data)

    if tls is not None:
        options.update(tls_context=tls)
    if auth is not None:
        options.update(authenticator=authenticator, auth_require_tls=True)
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, server_hostname="localhost", **options
    )
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
