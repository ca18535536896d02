#!/usr/bin/env python3
"""tests/bench/classify_bench_route_sweep.py — synthetic requests from the
generated route tables, for checking that a change to route matching (the
tries behind classifiers/github_routes.cpp, search_engine_routes.cpp,
digitalocean.cpp) names every request as the previous build did.

Each template of the GitHub, Elasticsearch/OpenSearch and DigitalOcean tables
becomes a few requests: parameters filled with ordinary, multi-segment,
percent-encoded and empty values; some paths lengthened (up to 70 extra
segments: the spanning-parameter budget), shortened, doubled slashes or a
trailing slash; every method; hosts that pick each provider. Output: corpus
JSON Lines on stdout (every record "expect": "write": only the output of two
builds is compared, not the tier agreement).

    tests/bench/classify_bench_route_sweep.py --seed 1 > /tmp/sweep.jsonl
    OLD/askfirst classify /tmp/sweep.jsonl > /tmp/old.out
    build/askfirst classify /tmp/sweep.jsonl > /tmp/new.out
    diff /tmp/old.out /tmp/new.out

Nothing is sent anywhere; the requests are only classified offline.
"""
import argparse
import json
import pathlib
import random
import re

CLASSIFIERS = pathlib.Path(__file__).resolve().parent.parent.parent / "classifiers"
TABLES = {
    "github": CLASSIFIERS / "generated" / "github_routes.inc",
    "search": CLASSIFIERS / "search_engine_routes.inc",
    "digitalocean": CLASSIFIERS / "digitalocean_routes.inc",
}
HOSTS = {
    "github": ["api.github.com", "ghes.example.com"],  # the second takes the /api/v3 prefix
    "search": ["prod-logs.es.us-central1.gcp.cloud.es.io", "es-prod.internal:9200", "search.internal",
               "search-logs.us-east-1.es.amazonaws.com"],
    "digitalocean": ["api.digitalocean.com"],
}
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]
PARAMETER_VALUES = ["acme", "x1", "_all", "_doc", "heads/feature/x", "a/b/c", "%5Fbulk", "repos", "v2", "",
                    "main", "{}", "_search"]
# The longest extra tail: beyond GitHub's 64-segment bound, so both sides of it are met.
MAX_EXTRA_SEGMENTS = 70


def templates(table: pathlib.Path) -> list[str]:
    """The path template of each row: the first quoted string that starts with '/'."""
    found = []
    for line in table.read_text().splitlines():
        for text in re.findall(r'"([^"]*)"', line):
            if text.startswith("/"):
                found.append(text)
                break
    return found


def is_parameter(segment: str) -> bool:
    return len(segment) >= 2 and segment[0] == "{" and segment[-1] == "}"


def instantiate(template: str, rng: random.Random) -> str:
    path = "/".join(rng.choice(PARAMETER_VALUES) if is_parameter(s) else s for s in template.split("/"))
    shape = rng.random()
    if shape < 0.10:
        path += "/extra"
    elif shape < 0.15:
        path += "/"
    elif shape < 0.20:
        path = path.rsplit("/", 1)[0] or "/"
    elif shape < 0.25:
        path = path.replace("/", "//", 1)
    elif shape < 0.28:
        path += "/x" * rng.randint(1, MAX_EXTRA_SEGMENTS)
    return path if path.startswith("/") else "/" + path


def records(rng: random.Random, per_template: int):
    for kind, table in TABLES.items():
        for template in templates(table):
            for _ in range(per_template):
                host = rng.choice(HOSTS[kind])
                path = instantiate(template, rng)
                if host == "ghes.example.com":
                    path = "/api/v3" + path
                method = rng.choice(METHODS)
                headers = {"Host": host}
                if kind == "search" and rng.random() < 0.3:
                    headers["User-Agent"] = "opensearch-py/2.0"
                body = "{}" if method in ("POST", "PUT", "PATCH") else ""
                if body:
                    headers["Content-Type"] = "application/json"
                yield {"request": {"method": method, "host": host, "path": path, "query": "", "headers": headers,
                                   "body": body}, "expect": "write"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-template", type=int, default=3, help="requests per route template")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    for record in records(rng, args.per_template):
        print(json.dumps(record))


if __name__ == "__main__":
    main()
