"""`nianbao digest`: build each recipient's digest and deliver it (SMTP, else the outbox)."""

from __future__ import annotations

import argparse
from datetime import date

from nianbao.cli import EXIT_OK, EXIT_PROBLEMS
from nianbao.commands.context import open_app
from core.settings import Settings


def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.digest import build_digests, deliver_digests, due_recipients
    from monitor.digest.outbox import resend_uncertain, uncertain_count

    app = open_app(settings)
    if getattr(args, "resend_uncertain", False):
        print(f"{resend_uncertain(app.db)} message(s) of uncertain delivery (e-mails, group-chat cards) put back to be sent")
    as_of = args.as_of or date.today()
    if not settings.recipients:
        print("no recipients configured (settings: recipients): nothing to send")
        return EXIT_OK
    recipients = due_recipients(app.db, settings) if args.due else None
    if recipients == []:
        # Still deliver what an earlier run could not send.
        print("no recipient is due yet (each recipient's frequency): no new digest")
        digests = []
    else:
        digests = build_digests(app.db, settings, as_of, recipients=recipients)
    result = deliver_digests(app.db, settings, digests, dry_run=args.dry_run)
    if args.dry_run:
        for d in digests:
            print(d.text)
        return EXIT_OK
    print(
        "digests: {} sent, {} written to the outbox, {} pending retry, {} unchanged (not written again)".format(
            result.get("sent", 0), result.get("written", 0), result.get("pending", 0), result.get("skipped", 0)
        )
    )
    for kind, c in sorted(result.get("chat", {}).items()):
        print(
            f"group chat {kind}: {c['sent']} card(s) sent, {c['failed'] - c['uncertain']} failed, "
            f"{c['uncertain']} uncertain, {c['pending']} pending retry"
        )
    uncertain = uncertain_count(app.db)
    if uncertain:
        print(f"{uncertain} message(s) of uncertain delivery (the mail server or chat robot may have them): not resent; "
              "`nianbao digest --resend-uncertain` sends them again")
    print(f"outbox: {settings.outbox_dir}")
    return EXIT_PROBLEMS if result.get("pending") else EXIT_OK
