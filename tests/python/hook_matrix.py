"""The deployment-hook matrix's world, made on `serve` with boto3 as three
accounts would make it, and Lambda's verdict on every cell: what `serve`
(acting as Lambda) answers to CreateFunction with that code, those layers and
that code signing config. Prints the cells as JSON on stdout; the Rust test
(tests/hook_matrix.rs) puts each before the hook and compares.

Run:  python hook_matrix.py ENDPOINT_URL
"""

import datetime
import io
import json
import sys
import time
import zipfile

import boto3
import botocore.config
import botocore.exceptions

ENDPOINT = sys.argv[1]
FN, CENTRAL, PUB = "222222222222", "111111111111", "333333333333"
PLATFORM = "AWSLambda-SHA384-ECDSA"
ROLE = f"arn:aws:iam::{FN}:role/exec"
CONFIG = botocore.config.Config(retries={"max_attempts": 1}, inject_host_prefix=False)


def client(service, account):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="secret",
        config=CONFIG,
    )


def make_zip(path, text):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(path, text)
    return buffer.getvalue()


def flip_content_byte(signed):
    """The signed zip with one byte of its stored file data changed (the
    signature kept): what re-zipping with one byte changed amounts to."""
    data = bytearray(signed)
    at = data.find(b"handler")
    data[at] ^= 0x20
    return bytes(data)


class Account:
    def __init__(self, account):
        self.id = account
        self.signer = client("signer", account)
        self.lam = client("lambda", account)
        self.s3 = client("s3", account)

    def bucket(self, name):
        self.s3.create_bucket(Bucket=name)
        self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        return name

    def profile(self, name):
        return self.signer.put_signing_profile(profileName=name, platformId=PLATFORM)["profileVersionArn"]

    def sign(self, bucket, body, profile, owner=None, key=None):
        """Uploads `body`, signs it, waits; (job id, signed key, signed bytes)."""
        key = key or f"unsigned/{time.time_ns()}.zip"
        version = self.s3.put_object(Bucket=bucket, Key=key, Body=body)["VersionId"]
        args = dict(
            source={"s3": {"bucketName": bucket, "key": key, "version": version}},
            destination={"s3": {"bucketName": bucket, "prefix": "signed/"}},
            profileName=profile,
        )
        if owner:
            args["profileOwner"] = owner
        job = self.signer.start_signing_job(**args)["jobId"]
        self.signer.get_waiter("successful_signing_job").wait(jobId=job, WaiterConfig={"Delay": 1})
        signed_key = f"signed/{job}.zip"
        signed = self.s3.get_object(Bucket=bucket, Key=signed_key)["Body"].read()
        return job, signed_key, signed


fn, central, pub = Account(FN), Account(CENTRAL), Account(PUB)
artifacts = fn.bucket("fn-artifacts")
copies = fn.bucket("fn-copies")
layers_bucket = pub.bucket("pub-layers")

fn_profile = fn.profile("fn_profile")
outsider = fn.profile("outsider_profile")
revoked_after = fn.profile("revoked_after_profile")
revoked_before = fn.profile("revoked_before_profile")
central_profile = central.profile("central_profile")
for action in ("signer:StartSigningJob", "signer:GetSigningProfile"):
    central.signer.add_profile_permission(
        profileName="central_profile", action=action, principal=FN,
        statementId=action.split(":")[1],
    )
pub_profile = pub.profile("pub_profile")

code = make_zip("index.py", "def handler(event, context):\n    return 1\n")
unsigned = make_zip("index.py", "def handler(event, context):\n    return 'unsigned'\n")

cells = []


def cell(name, bucket, key, version=None, layers=()):
    cells.append({"name": name, "code": {"S3Bucket": bucket, "S3Key": key, **({"S3ObjectVersion": version} if version else {})}, "layers": list(layers)})


