"""`askfirst classify --raw FILE`: a saved request is read by askfirstd's own
HTTP session (src/http/raw_request.h), so the dry run judges what askfirstd
would judge and refuses what askfirstd would refuse (issue 12: the tested
code is the code that runs). A file saved with bare LF line ends is read."""
import json
import subprocess

import pytest

from conftest import ASKFIRST

MUTATION = '{"query":"mutation { deleteRepository(input: {id: 1}) { clientMutationId } }"}'

ROWS = [
    # name, file bytes, exit status, what stdout or stderr holds
    ("a GraphQL mutation saved with bare LF is read with its body",
     f"POST /graphql HTTP/1.1\nHost: api.github.com\nContent-Type: application/json\n"
     f"Content-Length: {len(MUTATION)}\n\n{MUTATION}", 0, '"tier":"destructive"'),
    ("a chunked body is de-chunked as askfirstd does",
     "POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Type: application/json\r\n"
     f"Transfer-Encoding: chunked\r\n\r\n{len(MUTATION):x}\r\n{MUTATION}\r\n0\r\n\r\n", 0, '"tier":"destructive"'),
    ("two Host headers: refused before judging, as askfirstd refuses them",
     "DELETE /repos/o/r HTTP/1.1\r\nHost: example.test\r\nHost: api.github.com\r\n\r\n", 2,
     "askfirstd would refuse this request with 400"),
    ("Content-Length with chunked: refused (a smuggling shape)",
     "POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
     2, "askfirstd would refuse this request with 400"),
    ("a body cut short: askfirstd would wait for the rest, so nothing is judged",
     "POST /graphql HTTP/1.1\r\nHost: api.github.com\r\nContent-Length: 400\r\n\r\n{\"query\":", 2, "incomplete"),
]


@pytest.mark.parametrize("name,raw,status,says", ROWS, ids=[row[0] for row in ROWS])
def test_classify_raw_reads_a_saved_request_as_askfirstd_does(tmp_path, name, raw, status, says):
    saved = tmp_path / "request.http"
    saved.write_bytes(raw.encode())
    run = subprocess.run([ASKFIRST, "classify", "--raw", str(saved)], capture_output=True, text=True, timeout=30)
    assert run.returncode == status, run.stdout + run.stderr
    assert says in (run.stdout if status == 0 else run.stderr), run.stdout + run.stderr
    if status == 0:
        assert json.loads(run.stdout)["provider"] == "github-graphql"
