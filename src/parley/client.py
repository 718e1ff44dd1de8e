"""What the client commands share (``parley ops``, ``parley person``, … and every command a capability
adds): the server's address and the member's API token as options, calling the server's HTTP API with
them, reading a JSON file, and telling the member where their record landed. The server signs with the
key it holds for the member; ``parley record submit`` signs with the member's own key."""

from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    import httpx

console = Console(stderr=True)
out = Console()

Url = Annotated[str, typer.Option(envvar="PARLEY_URL", help="The Parley server")]
Token = Annotated[str, typer.Option(envvar="PARLEY_TOKEN", help="Your API token")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the server's JSON")]

# A refusal in the reader's language from what the API answered (``error``, ``code``, ``params``, ``message``,
# ``field``), or None for the English the API gave. The command line sets it (``parley.cli``: the pages'
# catalogue, in the language of the locale); this module, in the shared base, knows no catalogue.
translate: Callable[[dict[str, Any]], str | None] | None = None


@functools.cache
def tls() -> ssl.SSLContext:
    """The TLS settings of every client this process makes (httpx's defaults), built once: building them reads
    the certificate bundle, tens of milliseconds each time (processes forked later inherit them)."""
    import httpx

    return httpx.create_ssl_context()


def http_client(url: str, token: str | None = None, timeout: float = 60) -> httpx.Client:
    """A client of the server at ``url``, as ``token``'s member if given."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else None
    return httpx.Client(base_url=url, headers=headers, timeout=timeout, verify=tls())


def call(url: str, token: str, method: str, path: str, body: Any = None) -> Any:
    """The server's JSON answer; a refusal is printed with its field and ends the command (exit 1), as
    does a server out of reach or a missing token (exit 2)."""
    import httpx

    if not token:
        console.print("[red]an API token is required (--token or PARLEY_TOKEN)[/red]")
        raise typer.Exit(2)
    try:
        with http_client(url, token) as c:
            r = c.request(method, path, json=body)
    except httpx.HTTPError as exc:
        console.print(f"[red]cannot reach {url}: {exc}[/red]")
        raise typer.Exit(2) from None
    if r.status_code >= 400:
        refused(r.status_code, r.text)
        raise typer.Exit(1)
    return r.json()


def refused(status: int, text: str) -> None:
    """Print the refusal the server answered: its field and its message in the reader's language (``translate``),
    else the server's English; a body that is not a refusal is printed as it came."""
    try:
        err = json.loads(text)
    except ValueError:
        err = None
    if not isinstance(err, dict) or "message" not in err:
        console.print(f"{status}: {text}", style="red", markup=False)
        return
    field = f" [{err['field']}]" if err.get("field") else ""
    shown = translate(err) if translate is not None else None
    console.print(f"refused ({status}){field}: {shown or err['message']}", style="red", markup=False)


def load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        console.print(f"[red]{path}: {exc}[/red]")
        raise typer.Exit(2) from None


def receipt(r: dict[str, Any], what: str = "") -> None:
    extra = f" {what}" if what else ""
    out.print(f"recorded{extra} at log index {r['index']}{' (already recorded)' if r.get('duplicate') else ''}")
