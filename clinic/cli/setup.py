"""`init`: create or migrate the store; `--demo` fills it and prints one-time passwords."""

from __future__ import annotations

import argparse

from clinic import auth, config, demo
from clinic.cli.output import OK
from clinic.store import Store


def init(args: argparse.Namespace, store: Store) -> int:
    """Create or migrate the store; --demo fills it with synthetic data."""
    config.pseudonym_key(store.path)
    accounts: dict[str, str] = {}
    if args.demo:
        print(demo.fill(store, seed=args.seed))
        accounts = auth.demo_accounts(store)
    print(f"Store ready: {store.path} (schema version {store.schema_version()})")
    if accounts:
        # Shown once (only the Argon2 hashes are kept; there are no default passwords), so they
        # come last, framed, where `make run` leaves them above the server's few lines.
        rule = "=" * 78
        print(f"\n{rule}\n  Demo accounts: one-time passwords, shown only now. Note them.\n")
        for name, password in accounts.items():
            print(f"    {name:<10} {password}")
        db = "" if store.path.resolve() == config.DEFAULT_DB.resolve() else f" --db {store.path}"
        print(
            "\n  Lost one? Run (in another terminal while the dashboard serves)\n"
            f"    .venv/bin/python -m clinic users reset-password NAME{db}\n"
            f"  and type a new password.\n{rule}"
        )
    return OK
