"""The public portal with 100,000 notices: the search page, a notice page, and pages' weight.

Pages are fetched with httpx's async client (bounded: a few workers for a few seconds), spread
over the web processes. Baseline: the page's bare SQL (the full-text count and first page of
the search, or the notice with its lot and item) run by psycopg in the same harness with the
same concurrency, i.e. the database's share of the page.
"""

from __future__ import annotations

import random
import re
from urllib.parse import quote

import httpx

from bench.load import LoadResult, closed_loop

SEARCHES = [
    "fauteuils",  # one notice in twenty
    "charbon Marrakech",  # two words, both required
    "panneaux solaires",
    "wheelchairs",
    "ciment",
    "BP-004217",  # a reference
    "Tanger vaccins",
    "imprimantes",
    "",  # the unfiltered list, newest first
    "réactifs laboratoire",
]
ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')

SEARCH_SQL = """
SELECT count(*) FROM tenders_tender
WHERE status = 'published' AND (search @@ websearch_to_tsquery('simple', %(q)s) OR upper(reference) = upper(%(q)s));
SELECT t.id, t.reference, t.title, t.application_deadline, o.name, c.name, r.name
FROM tenders_tender t JOIN accounts_organisation o ON o.id = t.buyer_id
JOIN tenders_category c ON c.id = t.category_id JOIN tenders_region r ON r.id = t.region_id
WHERE t.status = 'published' AND (t.search @@ websearch_to_tsquery('simple', %(q)s) OR upper(t.reference) = upper(%(q)s))
ORDER BY t.published_at DESC, t.id DESC LIMIT 20
"""
NOTICE_SQL = """
SELECT t.*, o.name FROM tenders_tender t JOIN accounts_organisation o ON o.id = t.buyer_id WHERE t.id = %(pk)s;
SELECT l.*, i.* FROM tenders_lot l LEFT JOIN tenders_item i ON i.lot_id = l.id WHERE l.tender_id = %(pk)s
"""


def search_path(text: str) -> str:
    return "/fr/notices/" + (f"?q={quote(text)}" if text else "")


async def pages(
    ports: list[int], paths: list[str], *, workers: int, duration: float, max_each: int, cookies=None
) -> LoadResult:
    clients = [
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, cookies=cookies) for port in ports
    ]
    failures: list[str] = []

    def worker(number: int):
        client = clients[number % len(clients)]
        chooser = random.Random(number)

        async def operation() -> bool:
            path = chooser.choice(paths)
            response = await client.get(path)
            if response.status_code != 200:
                failures.append(f"{response.status_code} {path}")
                raise RuntimeError(f"{response.status_code} on {path}")
            return True

        return operation

    try:
        return await closed_loop([worker(n) for n in range(workers)], duration=duration, max_each=max_each)
    finally:
        for client in clients:
            await client.aclose()


async def bare_sql(
    conninfo: str, sql: str, params: list[dict], *, workers: int, duration: float, max_each: int
):
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(
        conninfo, min_size=workers, max_size=workers, kwargs={"autocommit": True}, open=False
    )
    await pool.open(wait=True, timeout=30)
    statements = [statement for statement in sql.split(";") if statement.strip()]

    def worker(number: int):
        chooser = random.Random(number)

        async def operation() -> bool:
            values = chooser.choice(params)
            async with pool.connection() as conn:
                for statement in statements:
                    await (await conn.execute(statement, values)).fetchall()
            return True

        return operation

    try:
        return await closed_loop([worker(n) for n in range(workers)], duration=duration, max_each=max_each)
    finally:
        await pool.close()


async def weight(port: int, path: str, cookies=None) -> tuple[int, int]:
    """(bytes of the page's HTML, bytes of the HTML plus its stylesheets and scripts)."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30, cookies=cookies) as client:
        response = await client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        html = len(response.content)
        total = html
        for asset in sorted(set(ASSET.findall(response.text))):
            total += len((await client.get(asset)).content)
    return html, total
