"""Tests for kata 3.7: row-based and schema-based multi-tenancy.

The API tests take the `layout` fixture and run on both layouts; their task marker comes from the
fixture's params (rows: task 4, schemas: task 6), so they carry none of their own.
"""

import asyncio
import sqlite3
import string
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from multi_tenancy import (
    Project,
    Task,
    TenantMismatchError,
    create_app,
    create_schema_app,
    make_engine,
    provision_tenant,
    schema_session,
    tenant_session,
    validate_tenant,
)
from sqlalchemy import Engine, create_engine, delete, func, inspect, make_url, select, update
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from grader.testing import count_statements

ACME = "acme"
GLOBEX = "globex"
TENANT_RULE = r"[a-z][a-z0-9_]{0,29}"

# The admin views of the conftest's fixtures, for annotations.
StoredProjects = Callable[[], set[tuple[str, str]]]
StoredTasks = Callable[[], set[tuple[str, str, bool]]]
KnownTenants = Callable[[], set[str]]

HOSTILE = [
    pytest.param("", id="empty"),
    pytest.param("a" * 31, id="31-characters"),
    pytest.param("Acme", id="uppercase"),
    pytest.param("1acme", id="leading-digit"),
    pytest.param("_acme", id="leading-underscore"),
    pytest.param("acme.globex", id="dot"),
    pytest.param("public.projects", id="qualified-name"),
    pytest.param("ac me", id="space"),
    pytest.param("acme-corp", id="dash"),
    pytest.param('acme"; DROP SCHEMA public CASCADE; --', id="double-quote-drop"),
    pytest.param("acme'; DROP TABLE projects; --", id="single-quote-drop"),
    pytest.param("acme;DROP TABLE tenants", id="semicolon"),
    pytest.param("../acme", id="path"),
    pytest.param("acme\n", id="trailing-newline"),
    pytest.param("acme\x00", id="nul"),
    pytest.param("acmé", id="accented-letter"),
    pytest.param("acme\u0663", id="arabic-indic-digit"),
    pytest.param("\uff41\uff43\uff4d\uff45", id="fullwidth-letters"),
    pytest.param("\u00df", id="sharp-s"),
    pytest.param("acme\u200b", id="zero-width-space"),
]


def follows_the_rule(text: str) -> bool:
    """The README's rule, written without a regular expression."""
    allowed = set(string.ascii_lowercase + string.digits + "_")
    return (
        1 <= len(text) <= 30
        and text[0] in string.ascii_lowercase
        and all(character in allowed for character in text)
    )


# --- Task 1: tenant ids ---------------------------------------------------------------------


@pytest.mark.task(1)
@pytest.mark.parametrize("tenant", ["a", "acme", "globex_2", "z9", "a_b_c", "t" * 30])
def test_a_well_formed_tenant_id_is_returned_unchanged(tenant: str) -> None:
    assert validate_tenant(tenant) == tenant


@pytest.mark.task(1)
@pytest.mark.parametrize("tenant", HOSTILE)
def test_a_malformed_tenant_id_is_a_value_error(tenant: str) -> None:
    with pytest.raises(ValueError):
        validate_tenant(tenant)


@pytest.mark.task(1)
@settings(max_examples=50, deadline=None)
@given(st.from_regex(TENANT_RULE, fullmatch=True))
def test_every_id_that_follows_the_rule_is_accepted(tenant: str) -> None:
    assert validate_tenant(tenant) == tenant


@pytest.mark.task(1)
@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(max_size=35),
        # A valid id with one arbitrary character slipped in: the near misses that matter.
        st.builds(
            lambda valid, at, extra: valid[:at] + extra + valid[at:],
            st.from_regex(TENANT_RULE, fullmatch=True),
            st.integers(min_value=0, max_value=30),
            st.characters() | st.sampled_from("\n\x00 .-;'\"A"),
        ),
    )
)
def test_any_text_is_accepted_exactly_when_it_follows_the_rule(text: str) -> None:
    if follows_the_rule(text):
        assert validate_tenant(text) == text
    else:
        with pytest.raises(ValueError):
            validate_tenant(text)


