"""``edittrail keygen`` and ``edittrail verify``: make a signing key, check a signed package.

``edittrail export --sign KEYFILE`` (archive/cli/research.py) does the signing. Neither command
reads the config: a package is checked with nothing but itself.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from archive.cli.context import fail_cleanly


@click.command()
@click.argument("keyfile", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--algorithm",
    type=click.Choice(["ed25519", "ecdsa-p384"]),
    default="ed25519",
    show_default=True,
    help="ecdsa-p384: the only kind ReplayWeb.page can check; edittrail verify checks both.",
)
@fail_cleanly
def keygen(keyfile: Path, algorithm: str) -> None:
    """Write a new private signing key to KEYFILE (mode 0600, never over a file) and print its public key.

    Keep KEYFILE private and publish the public key (or its key id) where readers of your
    packages can find it: a signature shows which key signed, not whose it is.

    Example: edittrail keygen ~/.config/edittrail/signing.pem
    """
    from archive.evidence.keys import KeyFileError, generate_key

    try:
        key = generate_key(keyfile, "ecdsa-p384" if algorithm == "ecdsa-p384" else "ed25519")
    except KeyFileError as exc:
        raise click.BadParameter(str(exc), param_hint="KEYFILE") from None
    click.echo(f"wrote {key.algorithm} private key {keyfile} (keep it private; it never goes into a package)")
    click.echo(f"public key: {key.public_key}")
    click.echo(f"key id:     {key.key_id}")
    click.echo(f"sign with:  edittrail export --sign {keyfile} ...")


@click.command()
@click.argument("package", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--expect-key",
    default=None,
    metavar="KEY",
    help="The public key (base64, as keygen prints it) or key id the signature must be made with.",
)
@fail_cleanly
def verify(package: Path, expect_key: str | None) -> None:
    """Check a WACZ evidence package: signature, datapackage.json manifest, every WARC record's digest.

    PACKAGE is a .wacz file or the directory `edittrail export` wrote; for a directory, every
    file in it is also checked against manifest-sha256.txt (which is not signed). Prints each
    file or record that does not match, then what the checks prove and what they do not. Exit code 0:
    signed and intact; 1: something does not match (or cannot be read); 3: intact but unsigned
    (or signed in a form edittrail does not check).

    Example: edittrail verify evidence/demo.wacz --expect-key 3f9a0c12d4e5b6a7
    """
    from archive.evidence.verify import explain, verify_package

    verdict = verify_package(package, expected_key=expect_key)
    signature = {
        "valid": f"signed by key {verdict.key_id}",
        "invalid": "signature INVALID",
        "unsigned": "unsigned",
        "unchecked": "signature not checked",
    }[verdict.signature]
    click.echo(f"{verdict.package}: {signature}, created {verdict.created or 'unknown'}")
    for problem in verdict.problems:
        click.echo(f"FAIL {problem.where}: {problem.what}", err=True)
    for line in explain(verdict):
        click.echo(line)
    sys.exit(verdict.exit_code)
