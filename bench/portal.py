"""The public portal with 100,000 notices: the search page, a notice page, and pages' weight.

Pages are fetched by a few workers, each with its keep-alive connection (``bench.load``'s lean
client: httpx would take more of the machine's two cores than the server it measures), for a few
seconds, spread over the web processes, twice: cold, each page asked for once (its content is not in the portal's
cache yet, as for a crawler or a visitor's first look at most of 100,000 notices), then warm,
pages asked for again at random among some the cold run has cached. Baseline: the page's bare SQL (the full-text count and first page of
the search, or the notice with its lot and item) run by psycopg in the same harness with the
same concurrency, i.e. the database's share of the page.
"""

from __future__ import annotations

import random
import re
from urllib.parse import quote

import httpx

from bench.load import HttpConnection, LoadResult, closed_loop

COLD_PAGES = 2000  # distinct searches, and notices, each asked for once with a cold cache
WARM_PAGES = 100  # of those, asked for again at random with a warm cache
PRIMER_PAGES = 40  # of those, kept out of the runs to warm the server up
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


def search_path(text: str, page: int = 1) -> str:
    query = [f"q={quote(text)}"] if text else []
    query += [f"page={page}"] if page > 1 else []
    return "/fr/notices/" + ("?" + "&".join(query) if query else "")


def cold_searches(count: int, notices: int) -> list[str]:
    """``count`` distinct searches in a fixed random order: the bench's words, alone and with a place,
    on their first pages, and references."""
    from bench.data import PLACES, WORDS_EN, WORDS_FR

    words = [phrase.split()[0] for phrase in WORDS_FR + WORDS_EN]
    texts = SEARCHES + words + [f"{word} {place}" for word in words for place in PLACES]
    paths = [search_path(text, page) for page in (1, 2, 3) for text in texts]
    chooser = random.Random(14)
    paths += [search_path(f"BP-{chooser.randrange(1, notices):06d}") for _ in range(count)]
    chooser.shuffle(paths)
    return list(dict.fromkeys(paths))[:count]


async def pages(
    ports: list[int],
    paths: list[str],
    *,
    workers: int,
    duration: float,
    max_each: int,
    cookies=None,
    once: bool = False,
) -> LoadResult:
    """Pages chosen at random among ``paths``, or, ``once``, each path in turn (each worker its share)."""
    if once:
        max_each = min(max_each, len(paths) // workers)
    connections = [HttpConnection(ports[number % len(ports)]) for number in range(workers)]
    headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())}
    headers = {name: value for name, value in headers.items() if value}

    def worker(number: int):
        connection = connections[number]
        chooser = random.Random(number)
        share = iter(paths[number::workers])

        async def operation() -> bool:
            path = next(share) if once else chooser.choice(paths)
            status, _headers, _body = await connection.request("GET", path, headers)
            if status != 200:
                raise RuntimeError(f"{status} on {path}")
            return True

        return operation

    try:
        return await closed_loop([worker(n) for n in range(workers)], duration=duration, max_each=max_each)
    finally:
        for connection in connections:
            await connection.close()


async def cold_then_warm(ports: list[int], paths: list[str], **options) -> tuple[LoadResult, LoadResult]:
    """Each page once, its content not cached yet; then the first few again and again, cached."""
    # First a few pages kept out of the runs, through each thread of each process: imports, templates.
    primer, paths = paths[-PRIMER_PAGES:], paths[:-PRIMER_PAGES]
    await pages(ports, primer, once=True, **options)
    cold = await pages(ports, paths, once=True, **options)
    warm_paths = paths[:WARM_PAGES]
    await pages(ports, warm_paths, once=True, **options)  # cached, however far the cold run went
    return cold, await pages(ports, warm_paths, **options)


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
