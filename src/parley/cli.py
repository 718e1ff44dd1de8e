"""The ``parley`` command line: set up a deployment, run the server or the demo, write records with
your own key, and audit or replay the log; each capability's commands are added by
``parley.assembly.register_commands``."""

from __future__ import annotations

import json
import os
import secrets
import socket
from pathlib import Path
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress

from parley import client as api_client

if TYPE_CHECKING:
    from parley.settings import Settings

app = typer.Typer(help="Parley: the shared, verifiable record of humanitarian agreements.", no_args_is_help=True)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
log_app = typer.Typer(help="The transparency log: audit and replay.", no_args_is_help=True)
record_app = typer.Typer(help="Write records signed with your own key.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(log_app, name="log")
app.add_typer(record_app, name="record")
console = Console(stderr=True)
out = Console()


def _settings(**overrides: Any):  # type: ignore[no-untyped-def]
    from pydantic import ValidationError

    from parley.settings import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        for e in exc.errors():
            console.print(f"[red]setting {'.'.join(map(str, e['loc']))}: {e['msg']}[/red]")
        raise typer.Exit(2) from None


def _data_overrides(data: Path | None) -> dict[str, Any]:
    if data is None:
        return {}
    return {"data_dir": data, "database_url": f"sqlite:///{(data / 'parley.db').resolve()}"}


@db_app.command("upgrade")
def db_upgrade(data: Annotated[Path | None, typer.Option(help="Data directory (SQLite)")] = None) -> None:
    """Apply the Alembic migrations to the configured database."""
    from parley.db import make_engine, migrate

    settings = _settings(**_data_overrides(data))
    migrate(make_engine(settings.database_url))
    console.print("schema is up to date")


@app.command()
def init(data: Annotated[Path | None, typer.Option(help="Data directory (SQLite)")] = None,
         party: Annotated[str, typer.Option(help="Short name of the operating party")] = "",
         party_kind: Annotated[str, typer.Option(help="belligerent, mediator or observer")] = "mediator",
         name_en: Annotated[str, typer.Option(help="The party's name in English")] = "",
         name_uk: Annotated[str, typer.Option(help="… in Ukrainian")] = "",
         name_ru: Annotated[str, typer.Option(help="… in Russian")] = "",
         admin: Annotated[str, typer.Option(help="Short name of the first admin")] = "admin",
         admin_name: Annotated[str, typer.Option(help="The first admin's full name")] = "") -> None:
    """Create the schema and the log's key; with --party, also the first record: the operating party
    and its first admin, whose password and API token are printed once."""
    from parley.assembly import open_runtime
    from parley.db import make_engine, migrate, private_dir
    from parley.errors import ParleyError
    from parley.log.models import LogHead
    from parley.log.state import StateError
    from parley.logserver.bootstrap import bootstrap
    from parley.runtime import create_log_key, create_log_state

    settings = _settings(**_data_overrides(data))
    private_dir(settings.data_dir, narrow=True)
    engine = make_engine(settings.database_url)
    migrate(engine)
    signer = create_log_key(settings)
    out.print(f"log key: {signer.vkey()}", highlight=False)
    try:
        released = create_log_state(settings, engine)
    except StateError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    out.print(f"log state: {settings.data_dir / 'log.state'} (released size {released.size})", highlight=False)
    if not party:
        return
    rt = open_runtime(settings, engine=engine)
    try:
        with rt.sessions() as s:
            if s.get(LogHead, 1).size:  # type: ignore[union-attr]
                console.print("[red]the log is not empty: this deployment was already started[/red]")
                raise typer.Exit(1)
        first = bootstrap(rt, party=party, party_kind=party_kind, admin=admin, display_name=admin_name or admin,
                          names={"en": name_en or party, "uk": name_uk or name_en or party,
                                 "ru": name_ru or name_en or party})
    except ParleyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    finally:
        rt.close()
    out.print(f"first admin: {first.member}\npassword: {first.password}\nAPI token: {first.token}\n"
              "(shown once; keep them safe)", highlight=False)


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000,
          data: Annotated[Path | None, typer.Option(help="Data directory (SQLite)")] = None) -> None:
    """Run the Parley server with the settings from the environment (PARLEY_*). It first checks its
    database against the log's state file and runs the log's self-check, and refuses to start if either fails."""

    from parley.app import create_app
    from parley.assembly import open_runtime
    from parley.serving import server_options

    settings = _settings(**_data_overrides(data))
    try:
        rt = open_runtime(settings)
    except RuntimeError as exc:  # no schema, no key, no state file, or a database behind the state file
        console.print(f"[red]refusing to start: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    try:
        if settings.self_check_on_start and rt.integrity is not None:
            with console.status("checking the log…"):
                report = rt.integrity.run_once()
            if not report.ok:
                console.print(f"[red]refusing to start: {report.summary}[/red]", highlight=False)
                for why in report.problems[1:10]:
                    console.print(f"[red]  {why}[/red]", highlight=False)
                raise typer.Exit(1)
            console.print(report.summary, highlight=False)
        # Checked above: the app's start-up need not check again.
        app_settings = settings.model_copy(update={"self_check_on_start": False})
        run_server(create_app(app_settings, rt), host=host, port=port, log_level="info", access_log=False,
                   **server_options(settings), **proxy_options(settings))
    finally:  # on SIGTERM and Ctrl-C too (run_server): the engine closed, the WAL emptied
        rt.close()


def run_server(app: Any, **options: Any) -> None:
    """``uvicorn.run``, ending the same way after SIGTERM as after Ctrl-C. uvicorn shuts the server down on
    either, then raises the signal again once its own handlers are gone: SIGTERM's default action would end
    the process there, before the caller's ``finally`` closes the runtime (its engine, the SQLite WAL), and
    SIGINT's (asyncio's, since uvicorn 0.55) a KeyboardInterrupt inside the loop, printed as a traceback.
    Both become SystemExit(0) here."""
    import copy
    import signal

    import uvicorn
    import uvicorn.config

    def terminated(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    # The access log (``asgi.AccessLog``) beside uvicorn's own messages, whatever their level.
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["loggers"]["parley.access"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    options.setdefault("log_config", config)
    previous = {sig: signal.signal(sig, terminated) for sig in (signal.SIGTERM, signal.SIGINT)}
    # This process serves one application: once it has started, what start-up built is frozen out of the
    # garbage collector's sight (``app._lifespan``).
    app.state.freeze_after_start = True
    try:
        uvicorn.run(app, **options)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn believes X-Forwarded-For/-Proto only from PARLEY_TRUSTED_PROXIES; by default from nobody
    (uvicorn's own default trusts 127.0.0.1, which lets a local client pick its address for the limits)."""
    proxies = settings.trusted_proxy_list
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies)}


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _secret(path: Path) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    from parley.db import create_private

    create_private(path, value + "\n")
    return value


@app.command()
def demo(host: str = "127.0.0.1", port: int = 8000,
         data: Annotated[Path, typer.Option(help="Data directory; created if missing")] = Path("parley-demo"),
         witnesses: Annotated[bool, typer.Option(help="Run one witness per party, each its own process")] = True,
         mirror: Annotated[bool, typer.Option(help="Run a mirror of the log, its own process")] = True,
         exit_after_load: Annotated[bool, typer.Option(hidden=True)] = False) -> None:
    """Run the demo: SQLite in DATA, the demo scenario loaded, the witnesses and a mirror (each its own
    process, stopped with the demo), and the server on HOST:PORT."""

    from parley.app import create_app
    from parley.assembly import open_runtime
    from parley.db import make_engine, migrate, private_dir
    from parley.demo import load_demo
    from parley.demo_witnesses import DemoProcesses, spawn_mirror, spawn_witnesses
    from parley.runtime import create_log_key, create_log_state
    from parley.serving import server_options

    private_dir(data, narrow=True)
    origin = "demo.parley.local/log"
    # The mirror reads the log as the ICRC's auditor (payload bundles: PARLEY_MIRROR_MEMBERS).
    base = dict(_data_overrides(data), secret_key=_secret(data / "secret.key"), log_origin=origin,
                cookie_secure=False, mirror_members="icrc/auditor" if mirror else "")
    settings = _settings(**base)
    engine = make_engine(settings.database_url)
    migrate(engine)
    log_signer = create_log_key(settings)
    create_log_state(settings, engine)
    creds = data / "demo-credentials.json"
    # A new demo: the witnesses start while the scenario loads. Run again: after this process's own start-up,
    # which they would slow down (two cores, four Python processes importing at once).
    procs = DemoProcesses(data / "processes", hold=creds.exists())
    rt = None
    try:
        if witnesses:
            # Started now: they come up while the scenario loads.
            policy = spawn_witnesses(procs, data / "witnesses", host, origin, log_signer.vkey(),
                                     ["ua", "ru", "icrc"], _free_port)
            settings = _settings(**base, witness_policy=policy)
        rt = open_runtime(settings, engine=engine)
        with rt.sessions() as s:
            from parley.log.models import LogHead

            empty = s.get(LogHead, 1).size == 0  # type: ignore[union-attr]
        if empty:
            with console.status("loading the demo scenario through the log…"):
                signins = load_demo(rt.pipeline, rt.sessions, settings.secret_key, origin, data)
        else:
            signins = json.loads(creds.read_text())["sign_ins"]
        url = f"http://{host}:{port}/"
        mirrored = None
        auditor = next((si for si in signins if si["member"] == "icrc/auditor"), None)
        if mirror and auditor is not None:
            mirrored = spawn_mirror(procs, data / "mirror", host, url.rstrip("/"), log_signer.vkey(),
                                    auditor["api_token"], _free_port)
        if witnesses and empty:
            # They came up while the scenario loaded: the demo's first checkpoint is published before serving.
            from parley.logserver.publish import Publisher

            with console.status("waiting for the witnesses, asking them to cosign…"):
                procs.release()
                procs.wait_ready([n for n in procs.procs if n.startswith("witness-")])
                ok = Publisher(rt).publish_once()
            console.print("checkpoint cosigned by every party's witness (each its own process)" if ok
                          else "[yellow]checkpoint not yet cosigned[/yellow]")
        elif witnesses:
            # Run again: serve at once; the server's publisher reaches the witnesses once they answer.
            console.print("the witnesses are starting, each its own process", highlight=False)
        out.print(f"Demo sign-ins (also in {creds}, with each member's signing-key file):")
        out.print(f"  {'party':8} {'member':16} {'role':20} {'password':18} API token", highlight=False)
        for si in signins:
            out.print(f"  {si['party']:8} {si['member']:16} {si['role']:20} {si['password']:18} {si['api_token']}",
                      highlight=False, soft_wrap=True)
        for fam in json.loads(creds.read_text()).get("family_inquiries", []):
            out.print(f"  family view {url}family — reference {fam['reference']}, secret {fam['secret']}",
                      highlight=False, soft_wrap=True)
        if mirrored is not None:
            out.print(f"Mirror of the log: {mirrored[0]} (client token in {data / 'mirror' / 'client.token'})",
                      highlight=False, soft_wrap=True)
        out.print(f"Parley demo: [bold]{url}[/bold]   log key: {log_signer.vkey()}")
        if exit_after_load:
            return
        procs.release_when_listening(host, port)  # (at once if they were started already)
        run_server(create_app(settings, rt), host=host, port=port, log_level="warning", **server_options(settings),
                   **proxy_options(settings))
    finally:  # uvicorn returns on SIGTERM and Ctrl-C: stop the witnesses and the mirror, close the runtime
        procs.stop()
        if rt is not None:
            rt.close()


@app.command()
def keygen(name: Annotated[str, typer.Argument(help="Key name: '<party>/<member>'")],
           out_file: Annotated[Path, typer.Option("--out", help="Where to write the private key")]) -> None:
    """Generate an Ed25519 signing key; prints the verifier key to register with key.register."""
    from parley.db import create_private
    from parley.log.note import Signer

    signer = Signer.generate(name)
    create_private(out_file, signer.skey() + "\n")
    out.print(signer.vkey())


@record_app.command("submit")
def record_submit(
    kind: Annotated[str, typer.Option(help="Record kind, e.g. record.note")],
    payload: Annotated[str, typer.Option(help="Payload as JSON, or @file.json")],
    audience: Annotated[str, typer.Option(help="Comma-separated audience tokens")] = "all",
    ref: Annotated[list[str] | None, typer.Option(help="Hash of an earlier record (repeatable)")] = None,
    key_file: Annotated[Path, typer.Option(envvar="PARLEY_KEY_FILE", help="Your signing key")] = Path("parley.key"),
    url: Annotated[str, typer.Option(envvar="PARLEY_URL")] = "http://127.0.0.1:8000",
    token: Annotated[str, typer.Option(envvar="PARLEY_TOKEN", help="Your API token")] = "",
    origin: Annotated[str | None, typer.Option(help="Log origin (default: asked from the server)")] = None,
) -> None:
    """Sign a record with your own key and submit it; prints the receipt."""

    from parley.log.note import Signer
    from parley.records.compose import compose

    body = Path(payload[1:]).read_text() if payload.startswith("@") else payload
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        console.print(f"[red]payload is not JSON: {exc}[/red]")
        raise typer.Exit(2) from None
    signer = Signer.from_skey(key_file.read_text().strip())
    with api_client.http_client(url, token) as client:
        if origin is None:
            r = client.get("/log/key")
            r.raise_for_status()
            origin = r.text.strip().split("+", 1)[0]
        note = compose(signer, origin=origin, kind=kind, audience=audience.split(","), payload=data, refs=ref or [])
        r = client.post("/api/records", json={"note": note.decode(), "payload": data})
    if r.status_code >= 400:
        api_client.refused(r.status_code, r.text)
        raise typer.Exit(1)
    out.print_json(r.text)


@log_app.command("check")
def log_check(data: Annotated[Path | None, typer.Option(help="Data directory (SQLite)")] = None) -> None:
    """Run the log's self-check now: every entry, inner node and checkpoint against the entries, and the
    database against the log's state file. Exit 1 if anything is wrong."""
    from parley.log.note import Verifier
    from parley.log.selfcheck import check_log
    from parley.runtime import load_log_key, log_state
    from parley.db import make_engine, session_factory

    settings = _settings(**_data_overrides(data))
    signer = load_log_key(settings)
    state = log_state(settings, signer)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("checking the log", total=None)
        report = check_log(session_factory(make_engine(settings.database_url)), Verifier.from_vkey(signer.vkey()),
                           settings.log_origin, state if state.exists() else None,
                           progress=lambda done, total: progress.update(task, completed=done, total=total))
    if not state.exists():
        console.print(f"[yellow]no state file at {state.path}; run 'parley init' to create it[/yellow]")
    for why in report.problems:
        console.print(f"[red]{why}[/red]", highlight=False)
    if report.problem_count > len(report.problems):
        console.print(f"[red]… and {report.problem_count - len(report.problems)} more[/red]")
    out.print(f"{report.summary} (size {report.size}, state file at {report.state_size})", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@log_app.command("replay")
def log_replay(target: Annotated[str, typer.Option(help="URL of an EMPTY database to rebuild into")],
               data: Annotated[Path | None, typer.Option(help="Data directory of the source (SQLite)")] = None,
               check: Annotated[bool, typer.Option(help="Compare the rebuilt tables with the source")] = True) -> None:
    """Rebuild every table from the log into an empty database, re-verifying every record."""
    from parley.assembly import kinds
    from parley.db import make_engine
    from parley.logserver.replay import differences, replay
    from parley.models import PROJECTION_TABLES, LogCheckpoint, LogEntry, LogNode
    from parley.runtime import load_log_key

    settings = _settings(**_data_overrides(data))
    src, dst = make_engine(settings.database_url), make_engine(target)
    with Progress(console=console) as progress:
        task = progress.add_task("replaying", total=None)
        report = replay(src, dst, load_log_key(settings), settings.log_origin, kinds=kinds(),
                        progress=lambda done, total: progress.update(task, completed=done, total=total))
    for p in report.problems:
        console.print(f"[red]{p}[/red]")
    if report.problems:
        raise typer.Exit(1)
    out.print(f"replayed {report.records} records and {report.checkpoints} checkpoints")
    if check:
        diffs = differences(src, dst, (*PROJECTION_TABLES, LogEntry, LogNode, LogCheckpoint))
        for d in diffs:
            console.print(f"[red]{d}[/red]")
        if diffs:
            raise typer.Exit(1)
        out.print("the rebuilt tables equal the source's")


class _Phases:
    """A ``parley.backup.Progress`` on a Rich progress display: one bar per phase."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, Any] = {}

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = self.progress.add_task(phase, total=total)
        self.progress.update(self.tasks[phase], completed=done, total=total)


@app.command()
def backup(out_file: Annotated[Path, typer.Option("--out", help="The backup file to create (never replaced)")],
           data: Annotated[Path | None, typer.Option(help="Data directory (SQLite)")] = None,
           verify_url: Annotated[str | None, typer.Option(
               help="PostgreSQL: an empty database to check the dump in (default: a scratch database made "
                    "and dropped on the same server)")] = None,
           keys_out: Annotated[Path | None, typer.Option(
               help="Also write the data subjects' keys to this new file, for a restore without a mirror. It "
                    "does not forget a destruction: keep it no longer than the shortest retention period")] = None,
           ) -> None:
    """Back up the running deployment's database into one file (no secret keys, no state file, personal data
    sealed under the data subjects' keys, which it does not hold), then read it back and verify it: the log's
    self-check on the copy, which must hold every record acknowledged before the backup began. Exit 1 on any
    failure (docs/operations.md)."""
    from parley.backup import BackupError, create_backup

    settings = _settings(**_data_overrides(data))
    try:
        with Progress(console=console) as progress:
            manifest = create_backup(settings, out_file, progress=_Phases(progress), verify_url=verify_url,
                                     keys_out=keys_out)
    except BackupError as exc:
        console.print(f"[red]backup failed: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    released = manifest.released_at_start.split("\n")[1] if manifest.released_at_start else "?"
    out.print(f"backup written and verified: {out_file} ({manifest.backend}, {manifest.member_bytes} bytes, "
              f"log size {manifest.size}, root {manifest.root[:16]}…; released when it began: {released}). "
              f"{manifest.sealed_rows} rows of personal data sealed under the data subjects' keys. It holds no keys: "
              "back up log.key and PARLEY_SECRET_KEY separately, encrypted; a restore takes the data keys from a "
              "mirror" + (f" or {keys_out}" if keys_out else "") + ".", highlight=False)


@app.command()
def restore(backup_file: Annotated[Path, typer.Option("--backup", help="A file made by 'parley backup'")],
            data: Annotated[Path, typer.Option(help="A NEW data directory (missing or empty)")],
            log_key: Annotated[Path, typer.Option(help="The log's key file, from its separate backup")],
            checkpoint: Annotated[list[Path] | None, typer.Option(
                help="A signed checkpoint the log released: the old server's log.state, an auditor's or a "
                     "witness's saved checkpoint (repeatable; the newest counts)")] = None,
            database_url: Annotated[str | None, typer.Option(
                help="PostgreSQL: a new, empty database to restore into")] = None,
            backup_is_latest: Annotated[bool, typer.Option(
                help="No released checkpoint survives anywhere: trust the backup's own newest one")] = False,
            mirror: Annotated[str | None, typer.Option(
                help="A mirror of the log (parley mirror serve): fetch every entry after the backup from it")] = None,
            mirror_token: Annotated[str, typer.Option(envvar="PARLEY_MIRROR_TOKEN",
                                                      help="The client token the mirror's operator issued")] = "",
            policy: Annotated[Path | None, typer.Option(
                help="The witness policy (C2SP tlog-policy) the mirror's checkpoint must satisfy; default: "
                     "PARLEY_WITNESS_POLICY")] = None,
            keys: Annotated[Path | None, typer.Option(
                help="The keys file written with the backup (parley backup --keys-out), for the data subjects "
                     "the mirror does not list")] = None) -> None:
    """Restore a backup into a new data directory (and on PostgreSQL an empty database) only, with the
    log key and a state file made from the newest checkpoint the log is known to have released. With
    --mirror, every entry after the backup is fetched from the mirror, checked against the signed
    checkpoints and appended. Exit 0 when the restored log can serve and accept writes; 3 when entries
    released after the backup are still missing (the server will refuse to start, or serve read-only, and say
    which); 1 on any failure."""
    from parley.assembly import kinds
    from parley.backup import BackupError, restore_backup
    from parley.log.policy import PolicyError, parse_policy
    from parley.mirror.client import TileReader

    policy_text = policy.read_text() if policy is not None else os.environ.get("PARLEY_WITNESS_POLICY", "")
    try:
        witness_policy = parse_policy(policy_text) if policy_text else None
    except PolicyError as exc:
        console.print(f"[red]restore failed: the witness policy: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    reader = TileReader(mirror, mirror_token or None) if mirror else None
    try:
        with Progress(console=console) as progress:
            result = restore_backup(backup_file, data, log_key, checkpoint or [], database_url=database_url,
                                    backup_is_latest=backup_is_latest, mirror=reader,
                                    kinds=kinds() if reader else None, policy=witness_policy,
                                    published=witness_policy is None, keys_file=keys,
                                    progress=_Phases(progress))
    except BackupError as exc:
        console.print(f"[red]restore failed: {exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    finally:
        if reader is not None:
            reader.client.close()
    where = database_url or str(data / "parley.db")
    out.print(f"restored {backup_file} into {data} ({where}): log size {result.size}; newest released "
              f"checkpoint {result.released.size}", highlight=False)
    if result.mirror_size is not None:
        out.print(f"from the mirror (at size {result.mirror_size}): {result.appended} entries fetched, checked "
                  "against the signed checkpoints and appended", highlight=False)
    if result.missing:
        where_not = "not in this backup" if result.mirror_size is None else "neither in this backup nor on the mirror"
        console.print(f"[red]{result.missing} released but {where_not}. The server will refuse to start until "
                      "they are recovered (from a mirror: --mirror; docs/operations.md).[/red]", highlight=False)
        raise typer.Exit(3)
    out.print("the restored log is consistent with the released checkpoint; start it with 'parley serve'",
              highlight=False)


def _register_commands() -> None:
    from parley.assembly import kinds, register_commands
    from parley.logserver.audit_cli import verify_command
    from parley.mirror.cli import app as mirror_app
    from parley.press.cli import verify_statement
    from parley.witness.cli import app as witness_app

    log_app.command("verify")(verify_command(kinds))
    log_app.command("verify-statement")(verify_statement)
    app.add_typer(witness_app, name="witness", help="Run a witness that cosigns consistent checkpoints.")
    app.add_typer(mirror_app, name="mirror", help="Keep a copy of the log (a mirror) and serve it to its clients.")
    register_commands(app)


def language(environ: Mapping[str, str] | None = None) -> str:
    """The language the command line speaks (uk, ru or en), from the locale as gettext reads it: the first of
    ``LANGUAGE``'s list it knows, else ``LC_ALL``, ``LC_MESSAGES`` or ``LANG`` (the first set); English otherwise."""
    env = os.environ if environ is None else environ
    known = ("uk", "ru", "en")
    for part in env.get("LANGUAGE", "").split(":"):
        if part.split("_")[0].split(".")[0].lower() in known:
            return part.split("_")[0].split(".")[0].lower()
    value = next((env[v] for v in ("LC_ALL", "LC_MESSAGES", "LANG") if env.get(v)), "")
    lang = value.split("_")[0].split(".")[0].split("@")[0].lower()
    return lang if lang in known else "en"


def refusal_text(body: dict[str, Any], lang: str | None = None) -> str | None:
    """A refusal the API answered, in the reader's language: its code's message with its parameters (the pages'
    catalogue, ``parley.web.refusals``), or for a refusal without a code the generic sentence of its kind. None in
    English: the server's own sentence is printed, as precise as the log's."""
    from parley.web import i18n, refusals

    lang = lang or language()
    if lang == "en":
        return None
    code, params = body.get("code"), body.get("params")
    found = refusals.coded(code, params if isinstance(params, dict) else {}, body.get("field")) \
        if isinstance(code, str) else None
    if found is None:
        found = refusals.generic_for(str(body.get("error", "")), body.get("field"))
    return i18n.render(lang, found)


api_client.translate = refusal_text


def main() -> None:
    _register_commands()
    app()


if __name__ == "__main__":
    main()
