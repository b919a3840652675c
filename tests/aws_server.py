"""The AWS CLI, warmed up once, for the test suite.

Each `aws` invocation of the tests (their own checks, and every call the
exported setup.sh makes) would start a Python interpreter and import the
AWS CLI again: most of the suite's CPU time. This server imports it once and
forks a child per invocation, which runs the real CLI driver with the
caller's working directory, environment and arguments, so each call behaves
exactly as `aws ARGS` would.

Protocol (tests/it/common/mod.rs writes the `aws` shim that speaks it): the
client connects to 127.0.0.1:PORT and sends NUL-terminated fields: its
working directory, a scratch directory, each environment entry as
NAME=VALUE, an empty field, each argument, then the field
"--sluice-end--". The child writes the CLI's stdout and stderr to `out` and
`err` in the scratch directory and answers with the exit code and a newline.
The server prints its port on stdout and stops when stdin closes.
"""

import os
import signal
import socket
import sys
import threading

from awscli.clidriver import create_clidriver

END = b"--sluice-end--"

# The AWS CLI adds its own data directory to AWS_DATA_PATH when imported.
AWSCLI_DATA = os.environ["AWS_DATA_PATH"].split(os.pathsep)[-1]

# One data loader for every child, its service models read once, here: the
# children would each parse the same large JSON models again.
import botocore.loaders  # noqa: E402

LOADER = botocore.loaders.create_loader(os.environ["AWS_DATA_PATH"])
for _name in ("endpoints", "partitions", "sdk-default-configuration", "_retry", "cli"):
    try:
        LOADER.load_data(_name)
    except Exception:  # noqa: BLE001 (a missing file is loaded on demand)
        pass
for _service in ("iam", "s3", "sqs", "sts", "sns", "events", "cloudformation"):
    for _kind in ("service-2", "paginators-1", "waiters-2", "endpoint-rule-set-1"):
        try:
            LOADER.load_service_model(_service, _kind)
        except Exception:  # noqa: BLE001
            pass
botocore.session.create_loader = lambda *_args, **_kwargs: LOADER


def warm_up():
    """Runs one call per service against a closed port, so that what the CLI
    imports and builds on first use is in the parent, shared by every child."""
    saved = dict(os.environ)
    os.environ.update(
        AWS_ACCESS_KEY_ID="warm",
        AWS_SECRET_ACCESS_KEY="warm",
        AWS_DEFAULT_REGION="us-west-2",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_MAX_ATTEMPTS="1",
    )
    calls = [
        ["sts", "get-caller-identity"],
        ["iam", "list-roles"],
        ["s3api", "list-buckets"],
        ["sqs", "list-queues"],
        ["sns", "list-topics"],
        ["events", "list-rules"],
        ["cloudformation", "list-stacks"],
    ]
    null = os.open(os.devnull, os.O_WRONLY)
    out, err = os.dup(1), os.dup(2)
    os.dup2(null, 1)
    os.dup2(null, 2)
    try:
        for args in calls:
            try:
                create_clidriver().main(args + ["--endpoint-url", "http://127.0.0.1:9"])
            except BaseException:  # noqa: BLE001 (a refused call is the point)
                pass
    finally:
        sys.stdout.flush()
        os.dup2(out, 1)
        os.dup2(err, 2)
        for fd in (out, err, null):
            os.close(fd)
        os.environ.clear()
        os.environ.update(saved)


def read_request(conn):
    data = b""
    while not data.endswith(b"\0" + END + b"\0"):
        chunk = conn.recv(65536)
        if not chunk:
            raise EOFError("the client went away mid-request")
        data += chunk
    fields = data.split(b"\0")[:-2]
    cwd, scratch = fields[0].decode(), fields[1].decode()
    env = {}
    i = 2
    while fields[i] != b"":
        name, _, value = fields[i].decode().partition("=")
        env[name] = value
        i += 1
    args = [f.decode() for f in fields[i + 1 :]]
    return cwd, scratch, env, args


def serve_one(conn):
    try:
        cwd, scratch, env, args = read_request(conn)
        out = os.open(os.path.join(scratch, "out"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        err = os.open(os.path.join(scratch, "err"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.close(out)
        os.close(err)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        sys.stdout = os.fdopen(1, "w", closefd=False)
        sys.stderr = os.fdopen(2, "w", closefd=False)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        given = [p for p in env.get("AWS_DATA_PATH", "").split(os.pathsep) if p]
        os.environ["AWS_DATA_PATH"] = os.pathsep.join(given + [AWSCLI_DATA])
        try:
            code = create_clidriver().main(args)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException as e:  # the client must get an answer whatever happened
        try:
            os.write(2, f"aws_server: {e!r}\n".encode())
        except OSError:
            pass
        code = 255
    try:
        conn.sendall(f"{code}\n".encode())
    finally:
        conn.close()


def reap(*_):
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main():
    warm_up()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    signal.signal(signal.SIGCHLD, reap)
    # Stop when the test process that started us is gone (stdin closes).
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    while True:
        try:
            conn, _ = listener.accept()
        except InterruptedError:
            continue
        pid = os.fork()
        if pid == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            serve_one(conn)
            os._exit(0)
        conn.close()


if __name__ == "__main__":
    main()
