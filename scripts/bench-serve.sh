#!/usr/bin/env bash
# serve's bounds, measured: peak memory for 1 GiB up (single PUT and
# multipart `aws s3 cp`) and down (GET), beside the object's size; the time
# a stalled client holds a connection; CPU while file descriptors are
# exhausted. Release build; the AWS CLI from $LAMBDASIGN_AWS_VENV (default
# target/aws-venv, which scripts/test.sh makes). ~1 min, 3 GiB in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
BIN=$PWD/target/release/terraform-provider-lambdasign
AWS=${LAMBDASIGN_AWS_VENV:-$PWD/target/aws-venv}/bin/aws
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT
export AWS_ACCESS_KEY_ID=111111111111 AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(port)
"$BIN" serve --listen 127.0.0.1:$P --store "$W/store" >/dev/null 2>"$W/log" &
SP=$!
sleep 1
hwm() { awk '/VmHWM/ {print int($2/1024)}' /proc/$SP/status; }
head -c 1073741824 /dev/urandom > "$W/1g.bin"
aws() { "$AWS" --endpoint-url http://127.0.0.1:$P "$@"; }
echo "| figure | value |"
echo "|---|---|"
echo "| object size | 1024 MiB |"
echo "| serve peak RSS at start | $(hwm) MiB |"
aws s3api create-bucket --bucket big >/dev/null
aws s3api put-object --bucket big --key one.bin --body "$W/1g.bin" >/dev/null
echo "| peak RSS after a 1 GiB single PUT | $(hwm) MiB |"
aws s3 cp --only-show-errors "$W/1g.bin" s3://big/multi.bin
echo "| peak RSS after a 1 GiB aws s3 cp (multipart, 10 parts at once) | $(hwm) MiB |"
aws s3api get-object --bucket big --key one.bin "$W/back.bin" >/dev/null
cmp -s "$W/1g.bin" "$W/back.bin"
echo "| peak RSS after a 1 GiB GET (bytes identical) | $(hwm) MiB |"
rm -f "$W/1g.bin" "$W/back.bin"
python3 - "$P" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # half a request, then nothing
t = time.time(); s.settimeout(60); s.recv(100)
print(f"| a stalled connection is closed after | {time.time() - t:.1f} s |")
PY
kill $SP; wait $SP 2>/dev/null || true
P=$(port)
prlimit --nofile=64:64 "$BIN" serve --listen 127.0.0.1:$P --store "$W/store2" >/dev/null 2>"$W/log2" &
SP=$!
sleep 1
python3 - "$SP" "$P" <<'PY'
import socket, sys, time
pid, port = int(sys.argv[1]), int(sys.argv[2])
def cpu():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / 100.0
held = []
for _ in range(200):
    try:
        held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
    except OSError:
        pass
c0 = cpu(); time.sleep(10); c1 = cpu()
print(f"| CPU with descriptors exhausted (limit 64, {len(held)} connections held, 10 s) | {c1 - c0:.2f} CPU-s ({(c1 - c0) * 10:.1f}% of a core) |")
PY
kill $SP; wait $SP 2>/dev/null || true
echo "| log written meanwhile | $(wc -l < "$W/log2") lines, $(wc -c < "$W/log2") bytes |"
