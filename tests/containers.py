"""podman for the tests that build and run images (tests/test_container.py,
tests/test_compose.py): the test's own storage, a Debian base made by debootstrap, the
image of the Containerfile built with pip reading a local package index.

No image can be pulled here, so the base (the Containerfile's BASE argument) is made
from Debian's own packages: debootstrap of the running release with python3 and its
venv module, imported as an image. pip in the build reads a package index served
from this process (PIP_INDEX_URL), filled by `pip download` on the host.

The base image and the build's layers are kept between runs in
$XDG_CACHE_HOME/tutor-tests/containers (podman --root): the first run takes minutes
(debootstrap), later ones rebuild only what changed. `make test` installs podman,
runc, debootstrap and podman-compose (make container-tools)."""
import collections
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.processes import ROOT

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tutor-tests"
# podman's run state: on /tmp (emptied at boot, as podman expects), one fixed place
# because podman's database remembers it.
RUN_STATE = Path(tempfile.gettempdir()) / f"tutor-tests-podman-{os.getuid()}"
IMAGE = "localhost/tutor-test:latest"
INDEX_PORT = 38517


def release():
    fields = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().split("\n")
                  if "=" in line)
    return fields["ID"].strip('"'), fields["VERSION_CODENAME"].strip('"')


def required(path, package):
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"{path} is missing: `make test` installs it (apt-get install {package})")


class Podman:
    """podman with the test's storage and settings: runc (crun refuses hosts with
    hybrid cgroups), and the limits this process has (podman's defaults raise them,
    which needs CAP_SYS_RESOURCE a sandboxed machine may not grant). `wrapper` is an
    executable that runs podman so, for programs that call podman themselves
    (podman-compose --podman-path)."""

    def __init__(self):
        required("/usr/bin/podman", "podman")
        required("/usr/sbin/runc", "runc")
        RUN_STATE.mkdir(mode=0o700, exist_ok=True)
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)
        nproc = min(resource.getrlimit(resource.RLIMIT_NPROC)[0], 4096)
        conf = RUN_STATE / "containers.conf"
        conf.write_text(f'[containers]\ndefault_ulimits = ["nofile={nofile[0]}:{nofile[1]}", '
                        f'"nproc={nproc}:{nproc}"]\n[engine]\nruntime = "runc"\n'
                        f'tmp_dir = "{RUN_STATE / "libpod"}"\n')
        self.env = {**os.environ, "CONTAINERS_CONF": str(conf)}
        self.base = ["podman", "--root", str(CACHE / "containers"),
                     "--runroot", str(RUN_STATE / "run")]
        self.wrapper = RUN_STATE / "podman"
        self.wrapper.write_text(f'#!/bin/sh\nexport CONTAINERS_CONF="{conf}"\nexec /usr/bin/'
                                + " ".join(self.base) + ' "$@"\n')
        self.wrapper.chmod(0o755)

    def __call__(self, *arguments, check=True, timeout=600, **kwargs):
        result = subprocess.run([*self.base, *arguments], env=self.env, capture_output=True,
                                text=True, timeout=timeout, **kwargs)
        if check:
            assert result.returncode == 0, f"podman {arguments[0]}: {result.stderr[-3000:]}"
        return result


@pytest.fixture(scope="module")
def podman():
    return Podman()


def base_image(podman):
    """Debian's minimal system of the running release with python3 and venv, made
    once and kept in the test's podman storage."""
    distribution, codename = release()
    assert distribution == "debian", "the base is made with debootstrap: a Debian host"
    tag = f"localhost/tutor-test-base:{codename}"
    if podman("image", "exists", tag, check=False).returncode == 0:
        return tag
    required("/usr/sbin/debootstrap", "debootstrap")
    mirror = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
    with tempfile.TemporaryDirectory(prefix="tutor-base-") as root:
        made = subprocess.run(["debootstrap", "--variant=minbase",
                               "--include=python3,python3-venv", codename, root, mirror],
                              capture_output=True, text=True, timeout=1200)
        assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        podman("import", "-q", "-", tag, stdin=tar.stdout)
        assert tar.wait() == 0
    return tag


@pytest.fixture(scope="module")
def package_index(tmp_path_factory):
    """A PEP 503 index on 127.0.0.1 of requirements.txt's wheels, downloaded by the
    host's pip. async-timeout too: redis needs it on Python < 3.11.3, which Debian 12's
    3.11.2 is, and requirements.txt was frozen on a later 3.11."""
    wheels = CACHE / "wheels"
    download = subprocess.run([str(Path(sys.executable).parent / "pip"), "download", "-q",
                               "--disable-pip-version-check", "-d", str(wheels),
                               "-r", str(ROOT / "requirements.txt"), "async-timeout>=4.0.3"],
                              capture_output=True, text=True, timeout=600)
    assert download.returncode == 0, download.stderr[-3000:]
    index = tmp_path_factory.mktemp("index")
    projects = collections.defaultdict(list)
    for wheel in wheels.glob("*.whl"):
        projects[re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()].append(wheel)
    for project, files in projects.items():
        folder = index / "simple" / project
        folder.mkdir(parents=True)
        for wheel in files:
            (folder / wheel.name).symlink_to(wheel)
        (folder / "index.html").write_text(
            "".join(f'<a href="{wheel.name}">{wheel.name}</a>\n' for wheel in files))

    class Files(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = partial(Files, directory=str(index))
    try:  # the same address each run keeps the build's pip layer cached (its ARG)
        server = ThreadingHTTPServer(("127.0.0.1", INDEX_PORT), handler)
    except OSError:  # taken: another run at the same time
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple/"
    server.shutdown()
    server.server_close()


def build_image(podman, package_index, tag=IMAGE):
    """The Containerfile built on the debootstrap base (its layers cached)."""
    base = base_image(podman)
    # --network host: the build's pip reaches the index on this machine's 127.0.0.1.
    podman("build", "--pull=never", "--network", "host", "--format", "docker",
           "--build-arg", f"BASE={base}", "--build-arg", f"PIP_INDEX_URL={package_index}",
           "-t", tag, "-f", str(ROOT / "Containerfile"), str(ROOT), timeout=1800)
    return tag


@pytest.fixture(scope="module")
def image(podman, package_index):
    yield build_image(podman, package_index)
    podman("image", "prune", "-f", check=False)  # the layers of earlier builds