# --- Task 2: every ORM statement of a tenant session is filtered ------------------------------


@pytest.mark.task(2)
def test_a_tenant_session_lists_only_its_own_rows(engine: Engine, seed: dict[str, int]) -> None:
    with tenant_session(engine, ACME) as session:
        assert session.scalars(select(Project.name)).all() == ["Rocket skates"]
        assert session.scalars(select(Task.title)).all() == ["Wheels"]
    with tenant_session(engine, GLOBEX) as session:
        assert session.scalars(select(Project.name)).all() == ["Doomsday device"]
        assert session.scalars(select(Task.title)).all() == ["Laser"]


@pytest.mark.task(2)
def test_get_finds_the_tenants_own_row_and_not_another_tenants(
    engine: Engine, seed: dict[str, int]
) -> None:
    with tenant_session(engine, ACME) as session:
        own = session.get(Project, seed["acme_project"])
        assert own is not None
        assert own.name == "Rocket skates"
        assert session.get(Project, seed["globex_project"]) is None
        assert session.get(Task, seed["globex_task"]) is None


@pytest.mark.task(2)
def test_counts_joins_and_aliases_are_filtered(engine: Engine, seed: dict[str, int]) -> None:
    with tenant_session(engine, ACME) as session:
        assert session.scalar(select(func.count()).select_from(Project)) == 1
        assert session.scalar(select(func.count(Task.id))) == 1
        alias = aliased(Project)
        assert session.scalars(select(alias.name)).all() == ["Rocket skates"]
        joined = select(Task.title, Project.name).join(Task.project)
        assert session.execute(joined).all() == [("Wheels", "Rocket skates")]


def file_an_intruder(engine: Engine, project_id: int) -> None:
    """Writes a globex task under an acme project, as a buggy script or migration might."""
    with Session(engine) as admin:
        admin.add(Task(tenant_id=GLOBEX, project_id=project_id, title="Intruder"))
        admin.commit()


@pytest.mark.task(2)
def test_relationship_loads_never_show_another_tenants_rows(
    engine: Engine, seed: dict[str, int]
) -> None:
    file_an_intruder(engine, seed["acme_project"])
    loaders = {"lazy": None, "selectinload": selectinload, "joinedload": joinedload}
    for name, loader in loaders.items():
        statement = select(Project)
        if loader is not None:
            statement = statement.options(loader(Project.tasks))
        with tenant_session(engine, ACME) as session:
            (project,) = session.scalars(statement).unique()
            assert [task.title for task in project.tasks] == ["Wheels"], name


@pytest.mark.task(2)
def test_lazy_loads_of_an_object_made_in_the_session_are_filtered_too(engine: Engine) -> None:
    with tenant_session(engine, ACME) as session:
        project = Project(name="Anvils")
        session.add(project)
        session.commit()
        file_an_intruder(engine, project.id)
        # No query loaded this object, so no criteria can have propagated to its lazy loads.
        assert project.tasks == []


@pytest.mark.task(2)
def test_a_many_to_one_load_of_another_tenants_row_finds_nothing(
    engine: Engine, seed: dict[str, int]
) -> None:
    file_an_intruder(engine, seed["acme_project"])
    with tenant_session(engine, GLOBEX) as session:
        intruder = session.scalars(select(Task).where(Task.title == "Intruder")).one()
        assert intruder.project is None


@pytest.mark.task(2)
def test_an_orm_bulk_update_changes_only_the_tenants_rows(
    engine: Engine, seed: dict[str, int]
) -> None:
    with tenant_session(engine, ACME) as session:
        result = session.execute(update(Project).values(name="Renamed"))
        session.commit()
    assert result.rowcount == 1
    with Session(engine) as admin:
        names = dict(admin.execute(select(Project.tenant_id, Project.name)).all())
    assert names == {ACME: "Renamed", GLOBEX: "Doomsday device"}


@pytest.mark.task(2)
def test_an_orm_bulk_delete_removes_only_the_tenants_rows(
    engine: Engine, seed: dict[str, int]
) -> None:
    with tenant_session(engine, ACME) as session:
        result = session.execute(delete(Task))
        session.commit()
    assert result.rowcount == 1
    with Session(engine) as admin:
        assert admin.scalars(select(Task.title)).all() == ["Laser"]


