"""Writes a wrk Lua script that requests the dev queries in turn, and
prints the first request's path.

    python3 bench/wrk_queries.py [--form] QUERIES.jsonl OUT.lua PATH

Every query of the file, with its birth year if it has one, as a GET of
PATH, one after another, forever. `--form` sends `birth_year=` even when
empty, as the search form does. Used by run.sh (make bench),
http_search.sh and ab_http.sh.
"""
import json
import sys
import urllib.parse

args = sys.argv[1:]
form = args[0] == "--form"
queries, out, path = args[1:] if form else args
paths = []
for line in open(queries, encoding="utf-8"):
    if not line.strip():
        continue
    q = json.loads(line)
    params = {"q": q["query"]}
    if q["birth_year"] or form:
        params["birth_year"] = q["birth_year"] or ""
    paths.append(path + "?" + urllib.parse.urlencode(params))
with open(out, "w") as f:
    f.write("local paths = {\n" + ",\n".join(json.dumps(p) for p in paths) + "\n}\n")
    f.write("local i = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n")
print(paths[0])
