"""The architecture: a domain plugs in at one place, and the core names no domain."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy.orm import sessionmaker

from ivr.app import create_app
from ivr.domains import DOMAINS, Domain
from ivr.settings import ROOT, load_settings
from ivr.simulator import Phone, flask_transport
from tests.domains import echo
from tests.harness import AUTH_TOKEN, PUBLIC_URL, app_environ
from tests.voice.test_security import sign

CORE = ("flows", "voice", "calls", "recordings", "speech", "jobs")


def _flows_with_echo(tmp_path: Path) -> Path:
    """The hotline's flows, with an echo node the call meets first."""
    flows = tmp_path / "flows"
    shutil.copytree(ROOT / "flows", flows)
    hotline = yaml.safe_load((flows / "hotline.yaml").read_text(encoding="utf-8"))
    hotline["nodes"]["echo_first"] = {"type": "echo", "prompt": "welcome", "after": "welcome"}
    hotline["start"] = "echo_first"
    text = yaml.safe_dump(hotline, allow_unicode=True, sort_keys=False)
    (flows / "hotline.yaml").write_text(text, encoding="utf-8")
    return flows


@pytest.fixture
def echo_app(database_url, connection, tmp_path):
    environ = app_environ(database_url, tmp_path, IVR_FLOWS_DIR=str(_flows_with_echo(tmp_path)))
    app = create_app(
        {
            "SETTINGS": load_settings(environ),
            "TESTING": True,
            "DOMAINS": (*DOMAINS, Domain("tests.domains.echo")),  # the one list entry
        }
    )
    echo.EchoBase.metadata.create_all(connection)  # rolled back with the test
    app.extensions["ivr.db"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    echo.NOTED.clear()
    return app


@pytest.mark.sqlite
def test_a_domain_added_with_one_list_entry_takes_part_in_a_call(echo_app, at):
    at(2026, 11, 23, 10, 0)
    client = echo_app.test_client()
    phone = Phone(flask_transport(client, PUBLIC_URL), PUBLIC_URL, AUTH_TOKEN)

    call = phone.call(["7", "-", "-", "-"])

    welcome = "您好，欢迎拨打吉林省12333劳动保障电话咨询服务热线"
    assert call.heard[:2] == [welcome, welcome]  # the echo node's prompt, then the flow goes on
    echo_app.extensions["ivr.jobs"].drain()
    assert echo.NOTED == ["7"]  # effect -> job, with what the node's service made of the key

    params = {
        "CallSid": call.sid,
        "RecordingSid": "RE" + "e" * 32,
        "RecordingStatus": "absent",  # stored by the kind's handler; nothing to download
    }
    url = f"{PUBLIC_URL}/voice/recording?kind=echo"
    response = client.post(
        "/voice/recording?kind=echo", data=params, headers={"X-Twilio-Signature": sign(url, params)}
    )
    assert response.status_code == 204
    result = echo_app.test_cli_runner().invoke(args=["echo", "count"])
    assert result.output.strip() == "1 echo recordings"
    assert client.get("/echo/").data == b"echo pages"


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("package", CORE)
def test_the_core_imports_no_domain(package):
    domains = tuple(d.package for d in DOMAINS) + tuple(d.web for d in DOMAINS if d.web)
    offending = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in (ROOT / "ivr" / package).rglob("*.py")
        for name in _imports(path)
        if name.startswith(domains) and name.split(".")[:2] != ["ivr", package]
    }
    if (ROOT / "ivr" / f"{package}.py").exists():
        offending |= {
            f"ivr/{package}.py imports {n}"
            for n in _imports(ROOT / "ivr" / f"{package}.py")
            if n.startswith(domains)
        }
    assert not offending


def _unit(module: str) -> str | None:
    """The package a module belongs to (ivr.fax, webapp.tickets), or the top-level module
    itself (ivr.db, webapp.access); None outside the project."""
    parts = module.split(".")
    if parts[0] not in ("ivr", "webapp"):
        return None
    if len(parts) > 1 and (ROOT / parts[0] / parts[1]).is_dir():
        return ".".join(parts[:2])
    if len(parts) > 1 and (ROOT / parts[0] / f"{parts[1]}.py").exists():
        return ".".join(parts[:2])
    return parts[0]


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in [*(ROOT / "ivr").rglob("*.py"), *(ROOT / "webapp").rglob("*.py")]:
        if "migrations" in path.parts:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        source = _unit(module.removesuffix(".__init__"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                target = _unit(name)
                # Everything's tables derive from the declarative base in ivr.db.
                if target and target != source and target not in ("ivr", "webapp", "ivr.db"):
                    graph.setdefault(source, set()).add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for vertex in list(graph):
        if vertex not in index:
            visit(vertex)
    return found


def test_no_import_cycle_between_packages():
    assert _cycles(_package_graph()) == []