@pytest.mark.task(2)
def test_sessions_of_two_tenants_can_be_open_at_once(engine: Engine, seed: dict[str, int]) -> None:
    with tenant_session(engine, ACME) as acme, tenant_session(engine, GLOBEX) as globex:
        assert acme.scalars(select(Project.name)).all() == ["Rocket skates"]
        assert globex.scalars(select(Project.name)).all() == ["Doomsday device"]
        assert acme.scalars(select(Task.title)).all() == ["Wheels"]


@pytest.mark.task(2)
@pytest.mark.parametrize("tenant", ["Acme", "acme; DROP TABLE projects", ""])
def test_a_tenant_session_for_a_malformed_id_is_a_value_error(tenant: str) -> None:
    engine = create_engine("sqlite://")  # never connected: the id is refused first
    with pytest.raises(ValueError):
        tenant_session(engine, tenant)


# --- Task 3: inserts carry the tenant, and no write crosses tenants ----------------------------


@pytest.mark.task(3)
def test_new_rows_are_stamped_with_the_sessions_tenant(engine: Engine) -> None:
    with tenant_session(engine, GLOBEX) as session:
        session.add(Project(name="Doomsday device", tasks=[Task(title="Laser")]))
        session.commit()
    with Session(engine) as admin:
        assert admin.execute(select(Project.tenant_id, Project.name)).all() == [
            (GLOBEX, "Doomsday device")
        ]
        assert admin.scalars(select(Task.tenant_id)).all() == [GLOBEX]


@pytest.mark.task(3)
def test_a_new_row_of_another_tenant_is_refused_and_nothing_is_written(engine: Engine) -> None:
    with tenant_session(engine, ACME) as session:
        session.add_all([Project(name="Fine"), Project(name="Smuggled", tenant_id=GLOBEX)])
        with pytest.raises(TenantMismatchError):
            session.commit()
    with Session(engine) as admin:
        assert admin.scalars(select(Project)).all() == []


@pytest.mark.task(3)
def test_moving_a_row_to_another_tenant_is_refused(engine: Engine, seed: dict[str, int]) -> None:
    with tenant_session(engine, ACME) as session:
        project = session.get(Project, seed["acme_project"])
        assert project is not None
        project.tenant_id = GLOBEX
        with pytest.raises(TenantMismatchError):
            session.commit()
    with Session(engine) as admin:
        owners = admin.scalars(select(Project.tenant_id).order_by(Project.id)).all()
    assert owners == [ACME, GLOBEX]


@pytest.mark.task(3)
def test_another_tenants_object_added_to_the_session_is_never_written(
    engine: Engine, seed: dict[str, int]
) -> None:
    for change in ("rename", "delete"):
        with tenant_session(engine, GLOBEX) as globex:
            theirs = globex.get(Project, seed["globex_project"])
        assert theirs is not None
        with tenant_session(engine, ACME) as acme:
            acme.add(theirs)  # e.g. an object kept in a cache between requests
            if change == "rename":
                theirs.name = "Pwned"
            else:
                acme.delete(theirs)
            with pytest.raises(TenantMismatchError):
                acme.commit()
        with Session(engine) as admin:
            kept = admin.get(Project, seed["globex_project"])
            assert kept is not None
            assert (kept.name, kept.tenant_id) == ("Doomsday device", GLOBEX), change


# --- Tasks 4 and 6: the API, on both layouts ---------------------------------------------------


def as_tenant(tenant: str) -> dict[str, str]:
    """The headers of a request made for `tenant`."""
    return {"X-Tenant-ID": tenant}


def create_project(client: TestClient, tenant: str, name: str) -> dict[str, object]:
    response = client.post("/projects", json={"name": name}, headers=as_tenant(tenant))
    assert response.status_code == 201, response.text
    return response.json()


