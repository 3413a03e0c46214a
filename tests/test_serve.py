"""drrn serve-demo's file server: an allow-list, real paths inside their roots, no listings."""

import http.client
import socket
import threading
import time

import pytest

from drrn_tf_export.serve import IDLE_TIMEOUT_S, make_server


@pytest.fixture
def server(tmp_path):
    web = tmp_path / "web"
    (web / "node_modules" / "@litertjs" / "core" / "wasm").mkdir(parents=True)
    (web / "node_modules" / "@litertjs" / "wasm-utils").mkdir(parents=True)
    (web / "node_modules" / "@litertjs" / "core" / "wasm" / "rt.wasm").write_bytes(b"\0asm")
    (web / "node_modules" / "other.js").write_text("secret")
    (web / "tests").mkdir()
    (web / "tests" / "driver.mjs").write_text("test")
    (web / "index.html").write_text("<html>page</html>")
    (web / "app.js").write_text("app")
    (web / "outside").symlink_to("/etc")  # a planted link out of the tree
    (web / "node_modules" / "@litertjs" / "core" / "passwd").symlink_to("/etc/passwd")
    models = tmp_path / "models"
    models.mkdir()
    (models / "models.json").write_text('{"models": []}')
    (models / "m.tflite").write_bytes(b"TFL3")
    srv = make_server(models, port=0, web_root=web)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.putrequest("GET", path, skip_accept_encoding=True)
    c.endheaders()
    r = c.getresponse()
    return r.status, r.read(), dict(r.getheaders())


def test_serves_the_allow_list_with_its_headers(server):
    for path, body in (
        ("/", b"<html>page</html>"),
        ("/app.js", b"app"),
        ("/models.json", b'{"models": []}'),
        ("/models/m.tflite", b"TFL3"),
        ("/vendor/litertjs/core/wasm/rt.wasm", b"\0asm"),
    ):
        status, got, headers = get(server, path)
        assert (status, got) == (200, body), path
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cross-Origin-Embedder-Policy"] == "require-corp"


@pytest.mark.parametrize(
    "path,status",
    [
        ("/outside/passwd", 404),
        ("/vendor/litertjs/core/passwd", 404),
        ("/vendor/litertjs/../other.js", 400),
        ("/node_modules/other.js", 404),
        ("/tests/driver.mjs", 404),
        ("/vendor/litertjs/core/", 404),
        ("/models/", 404),
        ("/%00", 400),
        ("/app.js%00.html", 400),
        ("/%2e%2e/%2e%2e/etc/passwd", 400),
        ("/%ff", 400),
        ("/models/../../etc", 400),
    ],
)
def test_refuses_everything_else(server, path, status):
    assert get(server, path)[0] == status


def test_idle_connections_are_closed(server, monkeypatch):
    import drrn_tf_export.serve

    assert drrn_tf_export.serve._Handler.timeout == IDLE_TIMEOUT_S
    monkeypatch.setattr(drrn_tf_export.serve._Handler, "timeout", 2)  # the same mechanism, quicker
    s = socket.create_connection(("127.0.0.1", server))
    s.sendall(b"GET / HTTP/1.1\r\n")  # half a request, then silence
    s.settimeout(30)
    t = time.time()
    assert s.recv(1024) == b""  # closed by the server
    assert time.time() - t < 10
    s.close()


def test_a_client_reset_is_not_a_traceback(tmp_path, capfd):
    import struct

    web = tmp_path / "web"
    for d in ("core/wasm", "wasm-utils"):
        (web / "node_modules" / "@litertjs" / d).mkdir(parents=True)
    (web / "index.html").write_text("<html>page</html>")
    models = tmp_path / "models"
    models.mkdir()
    (models / "big.tflite").write_bytes(b"\0" * 32 * 2**20)  # more than the socket buffers hold
    srv = make_server(models, port=0, web_root=web)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", srv.server_address[1]))
            s.sendall(b"GET /models/big.tflite HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(1024)  # the download has started
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # reset, mid-download (a browser cancelling it)
        time.sleep(1.0)
        assert get(srv.server_address[1], "/index.html")[0] == 200  # still serving
    finally:
        srv.shutdown()
        srv.server_close()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Error" not in err, err