# Function code.
job, key, signed = fn.sign(artifacts, code, "fn_profile")
good = (artifacts, key)
cell("signed by the function account's profile", *good)
_, ckey, _ = fn.sign(artifacts, code, "central_profile", owner=CENTRAL)
cell("signed with another account's central profile (profile permission)", artifacts, ckey)
fn.s3.copy_object(Bucket=copies, Key="ci/build-42.zip", CopySource={"Bucket": artifacts, "Key": key})
cell("a signed zip copied to another bucket and key", copies, "ci/build-42.zip")
_, okey, _ = fn.sign(artifacts, code, "fn_profile")
fn.s3.put_object(Bucket=artifacts, Key=okey, Body=unsigned)
cell("unsigned bytes written over the key Signer wrote", artifacts, okey)
fn.s3.put_object(Bucket=artifacts, Key="tampered/app.zip", Body=flip_content_byte(signed))
cell("a signed zip with one byte of its content changed", artifacts, "tampered/app.zip")
fn.s3.put_object(Bucket=artifacts, Key="plain/app.zip", Body=unsigned)
cell("unsigned", artifacts, "plain/app.zip")
_, rkey, _ = fn.sign(artifacts, code, "revoked_after_profile")
fn.signer.revoke_signing_profile(
    profileName="revoked_after_profile", profileVersion=revoked_after.rsplit("/", 1)[1],
    reason="key compromised",
    effectiveTime=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1),
)
cell("profile revoked, signed after the revocation's effective time", artifacts, rkey)
_, bkey, _ = fn.sign(artifacts, code, "revoked_before_profile")
time.sleep(2.1)  # Revocations take effect at or before now: one after the signature.
fn.signer.revoke_signing_profile(
    profileName="revoked_before_profile", profileVersion=revoked_before.rsplit("/", 1)[1],
    reason="rotated",
    effectiveTime=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1),
)
cell("profile revoked, signed before the revocation's effective time", artifacts, bkey)
jjob, jkey, _ = fn.sign(artifacts, code, "fn_profile")
fn.signer.revoke_signature(jobId=jjob, reason="bad build")
cell("job revoked", artifacts, jkey)
_, xkey, _ = fn.sign(artifacts, code, "outsider_profile")
cell("publisher not in the code signing config", artifacts, xkey)
v1 = fn.s3.put_object(Bucket=artifacts, Key="pinned/app.zip", Body=signed)["VersionId"]
fn.s3.put_object(Bucket=artifacts, Key="pinned/app.zip", Body=unsigned)
cell("S3ObjectVersion: the signed version", artifacts, "pinned/app.zip", v1)
cell("S3ObjectVersion: none, the current version is a later unsigned overwrite", artifacts, "pinned/app.zip")
cell("S3ObjectVersion: one that does not exist", artifacts, "pinned/app.zip", "3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY")

# Layers (with good code).
layer_code = make_zip("python/lib.py", "def handler():\n    return 'layer'\n")


def publish(name, body, grant=True):
    pub.s3.put_object(Bucket=layers_bucket, Key=f"layers/{name}.zip", Body=body)
    arn = pub.lam.publish_layer_version(
        LayerName=name, Content={"S3Bucket": layers_bucket, "S3Key": f"layers/{name}.zip"},
    )["LayerVersionArn"]
    if grant:
        pub.lam.add_layer_version_permission(
            LayerName=name, VersionNumber=int(arn.rsplit(":", 1)[1]),
            StatementId="fn-account", Action="lambda:GetLayerVersion", Principal=FN,
        )
    return arn


_, _, signed_layer = pub.sign(layers_bucket, layer_code, "pub_profile")
granted = publish("shared", signed_layer)
not_granted = publish("private", signed_layer, grant=False)
tampered_layer = publish("tampered", flip_content_byte(signed_layer))
unsigned_layer = publish("unsigned", layer_code)
cell("layers: none", *good)
cell("layers: another account's, signed with its profile and granted", *good, layers=[granted])
cell("layers: another account's, not granted", *good, layers=[not_granted])
cell("layers: a tampered layer", *good, layers=[tampered_layer])
cell("layers: an unsigned layer", *good, layers=[unsigned_layer])
cell("layers: two, one tampered", *good, layers=[granted, tampered_layer])

# Lambda's verdict on each, under each policy.
cscs = {
    policy: fn.lam.create_code_signing_config(
        AllowedPublishers={"SigningProfileVersionArns": [fn_profile, central_profile, pub_profile, revoked_after, revoked_before]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": policy},
    )["CodeSigningConfig"]["CodeSigningConfigArn"]
    for policy in ("Warn", "Enforce")
}
out = []
for i, c in enumerate(cells):
    for policy, csc in cscs.items():
        name = f"matrix-{i}-{policy.lower()}"
        args = dict(
            FunctionName=name, Runtime="python3.12", Role=ROLE, Handler="index.handler",
            Code=c["code"], CodeSigningConfigArn=csc,
        )
        if c["layers"]:
            args["Layers"] = c["layers"]
        try:
            fn.lam.create_function(**args)
            verdict = "allowed"
            fn.lam.delete_function(FunctionName=name)
        except botocore.exceptions.ClientError as e:
            verdict = e.response["Error"]["Code"]
        out.append({**c, "policy": policy, "csc": csc, "lambda": verdict})
json.dump(out, sys.stdout, indent=1)