def add_task(client: TestClient, tenant: str, project_id: object, title: str) -> dict[str, object]:
    response = client.post(
        f"/projects/{project_id}/tasks", json={"title": title}, headers=as_tenant(tenant)
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_a_request_without_a_tenant_is_400(
    client: TestClient, stored_projects: StoredProjects
) -> None:
    for response in (client.get("/projects"), client.post("/projects", json={"name": "Orphan"})):
        assert response.status_code == 400, response.text
        assert response.json() == {"detail": "Missing X-Tenant-ID header"}
    assert stored_projects() == set()


MALFORMED_HEADERS: list[str | bytes] = [
    "Acme",
    "acme.globex",
    'acme"; DROP SCHEMA public CASCADE; --',
    "acme;DROP TABLE tenants",
    "../acme",
    "a" * 31,
    "",
    "acmé".encode(),  # UTF-8 bytes, which the server decodes as Latin-1: "acmÃ©"
]


def test_a_malformed_tenant_header_is_400_before_any_sql(
    client: TestClient,
    api_engine: Engine,
    stored_projects: StoredProjects,
    known_tenants: KnownTenants,
) -> None:
    for value in MALFORMED_HEADERS:
        headers = {"X-Tenant-ID": value}
        with count_statements(api_engine) as statements:
            response = client.post("/projects", json={"name": "Sneaky"}, headers=headers)
        assert response.status_code == 400, (value, response.text)
        assert response.json() == {"detail": "Invalid X-Tenant-ID header"}
        assert statements == [], value
    assert stored_projects() == set()
    assert known_tenants() == {ACME, GLOBEX}


def test_two_tenant_headers_are_400(client: TestClient) -> None:
    response = client.get("/projects", headers=[("X-Tenant-ID", ACME), ("X-Tenant-ID", GLOBEX)])
    assert response.status_code == 400, response.text
    assert response.json() == {"detail": "Invalid X-Tenant-ID header"}


def test_an_unknown_tenant_is_404_and_is_not_created(
    client: TestClient, stored_projects: StoredProjects, known_tenants: KnownTenants
) -> None:
    for response in (
        client.get("/projects", headers=as_tenant("initech")),
        client.post("/projects", json={"name": "TPS"}, headers=as_tenant("initech")),
    ):
        assert response.status_code == 404, response.text
        assert response.json() == {"detail": "Tenant initech not found"}
    assert stored_projects() == set()
    assert known_tenants() == {ACME, GLOBEX}


def test_create_project_answers_201_and_stores_it_for_the_tenant(
    client: TestClient, stored_projects: StoredProjects
) -> None:
    response = client.post("/projects", json={"name": "Rocket skates"}, headers=as_tenant(ACME))
    assert response.status_code == 201, response.text
    body = response.json()
    assert isinstance(body["id"], int)
    assert body == {"id": body["id"], "name": "Rocket skates", "tasks": []}
    assert stored_projects() == {(ACME, "Rocket skates")}


def test_names_and_titles_of_any_allowed_length_are_stored(
    client: TestClient, stored_projects: StoredProjects, stored_tasks: StoredTasks
) -> None:
    for name in ("P", "p" * 100):
        project = create_project(client, ACME, name)
        for title in ("T", "t" * 200):
            add_task(client, ACME, project["id"], title)
    assert stored_projects() == {(ACME, "P"), (ACME, "p" * 100)}
    assert {title for _, title, _ in stored_tasks()} == {"T", "t" * 200}


BAD_BODIES: list[dict[str, str]] = [
    {"name": "Smuggled", "tenant_id": GLOBEX},  # the tenant comes from the header, never the body
    {"name": ""},
    {"name": "n" * 101},
    {},
]


def test_a_bad_project_body_is_422_and_nothing_is_stored(
    client: TestClient, stored_projects: StoredProjects
) -> None:
    for body in BAD_BODIES:
        response = client.post("/projects", json=body, headers=as_tenant(ACME))
        assert response.status_code == 422, (body, response.text)
    assert stored_projects() == set()


BAD_TASK_BODIES: list[dict[str, object]] = [
    {"title": "Smuggled", "tenant_id": GLOBEX},
    {"title": ""},
    {"title": "t" * 201},
    {"title": "Done already", "done": True},
    {},
]


def test_a_bad_task_body_is_422_and_nothing_is_stored(
    client: TestClient, stored_tasks: StoredTasks
) -> None:
    ours = create_project(client, ACME, "Rocket skates")
    for body in BAD_TASK_BODIES:
        response = client.post(f"/projects/{ours['id']}/tasks", json=body, headers=as_tenant(ACME))
        assert response.status_code == 422, (body, response.text)
    assert stored_tasks() == set()


def test_each_tenant_lists_only_its_own_projects_in_creation_order(client: TestClient) -> None:
    create_project(client, ACME, "Rocket skates")
    create_project(client, GLOBEX, "Doomsday device")
    create_project(client, ACME, "Giant magnet")
    expected = {ACME: ["Rocket skates", "Giant magnet"], GLOBEX: ["Doomsday device"]}
    for tenant, names in expected.items():
        response = client.get("/projects", headers=as_tenant(tenant))
        assert response.status_code == 200, response.text
        assert [project["name"] for project in response.json()] == names


def test_the_list_shows_each_project_with_its_tasks(client: TestClient) -> None:
    skates = create_project(client, ACME, "Rocket skates")
    magnet = create_project(client, ACME, "Giant magnet")
    wheels = add_task(client, ACME, skates["id"], "Wheels")
    brakes = add_task(client, ACME, skates["id"], "Brakes")
    coil = add_task(client, ACME, magnet["id"], "Coil")
    response = client.get("/projects", headers=as_tenant(ACME))
    assert response.status_code == 200, response.text
    assert response.json() == [
        {"id": skates["id"], "name": "Rocket skates", "tasks": [wheels, brakes]},
        {"id": magnet["id"], "name": "Giant magnet", "tasks": [coil]},
    ]


def test_another_tenants_project_is_404_to_read(client: TestClient) -> None:
    theirs = create_project(client, GLOBEX, "Doomsday device")
    response = client.get(f"/projects/{theirs['id']}", headers=as_tenant(ACME))
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"Project {theirs['id']} not found"}
    response = client.get(f"/projects/{theirs['id']}", headers=as_tenant(GLOBEX))
    assert response.status_code == 200, response.text
    assert response.json() == theirs
    response = client.get("/projects/999", headers=as_tenant(GLOBEX))
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": "Project 999 not found"}


