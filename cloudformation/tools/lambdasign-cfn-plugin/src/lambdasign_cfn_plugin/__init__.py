"""cloudformation-cli language plugin for the prebuilt Rust handler.

Every LambdaSign type and the hook run one binary, `bootstrap` on Lambda's
`provided.al2023` runtime. There is nothing to generate: `cfn validate` and
`cfn test` only need the project's language to be an installed plugin, and
`cfn submit --dry-run` asks it to package: it writes `handler.zip` holding
`bootstrap` (mode 0755), the layout the Go plugin uses.

The binary is the file named by $LAMBDASIGN_CFN_BINARY (scripts/cfn-package.sh
builds it and sets it). To package several types with one binary, make
handler.zip once (`python -m lambdasign_cfn_plugin BINARY HANDLER_ZIP`) and
name it in $LAMBDASIGN_CFN_HANDLER_ZIP instead.
"""
import io
import logging
import os
import stat
import zipfile
from pathlib import Path

from rpdk.core.exceptions import InternalError
from rpdk.core.plugin_base import LanguagePlugin

LOG = logging.getLogger(__name__)

LANGUAGE = "lambdasign-rust"
RUNTIME = "provided.al2023"
ENTRY_POINT = "bootstrap"
BINARY_VARIABLE = "LAMBDASIGN_CFN_BINARY"
HANDLER_ZIP_VARIABLE = "LAMBDASIGN_CFN_HANDLER_ZIP"
# Fixed timestamps: the same binary gives the same handler.zip.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class RustBinaryLanguagePlugin(LanguagePlugin):
    MODULE_NAME = __name__
    NAME = LANGUAGE
    RUNTIME = RUNTIME
    ENTRY_POINT = ENTRY_POINT

    def init(self, project):
        project.runtime = RUNTIME
        project.entrypoint = ENTRY_POINT
        project.test_entrypoint = ENTRY_POINT
        project.settings.setdefault("protocolVersion", "2.0.0")

    def generate(self, project):
        LOG.debug("%s: nothing to generate for %s", LANGUAGE, project.type_name)

    def package(self, project, zip_file):
        prebuilt = os.environ.get(HANDLER_ZIP_VARIABLE)
        if prebuilt:
            data = Path(prebuilt).read_bytes()
            check_handler_zip(data)
        else:
            binary = os.environ.get(BINARY_VARIABLE)
            if not binary or not Path(binary).is_file():
                raise InternalError(f"set {BINARY_VARIABLE} to the built bootstrap binary (got {binary!r})")
            data = handler_zip(Path(binary))
        zip_file.writestr("handler.zip", data)

    def get_plugin_information(self, project):
        return {"plugin-tool-version": "0.1.0", "plugin-name": LANGUAGE}


def handler_zip(binary):
    """handler.zip: `bootstrap` at the root, mode 0755, as provided.al2023 runs it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, mode="w", compression=zipfile.ZIP_DEFLATED) as inner:
        info = zipfile.ZipInfo(ENTRY_POINT, date_time=ZIP_TIME)
        info.external_attr = (stat.S_IFREG | 0o755) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = 3  # unix: Lambda honours the mode bits
        inner.writestr(info, binary.read_bytes())
    return buffer.getvalue()


def check_handler_zip(data):
    with zipfile.ZipFile(io.BytesIO(data)) as inner:
        mode = inner.getinfo(ENTRY_POINT).external_attr >> 16
        if inner.namelist() != [ENTRY_POINT] or stat.S_IMODE(mode) != 0o755:
            raise InternalError(f"handler.zip must hold only {ENTRY_POINT}, mode 0755")


def setup_subparser(subparsers, parents):
    parser = subparsers.add_parser(
        LANGUAGE,
        description="Prebuilt Rust bootstrap handler (provided.al2023)",
        parents=parents,
    )
    parser.set_defaults(language=LANGUAGE)
    return parser
