"""A burst of wrong logins against a real server: time, memory, and a real user's wait.

Each login attempt runs Argon2id (64 MiB, about 0.1-0.3 s). The bench starts `streamlit run
dashboard.py` on a store with two accounts, samples the server's resident memory every 50 ms,
sends ATTEMPTS wrong logins for one account at once from one address (127.0.0.3), then, while
the burst runs, one login with the right password for the other account from another address
(127.0.0.2), and reports how long the burst took, how the answers split (401 refused, 429
rate-limited, 503 busy), the server's memory before and at its peak, and the real user's wait.

    python -m bench.login                       # 30 attempts against this checkout
    python -m bench.login --root ../other/checkout --attempts 30
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"


def _rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _post_login(port: int, user: str, password: str, source: str) -> tuple[int, float]:
    """One login POST from the loopback address `source`; (status, seconds)."""
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300, source_address=(source, 0))
    try:
        body = urlencode({"username": user, "password": password, "next": "/"})
        conn.request(
            "POST", "/auth/login", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        status = conn.getresponse().status
    finally:
        conn.close()
    return status, time.perf_counter() - started


def run(root: Path, attempts: int) -> dict[str, object]:
    """Start a server from `root`, send the burst, stop the server; the measures."""
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.duckdb"
        env = {**os.environ, "CLINIC_DB": str(db), "CLINIC_KEY_FILE": str(Path(folder) / "k")}
        env["PYTHONPATH"] = str(root)
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from clinic import auth; from clinic.store import Store;"
                "s = Store(sys.argv[1]); auth.add_user(s, 'bench', 'staff', sys.argv[2]);"
                "auth.add_user(s, 'bench2', 'staff', sys.argv[2]); s.close()",
                str(db),
                PASSWORD,
            ],
            cwd=root,
            env=env,
            check=True,
        )
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "dashboard.py",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the server did not start") from None
                    time.sleep(0.2)
            _post_login(port, "bench2", PASSWORD, "127.0.0.2")  # warm up before measuring
            before = _rss_mb(server.pid)
            peak = before
            sampling = True

            def sample() -> None:
                nonlocal peak
                while sampling:
                    peak = max(peak, _rss_mb(server.pid))
                    time.sleep(0.05)

            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.perf_counter()
            with ThreadPoolExecutor(attempts + 1) as pool:
                wrong = [
                    pool.submit(_post_login, port, "bench", "wrong password", "127.0.0.3")
                    for _ in range(attempts)
                ]
                time.sleep(0.2)
                real = pool.submit(_post_login, port, "bench2", PASSWORD, "127.0.0.2")
                answers = [f.result() for f in wrong]
                real_status, real_wait = real.result()
            elapsed = time.perf_counter() - started
            sampling = False
            sampler.join()
            return {
                "attempts": attempts,
                "answers": dict(Counter(status for status, _s in answers)),
                "burst seconds": round(elapsed, 2),
                "slowest answer seconds": round(max(s for _st, s in answers), 2),
                "server MB before": round(before),
                "server MB peak": round(peak),
                "real user's login": f"{real_status} in {real_wait:.2f} s",
            }
        finally:
            server.terminate()
            server.wait(10)


def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str]) -> int:
    """Run the bench and print its measures."""
    parser = argparse.ArgumentParser(prog="python -m bench.login", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout to serve")
    parser.add_argument("--attempts", type=int, default=30)
    args = parser.parse_args(argv)
    for name, value in run(args.root.resolve(), args.attempts).items():
        print(f"{name:>24}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