def test_another_tenants_project_is_404_to_rename_and_stays_unchanged(
    client: TestClient, stored_projects: StoredProjects
) -> None:
    theirs = create_project(client, GLOBEX, "Doomsday device")
    url = f"/projects/{theirs['id']}"
    response = client.patch(url, json={"name": "Pwned"}, headers=as_tenant(ACME))
    assert response.status_code == 404, response.text
    assert stored_projects() == {(GLOBEX, "Doomsday device")}
    response = client.patch(url, json={"name": "Death ray"}, headers=as_tenant(GLOBEX))
    assert response.status_code == 200, response.text
    assert response.json() == {"id": theirs["id"], "name": "Death ray", "tasks": []}
    assert stored_projects() == {(GLOBEX, "Death ray")}


def test_another_tenants_project_is_404_to_delete_and_stays(
    client: TestClient, stored_projects: StoredProjects, stored_tasks: StoredTasks
) -> None:
    theirs = create_project(client, GLOBEX, "Doomsday device")
    add_task(client, GLOBEX, theirs["id"], "Laser")
    response = client.delete(f"/projects/{theirs['id']}", headers=as_tenant(ACME))
    assert response.status_code == 404, response.text
    assert stored_projects() == {(GLOBEX, "Doomsday device")}
    response = client.delete(f"/projects/{theirs['id']}", headers=as_tenant(GLOBEX))
    assert response.status_code == 204, response.text
    assert stored_projects() == set()
    assert stored_tasks() == set()
    response = client.get(f"/projects/{theirs['id']}", headers=as_tenant(GLOBEX))
    assert response.status_code == 404, response.text


