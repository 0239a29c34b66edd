"""python -m lambdasign_cfn_plugin BINARY HANDLER_ZIP: writes handler.zip once."""
import sys
from pathlib import Path

from . import handler_zip

if len(sys.argv) != 3:
    sys.exit("usage: python -m lambdasign_cfn_plugin BINARY HANDLER_ZIP")
Path(sys.argv[2]).write_bytes(handler_zip(Path(sys.argv[1])))