def test_tasks_are_added_to_the_tenants_own_projects_only(
    client: TestClient, stored_tasks: StoredTasks
) -> None:
    ours = create_project(client, ACME, "Rocket skates")
    # Two globex projects: with a schema per tenant ids restart at 1 in each schema, so globex's
    # second project has an id that acme has no project of.
    create_project(client, GLOBEX, "Decoy")
    theirs = create_project(client, GLOBEX, "Doomsday device")
    task = add_task(client, ACME, ours["id"], "Wheels")
    assert task == {"id": task["id"], "title": "Wheels", "done": False}
    response = client.post(
        f"/projects/{theirs['id']}/tasks", json={"title": "Sabotage"}, headers=as_tenant(ACME)
    )
    assert response.status_code == 404, response.text
    assert response.json() == {"detail": f"Project {theirs['id']} not found"}
    assert stored_tasks() == {(ACME, "Wheels", False)}
    shown = client.get(f"/projects/{ours['id']}", headers=as_tenant(ACME)).json()
    assert shown["tasks"] == [task]


def test_complete_marks_only_the_tenants_tasks_in_one_update(
    client: TestClient, api_engine: Engine, stored_tasks: StoredTasks
) -> None:
    ours = create_project(client, ACME, "Rocket skates")
    theirs = create_project(client, GLOBEX, "Doomsday device")
    add_task(client, ACME, ours["id"], "Wheels")
    add_task(client, ACME, ours["id"], "Brakes")
    add_task(client, GLOBEX, theirs["id"], "Laser")
    with count_statements(api_engine) as statements:
        response = client.post("/tasks/complete", headers=as_tenant(ACME))
    assert response.status_code == 200, response.text
    assert response.json() == {"updated": 2}
    # One UPDATE statement does it all: no loading the tasks and saving them one by one.
    on_tasks = [s for s in statements if "tasks" in s.lower()]
    assert len(on_tasks) == 1, statements
    assert on_tasks[0].lstrip().upper().startswith("UPDATE"), statements
    assert stored_tasks() == {
        (ACME, "Wheels", True),
        (ACME, "Brakes", True),
        (GLOBEX, "Laser", False),
    }


def test_purge_deletes_only_the_tenants_completed_tasks_in_one_delete(
    client: TestClient, api_engine: Engine, stored_tasks: StoredTasks
) -> None:
    ours = create_project(client, ACME, "Rocket skates")
    theirs = create_project(client, GLOBEX, "Doomsday device")
    add_task(client, ACME, ours["id"], "Wheels")
    add_task(client, ACME, ours["id"], "Brakes")
    add_task(client, GLOBEX, theirs["id"], "Laser")
    for tenant in (ACME, GLOBEX):
        assert client.post("/tasks/complete", headers=as_tenant(tenant)).status_code == 200
    add_task(client, ACME, ours["id"], "Paint")
    with count_statements(api_engine) as statements:
        response = client.delete("/tasks/completed", headers=as_tenant(ACME))
    assert response.status_code == 200, response.text
    assert response.json() == {"deleted": 2}
    on_tasks = [s for s in statements if "tasks" in s.lower()]
    assert len(on_tasks) == 1, statements
    assert on_tasks[0].lstrip().upper().startswith("DELETE"), statements
    assert stored_tasks() == {(ACME, "Paint", False), (GLOBEX, "Laser", True)}


async def test_concurrent_requests_of_two_tenants_stay_apart(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def create(tenant: str, number: int) -> httpx.Response:
            body = {"name": f"{tenant} {number}"}
            return await client.post("/projects", json=body, headers=as_tenant(tenant))

        created = await asyncio.gather(
            *(create(tenant, n) for n in range(8) for tenant in (ACME, GLOBEX))
        )
        assert all(r.status_code == 201 for r in created), [r.text for r in created]
        readers = (ACME, GLOBEX) * 6
        listed = await asyncio.gather(
            *(client.get("/projects", headers=as_tenant(tenant)) for tenant in readers)
        )
    for response, tenant in zip(listed, readers, strict=True):
        assert response.status_code == 200, response.text
        names = {project["name"] for project in response.json()}
        assert names == {f"{tenant} {n}" for n in range(8)}


@pytest.mark.task(4)
def test_a_project_never_shows_another_tenants_task_filed_under_it(engine: Engine) -> None:
    with TestClient(create_app(engine)) as client:
        ours = create_project(client, ACME, "Rocket skates")
        add_task(client, ACME, ours["id"], "Wheels")
        file_an_intruder(engine, int(str(ours["id"])))
        shown = client.get(f"/projects/{ours['id']}", headers=as_tenant(ACME)).json()
        (listed,) = client.get("/projects", headers=as_tenant(ACME)).json()
    for project in (shown, listed):
        assert [task["title"] for task in project["tasks"]] == ["Wheels"]


# --- Task 5: a schema per tenant ---------------------------------------------------------------


def tenant_schemas(engine: Engine) -> set[str]:
    """The schemas named tenant_<id> that a new connection of `engine` sees."""
    return {name for name in inspect(engine).get_schema_names() if name.startswith("tenant_")}


def project_rows(engine: Engine, tenant: str) -> list[tuple[str, str]]:
    """(tenant_id, name) of the projects stored in `tenant`'s schema, read by an admin."""
    bind = engine.execution_options(schema_translate_map={None: f"tenant_{tenant}"})
    with Session(bind) as admin:
        return admin.execute(select(Project.tenant_id, Project.name)).all()


@pytest.mark.task(5)
@pytest.mark.stretch
@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_make_engine_refuses_an_in_memory_sqlite_database(url: str) -> None:
    with pytest.raises(ValueError):
        make_engine(url)


@pytest.mark.task(5)
@pytest.mark.stretch
def test_make_engine_connects_to_the_url(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        assert engine.url == make_url(database_url)
        with engine.connect() as connection:
            assert connection.scalar(select(1)) == 1
    finally:
        engine.dispose()


@pytest.mark.task(5)
@pytest.mark.stretch
def test_provision_tenant_creates_the_schema_and_its_tables(schema_engine: Engine) -> None:
    provision_tenant(schema_engine, ACME)
    assert tenant_schemas(schema_engine) == {"tenant_acme"}
    tables = set(inspect(schema_engine).get_table_names(schema="tenant_acme"))
    assert {"projects", "tasks"} <= tables


@pytest.mark.task(5)
@pytest.mark.stretch
def test_provisioning_again_is_harmless_and_keeps_the_rows(schema_engine: Engine) -> None:
    provision_tenant(schema_engine, ACME)
    with schema_session(schema_engine, ACME) as session:
        session.add(Project(name="Rocket skates"))
        session.commit()
    provision_tenant(schema_engine, ACME)
    assert project_rows(schema_engine, ACME) == [(ACME, "Rocket skates")]


@pytest.mark.task(5)
@pytest.mark.stretch
def test_a_malformed_tenant_is_refused_before_any_schema_exists(schema_engine: Engine) -> None:
    for param in HOSTILE:
        (tenant,) = param.values
        with pytest.raises(ValueError):
            provision_tenant(schema_engine, tenant)
        with pytest.raises(ValueError):
            schema_session(schema_engine, tenant)
    assert tenant_schemas(schema_engine) == set()
    if schema_engine.dialect.name == "sqlite":
        folder = Path(str(schema_engine.url.database)).parent
        assert sorted(path.name for path in folder.glob("tenant_*")) == []


@pytest.mark.task(5)
@pytest.mark.stretch
def test_rows_of_a_schema_session_live_in_the_tenants_schema_only(schema_engine: Engine) -> None:
    for tenant in (ACME, GLOBEX):
        provision_tenant(schema_engine, tenant)
    for tenant, name in ((ACME, "Rocket skates"), (GLOBEX, "Doomsday device")):
        with schema_session(schema_engine, tenant) as session:
            session.add(Project(name=name))
            session.commit()
    assert project_rows(schema_engine, ACME) == [(ACME, "Rocket skates")]
    assert project_rows(schema_engine, GLOBEX) == [(GLOBEX, "Doomsday device")]


@pytest.mark.task(5)
@pytest.mark.stretch
def test_the_schema_decides_whose_rows_they_are(schema_engine: Engine) -> None:
    for tenant in (ACME, GLOBEX):
        provision_tenant(schema_engine, tenant)
    # A row in globex's schema whose tenant_id claims acme: still globex's, never acme's.
    in_globex = schema_engine.execution_options(schema_translate_map={None: "tenant_globex"})
    with Session(in_globex) as admin:
        admin.add(Project(tenant_id=ACME, name="Misfiled"))
        admin.commit()
    with schema_session(schema_engine, ACME) as session:
        session.add(Project(name="Rocket skates"))
        session.commit()
        assert session.scalars(select(Project.name)).all() == ["Rocket skates"]


def fill_the_pool(engine: Engine, tenant: str, sessions: int) -> None:
    """Uses `sessions` schema sessions at once, so the pool ends up holding as many connections."""
    with ExitStack() as stack:
        for _ in range(sessions):
            session = stack.enter_context(schema_session(engine, tenant))
            session.scalars(select(Project)).all()


@pytest.mark.task(5)
@pytest.mark.stretch
def test_a_tenant_provisioned_after_others_were_used_works_at_once(
    schema_engine: Engine,
) -> None:
    provision_tenant(schema_engine, ACME)
    fill_the_pool(schema_engine, ACME, sessions=2)
    provision_tenant(schema_engine, GLOBEX)
    # Three sessions at once: whichever pooled connection each gets, all must see globex.
    with ExitStack() as stack:
        sessions = [stack.enter_context(schema_session(schema_engine, GLOBEX)) for _ in range(3)]
        for number, session in enumerate(sessions):
            session.add(Project(name=f"Doomsday device {number}"))
            session.commit()
    assert len(project_rows(schema_engine, GLOBEX)) == 3
    assert project_rows(schema_engine, ACME) == []


@pytest.mark.task(5)
@pytest.mark.stretch
def test_on_sqlite_each_tenant_is_a_file_beside_the_database(sqlite_url: str) -> None:
    folder = Path(str(make_url(sqlite_url).database)).parent
    engine = make_engine(sqlite_url)
    try:
        provision_tenant(engine, ACME)
    finally:
        engine.dispose()
    with sqlite3.connect(folder / "tenant_acme.sqlite3") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    connection.close()
    assert {"projects", "tasks"} <= tables


@pytest.mark.task(5)
@pytest.mark.stretch
def test_on_sqlite_a_file_no_tenant_id_could_name_is_not_attached(sqlite_url: str) -> None:
    folder = Path(str(make_url(sqlite_url).database)).parent
    for stray in ("tenant_Evil.sqlite3", "tenant_a b.sqlite3", "tenant_.sqlite3"):
        sqlite3.connect(folder / stray).close()
    engine = make_engine(sqlite_url)
    try:
        provision_tenant(engine, ACME)
        assert tenant_schemas(engine) == {"tenant_acme"}
    finally:
        engine.dispose()


# --- Task 6: the schema-based app --------------------------------------------------------------


@pytest.mark.task(6)
@pytest.mark.stretch
def test_a_tenant_provisioned_while_the_app_runs_is_served_at_once(
    schema_engine: Engine,
) -> None:
    provision_tenant(schema_engine, ACME)
    with TestClient(create_schema_app(schema_engine)) as client:
        create_project(client, ACME, "Rocket skates")
        fill_the_pool(schema_engine, ACME, sessions=3)
        provision_tenant(schema_engine, "initech")
        for number in range(3):
            create_project(client, "initech", f"TPS report {number}")
        listed = client.get("/projects", headers=as_tenant("initech")).json()
        assert [project["name"] for project in listed] == [f"TPS report {n}" for n in range(3)]
        listed = client.get("/projects", headers=as_tenant(ACME)).json()
        assert [project["name"] for project in listed] == ["Rocket skates"]


@pytest.mark.task(6)
@pytest.mark.stretch
def test_with_a_schema_per_tenant_ids_are_only_unique_within_a_tenant(
    schema_engine: Engine,
) -> None:
    for tenant in (ACME, GLOBEX):
        provision_tenant(schema_engine, tenant)
    with TestClient(create_schema_app(schema_engine)) as client:
        ours = create_project(client, ACME, "Rocket skates")
        theirs = create_project(client, GLOBEX, "Doomsday device")
        assert ours["id"] == theirs["id"]
        for tenant, project in ((ACME, ours), (GLOBEX, theirs)):
            response = client.get(f"/projects/{project['id']}", headers=as_tenant(tenant))
            assert response.json() == project
