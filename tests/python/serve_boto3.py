"""boto3 parses every operation `serve` emulates: one small test per
operation, each asserting the parsed fields and their types, plus the error
shapes (codes, modeled members, messages naming the field) and paginators.

Run by tests/serve_boto3.rs:  python serve_boto3.py ENDPOINT_URL
"""

import datetime
import io
import json
import sys
import unittest
import zipfile

import boto3
import botocore.config
import botocore.exceptions

ENDPOINT = sys.argv.pop(1) if len(sys.argv) > 1 else "http://127.0.0.1:4566"
OWNER = "111111111111"
OTHER = "222222222222"
ROLE = f"arn:aws:iam::{OWNER}:role/exec"
PLATFORM = "AWSLambda-SHA384-ECDSA"


def client(service, account=OWNER):
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="secret",
        config=botocore.config.Config(retries={"max_attempts": 1}),
    )


def make_zip(text):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("index.py", text)
    return buffer.getvalue()


class Fixture:
    """What the tests share: a profile, a versioned bucket, a signed zip,
    a code signing config, a function and a layer version."""

    counter = 0

    @classmethod
    def name(cls, prefix):
        cls.counter += 1
        return f"{prefix}{cls.counter}"

    @classmethod
    def setup(cls):
        cls.signer = client("signer")
        cls.lam = client("lambda")
        cls.s3 = client("s3")
        cls.profile = cls.signer.put_signing_profile(profileName="shared_profile", platformId=PLATFORM)
        cls.bucket = "boto3-fixtures"
        cls.s3.create_bucket(Bucket=cls.bucket)
        cls.s3.put_bucket_versioning(Bucket=cls.bucket, VersioningConfiguration={"Status": "Enabled"})
        cls.source = cls.s3.put_object(Bucket=cls.bucket, Key="src/function.zip", Body=make_zip("x = 1"))
        cls.job = cls.sign("shared_profile", "src/function.zip", cls.source["VersionId"])
        cls.signed_key = f"signed/{cls.job['jobId']}.zip"
        cls.signed = cls.s3.get_object(Bucket=cls.bucket, Key=cls.signed_key)["Body"].read()
        cls.csc = cls.lam.create_code_signing_config(
            AllowedPublishers={"SigningProfileVersionArns": [cls.profile["profileVersionArn"]]},
            CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"},
        )["CodeSigningConfig"]
        cls.function = cls.lam.create_function(
            FunctionName="shared-fn", Runtime="python3.12", Role=ROLE, Handler="index.handler",
            Code={"ZipFile": cls.signed}, CodeSigningConfigArn=cls.csc["CodeSigningConfigArn"],
        )
        cls.layer = cls.lam.publish_layer_version(
            LayerName="shared-layer", Content={"S3Bucket": cls.bucket, "S3Key": cls.signed_key},
            CompatibleRuntimes=["python3.12"],
        )

    @classmethod
    def sign(cls, profile, key, version):
        return cls.signer.start_signing_job(
            source={"s3": {"bucketName": cls.bucket, "key": key, "version": version}},
            destination={"s3": {"bucketName": cls.bucket, "prefix": "signed/"}},
            profileName=profile,
        )


def setUpModule():
    Fixture.setup()


class Signer(unittest.TestCase):
    def setUp(self):
        self.c = Fixture.signer

    def test_put_signing_profile(self):
        out = self.c.put_signing_profile(
            profileName=Fixture.name("put_"), platformId=PLATFORM,
            signatureValidityPeriod={"value": 2, "type": "YEARS"}, tags={"team": "a"},
        )
        self.assertEqual(len(out["profileVersion"]), 10)
        self.assertTrue(out["profileVersionArn"].startswith(out["arn"] + "/"))

    def test_get_signing_profile(self):
        out = self.c.get_signing_profile(profileName="shared_profile")
        self.assertEqual(out["status"], "Active")
        self.assertEqual(out["platformDisplayName"], "AWS Lambda")
        self.assertEqual(out["signatureValidityPeriod"], {"value": 135, "type": "MONTHS"})
        self.assertEqual(out["profileVersionArn"], Fixture.profile["profileVersionArn"])

    def test_list_signing_profiles(self):
        names = []
        for page in self.c.get_paginator("list_signing_profiles").paginate(PaginationConfig={"PageSize": 1}):
            names += [p["profileName"] for p in page["profiles"]]
        self.assertIn("shared_profile", names)

    def test_cancel_signing_profile(self):
        name = Fixture.name("cancel_")
        self.c.put_signing_profile(profileName=name, platformId=PLATFORM)
        self.c.cancel_signing_profile(profileName=name)
        self.assertEqual(self.c.get_signing_profile(profileName=name)["status"], "Canceled")
        listed = self.c.list_signing_profiles(includeCanceled=True)["profiles"]
        self.assertIn(name, [p["profileName"] for p in listed])

    def test_revoke_signing_profile(self):
        name = Fixture.name("revoke_")
        version = self.c.put_signing_profile(profileName=name, platformId=PLATFORM)["profileVersion"]
        when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
        self.c.revoke_signing_profile(profileName=name, profileVersion=version, reason="compromised", effectiveTime=when)
        out = self.c.get_signing_profile(profileName=name)
        self.assertEqual(out["status"], "Revoked")
        self.assertIsInstance(out["revocationRecord"]["revocationEffectiveFrom"], datetime.datetime)
        self.assertIsInstance(out["revocationRecord"]["revokedAt"], datetime.datetime)

    def test_add_profile_permission(self):
        name = Fixture.name("perm_")
        self.c.put_signing_profile(profileName=name, platformId=PLATFORM)
        out = self.c.add_profile_permission(profileName=name, action="signer:StartSigningJob", principal=OTHER, statementId="s1")
        self.assertTrue(out["revisionId"])

    def test_list_profile_permissions(self):
        name = Fixture.name("perms_")
        self.c.put_signing_profile(profileName=name, platformId=PLATFORM)
        rev = self.c.add_profile_permission(profileName=name, action="signer:GetSigningProfile", principal=OTHER, statementId="read")["revisionId"]
        out = self.c.list_profile_permissions(profileName=name)
        self.assertEqual(out["revisionId"], rev)
        self.assertIsInstance(out["policySizeBytes"], int)
        self.assertEqual(out["permissions"], [{"action": "signer:GetSigningProfile", "principal": OTHER, "statementId": "read"}])

    def test_remove_profile_permission(self):
        name = Fixture.name("unperm_")
        self.c.put_signing_profile(profileName=name, platformId=PLATFORM)
        rev = self.c.add_profile_permission(profileName=name, action="signer:GetSigningProfile", principal=OTHER, statementId="gone")["revisionId"]
        out = self.c.remove_profile_permission(profileName=name, statementId="gone", revisionId=rev)
        self.assertNotEqual(out["revisionId"], rev)
        with self.assertRaises(self.c.exceptions.ConflictException):
            self.c.remove_profile_permission(profileName=name, statementId="gone", revisionId=rev)

    def test_start_signing_job(self):
        version = Fixture.s3.put_object(Bucket=Fixture.bucket, Key="src/start.zip", Body=make_zip("y = 2"))["VersionId"]
        out = Fixture.sign("shared_profile", "src/start.zip", version)
        self.assertEqual(out["jobOwner"], OWNER)
        self.c.get_waiter("successful_signing_job").wait(jobId=out["jobId"], WaiterConfig={"Delay": 1, "MaxAttempts": 3})

    def test_describe_signing_job(self):
        out = self.c.describe_signing_job(jobId=Fixture.job["jobId"])
        self.assertEqual(out["status"], "Succeeded")
        self.assertIsInstance(out["createdAt"], datetime.datetime)
        self.assertIsInstance(out["signatureExpiresAt"], datetime.datetime)
        self.assertEqual(out["signedObject"]["s3"], {"bucketName": Fixture.bucket, "key": Fixture.signed_key})
        self.assertEqual(out["source"]["s3"]["version"], Fixture.source["VersionId"])

    def test_list_signing_jobs(self):
        ids = []
        for page in self.c.get_paginator("list_signing_jobs").paginate(status="Succeeded", PaginationConfig={"PageSize": 1}):
            ids += [j["jobId"] for j in page["jobs"]]
            for job in page["jobs"]:
                self.assertIsInstance(job["isRevoked"], bool)
        self.assertIn(Fixture.job["jobId"], ids)

    def test_revoke_signature(self):
        version = Fixture.s3.put_object(Bucket=Fixture.bucket, Key="src/revoke.zip", Body=make_zip("z = 3"))["VersionId"]
        job = Fixture.sign("shared_profile", "src/revoke.zip", version)["jobId"]
        self.c.revoke_signature(jobId=job, reason="leaked")
        out = self.c.describe_signing_job(jobId=job)
        self.assertEqual(out["revocationRecord"]["reason"], "leaked")
        self.assertIsInstance(out["revocationRecord"]["revokedAt"], datetime.datetime)

    def test_get_revocation_status_answers_another_account(self):
        version = Fixture.s3.put_object(Bucket=Fixture.bucket, Key="src/status.zip", Body=make_zip("z = 4"))["VersionId"]
        job_id = Fixture.sign("shared_profile", "src/status.zip", version)["jobId"]
        job = self.c.describe_signing_job(jobId=job_id)
        job_arn = f"arn:aws:signer:us-east-1:{OWNER}:/signing-jobs/{job_id}"
        version_arn = f"arn:aws:signer:us-east-1:{OWNER}:/signing-profiles/{job['profileName']}/{job['profileVersion']}"
        # Signer's model puts this call on the `data-` host; a local
        # endpoint has none, so the prefix is turned off.
        other = boto3.client(
            "signer", endpoint_url=ENDPOINT, region_name="us-east-1",
            aws_access_key_id=OTHER, aws_secret_access_key="secret",
            config=botocore.config.Config(retries={"max_attempts": 1}, inject_host_prefix=False),
        )
        with self.assertRaises(botocore.exceptions.ClientError):
            other.describe_signing_job(jobId=job_id)  # the job itself is not theirs to see

        def status():
            return other.get_revocation_status(
                signatureTimestamp=job["completedAt"], platformId=PLATFORM,
                profileVersionArn=version_arn, jobArn=job_arn, certificateHashes=["00"],
            )["revokedEntities"]

        self.assertEqual(status(), [])
        self.c.revoke_signature(jobId=job_id, reason="leaked")
        self.assertEqual(status(), [job_arn])

    def test_get_signing_platform(self):
        out = self.c.get_signing_platform(platformId=PLATFORM)
        self.assertEqual(out["signingConfiguration"]["hashAlgorithmOptions"]["defaultValue"], "SHA384")
        self.assertEqual(out["maxSizeInMB"], 250)

    def test_list_signing_platforms(self):
        out = self.c.list_signing_platforms()
        self.assertEqual([p["platformId"] for p in out["platforms"]], [PLATFORM])

    def test_tag_resource(self):
        self.c.tag_resource(resourceArn=Fixture.profile["arn"], tags={"env": "test"})
        self.assertEqual(self.c.list_tags_for_resource(resourceArn=Fixture.profile["arn"])["tags"].get("env"), "test")

    def test_untag_resource(self):
        name = Fixture.name("untag_")
        arn = self.c.put_signing_profile(profileName=name, platformId=PLATFORM, tags={"a": "1", "b": "2"})["arn"]
        self.c.untag_resource(resourceArn=arn, tagKeys=["a"])
        self.assertEqual(self.c.list_tags_for_resource(resourceArn=arn)["tags"], {"b": "2"})

    def test_list_tags_for_resource(self):
        name = Fixture.name("tags_")
        arn = self.c.put_signing_profile(profileName=name, platformId=PLATFORM, tags={"k": "v"})["arn"]
        self.assertEqual(self.c.list_tags_for_resource(resourceArn=arn)["tags"], {"k": "v"})


class SignerErrors(unittest.TestCase):
    def setUp(self):
        self.c = Fixture.signer

    def test_not_found_is_modeled(self):
        with self.assertRaises(self.c.exceptions.ResourceNotFoundException) as e:
            self.c.get_signing_profile(profileName="no_such_profile")
        self.assertIn("no_such_profile", e.exception.response["Error"]["Message"])

    def test_validation_names_the_field(self):
        with self.assertRaises(self.c.exceptions.ValidationException) as e:
            self.c.put_signing_profile(profileName="bad-name", platformId=PLATFORM)
        self.assertIn("profileName", e.exception.response["Error"]["Message"])

    def test_canceled_names_are_never_reused(self):
        name = Fixture.name("reuse_")
        self.c.put_signing_profile(profileName=name, platformId=PLATFORM)
        self.c.cancel_signing_profile(profileName=name)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.put_signing_profile(profileName=name, platformId=PLATFORM)
        self.assertEqual(e.exception.response["Error"]["Code"], "ConflictException")

    def test_an_operation_not_emulated_is_named(self):
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.sign_payload(
                profileName="shared_profile", payload=b"{}",
                payloadFormat="application/vnd.cncf.notary.payload.v1+json",
            )
        self.assertEqual(e.exception.response["Error"]["Code"], "NotImplemented")
        self.assertIn("SignPayload", e.exception.response["Error"]["Message"])


class Lambda(unittest.TestCase):
    def setUp(self):
        self.c = Fixture.lam

    def new_csc(self, **kwargs):
        return self.c.create_code_signing_config(
            AllowedPublishers={"SigningProfileVersionArns": [Fixture.profile["profileVersionArn"]]}, **kwargs
        )["CodeSigningConfig"]

    def new_function(self, **kwargs):
        return self.c.create_function(
            FunctionName=Fixture.name("fn-"), Runtime="python3.12", Role=ROLE, Handler="index.handler",
            Code={"ZipFile": Fixture.signed}, **kwargs,
        )

    def test_create_code_signing_config(self):
        csc = self.new_csc(Description="d", CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"})
        self.assertRegex(csc["CodeSigningConfigId"], r"^csc-[a-z0-9]{17}$")
        self.assertEqual(csc["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"], "Warn")
        self.assertRegex(csc["LastModified"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")

    def test_get_code_signing_config(self):
        out = self.c.get_code_signing_config(CodeSigningConfigArn=Fixture.csc["CodeSigningConfigArn"])
        self.assertEqual(out["CodeSigningConfig"], Fixture.csc)

    def test_update_code_signing_config(self):
        csc = self.new_csc()
        out = self.c.update_code_signing_config(
            CodeSigningConfigArn=csc["CodeSigningConfigArn"], CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"}
        )["CodeSigningConfig"]
        self.assertEqual(out["CodeSigningPolicies"]["UntrustedArtifactOnDeployment"], "Enforce")
        self.assertEqual(out["AllowedPublishers"], csc["AllowedPublishers"])

    def test_delete_code_signing_config(self):
        csc = self.new_csc()
        self.c.delete_code_signing_config(CodeSigningConfigArn=csc["CodeSigningConfigArn"])
        with self.assertRaises(self.c.exceptions.ResourceNotFoundException):
            self.c.get_code_signing_config(CodeSigningConfigArn=csc["CodeSigningConfigArn"])

    def test_list_code_signing_configs(self):
        arns = []
        for page in self.c.get_paginator("list_code_signing_configs").paginate(PaginationConfig={"PageSize": 1}):
            arns += [c["CodeSigningConfigArn"] for c in page["CodeSigningConfigs"]]
        self.assertIn(Fixture.csc["CodeSigningConfigArn"], arns)

    def test_list_functions_by_code_signing_config(self):
        out = self.c.list_functions_by_code_signing_config(CodeSigningConfigArn=Fixture.csc["CodeSigningConfigArn"])
        self.assertIn(Fixture.function["FunctionArn"], out["FunctionArns"])

    def test_create_function(self):
        out = self.new_function(Layers=[Fixture.layer["LayerVersionArn"]], Tags={"t": "1"})
        self.assertEqual(out["Version"], "$LATEST")
        self.assertEqual(out["State"], "Active")
        self.assertEqual(len(out["CodeSha256"]), 44)
        self.assertEqual(out["Layers"][0]["SigningProfileVersionArn"], Fixture.profile["profileVersionArn"])
        self.assertEqual(out["SigningJobArn"].rsplit("/", 1)[1], Fixture.job["jobId"])

    def test_get_function(self):
        out = self.c.get_function(FunctionName="shared-fn")
        self.assertEqual(out["Configuration"]["FunctionArn"], Fixture.function["FunctionArn"])
        self.assertEqual(out["Code"]["RepositoryType"], "S3")
        self.c.get_waiter("function_active_v2").wait(FunctionName="shared-fn")

    def test_get_function_configuration(self):
        out = self.c.get_function_configuration(FunctionName=Fixture.function["FunctionArn"])
        self.assertEqual(out["CodeSize"], len(Fixture.signed))
        self.assertEqual(out["SigningProfileVersionArn"], Fixture.profile["profileVersionArn"])

    def test_update_function_code(self):
        fn = self.new_function()
        out = self.c.update_function_code(
            FunctionName=fn["FunctionName"], S3Bucket=Fixture.bucket, S3Key=Fixture.signed_key, RevisionId=fn["RevisionId"]
        )
        self.assertNotEqual(out["RevisionId"], fn["RevisionId"])
        self.c.get_waiter("function_updated_v2").wait(FunctionName=fn["FunctionName"])

    def test_update_function_configuration(self):
        fn = self.new_function(CodeSigningConfigArn=Fixture.csc["CodeSigningConfigArn"])
        out = self.c.update_function_configuration(
            FunctionName=fn["FunctionName"], Layers=[Fixture.layer["LayerVersionArn"]], Timeout=30,
            Environment={"Variables": {"A": "1"}},
        )
        self.assertEqual(out["Timeout"], 30)
        self.assertEqual(out["Environment"]["Variables"], {"A": "1"})
        self.assertEqual([l["Arn"] for l in out["Layers"]], [Fixture.layer["LayerVersionArn"]])

    def test_delete_function(self):
        fn = self.new_function()
        out = self.c.delete_function(FunctionName=fn["FunctionName"])
        self.assertIn(out["StatusCode"], (200, 204))
        with self.assertRaises(self.c.exceptions.ResourceNotFoundException):
            self.c.get_function(FunctionName=fn["FunctionName"])

    def test_get_function_code_signing_config(self):
        out = self.c.get_function_code_signing_config(FunctionName="shared-fn")
        self.assertEqual(out, {**out, "CodeSigningConfigArn": Fixture.csc["CodeSigningConfigArn"], "FunctionName": "shared-fn"})

    def test_put_function_code_signing_config(self):
        fn = self.new_function()
        out = self.c.put_function_code_signing_config(FunctionName=fn["FunctionName"], CodeSigningConfigArn=Fixture.csc["CodeSigningConfigArn"])
        self.assertEqual(out["CodeSigningConfigArn"], Fixture.csc["CodeSigningConfigArn"])
        self.assertEqual(out["FunctionName"], fn["FunctionName"])

    def test_delete_function_code_signing_config(self):
        fn = self.new_function(CodeSigningConfigArn=Fixture.csc["CodeSigningConfigArn"])
        self.c.delete_function_code_signing_config(FunctionName=fn["FunctionName"])
        self.assertEqual(self.c.get_function_code_signing_config(FunctionName=fn["FunctionName"])["CodeSigningConfigArn"], "")

    def test_publish_layer_version(self):
        out = self.c.publish_layer_version(
            LayerName="published", Content={"ZipFile": Fixture.signed}, CompatibleArchitectures=["arm64"], LicenseInfo="MIT"
        )
        self.assertIsInstance(out["Version"], int)
        self.assertEqual(out["Content"]["CodeSize"], len(Fixture.signed))
        self.assertEqual(out["Content"]["SigningJobArn"].rsplit("/", 1)[1], Fixture.job["jobId"])
        self.assertEqual(out["LicenseInfo"], "MIT")

    def test_get_layer_version(self):
        out = self.c.get_layer_version(LayerName="shared-layer", VersionNumber=Fixture.layer["Version"])
        self.assertEqual(out["LayerVersionArn"], Fixture.layer["LayerVersionArn"])
        self.assertEqual(out["CompatibleRuntimes"], ["python3.12"])

    def test_get_layer_version_by_arn(self):
        out = self.c.get_layer_version_by_arn(Arn=Fixture.layer["LayerVersionArn"])
        self.assertEqual(out["Content"]["SigningProfileVersionArn"], Fixture.profile["profileVersionArn"])

    def test_list_layer_versions(self):
        out = self.c.list_layer_versions(LayerName="shared-layer")
        self.assertEqual([v["LayerVersionArn"] for v in out["LayerVersions"]], [Fixture.layer["LayerVersionArn"]])

    def test_delete_layer_version(self):
        layer = self.c.publish_layer_version(LayerName="deleted", Content={"ZipFile": Fixture.signed})
        self.c.delete_layer_version(LayerName="deleted", VersionNumber=layer["Version"])
        self.assertEqual(self.c.list_layer_versions(LayerName="deleted")["LayerVersions"], [])

    def test_add_layer_version_permission(self):
        layer = self.c.publish_layer_version(LayerName="granted", Content={"ZipFile": Fixture.signed})
        out = self.c.add_layer_version_permission(
            LayerName="granted", VersionNumber=layer["Version"], StatementId="xaccount",
            Action="lambda:GetLayerVersion", Principal=OTHER,
        )
        statement = json.loads(out["Statement"])
        self.assertEqual(statement["Principal"], {"AWS": f"arn:aws:iam::{OTHER}:root"})
        self.assertTrue(out["RevisionId"])
        with self.assertRaises(self.c.exceptions.PreconditionFailedException):
            self.c.add_layer_version_permission(
                LayerName="granted", VersionNumber=layer["Version"], StatementId="late",
                Action="lambda:GetLayerVersion", Principal="*", RevisionId="stale",
            )
        with self.assertRaises(self.c.exceptions.ResourceConflictException):
            self.c.add_layer_version_permission(
                LayerName="granted", VersionNumber=layer["Version"], StatementId="xaccount",
                Action="lambda:GetLayerVersion", Principal=OTHER,
            )

    def test_remove_layer_version_permission(self):
        layer = self.c.publish_layer_version(LayerName="ungranted", Content={"ZipFile": Fixture.signed})
        rev = self.c.add_layer_version_permission(
            LayerName="ungranted", VersionNumber=layer["Version"], StatementId="s", Action="lambda:GetLayerVersion", Principal="*"
        )["RevisionId"]
        self.c.remove_layer_version_permission(LayerName="ungranted", VersionNumber=layer["Version"], StatementId="s", RevisionId=rev)
        with self.assertRaises(self.c.exceptions.ResourceNotFoundException):
            self.c.get_layer_version_policy(LayerName="ungranted", VersionNumber=layer["Version"])

    def test_get_layer_version_policy(self):
        layer = self.c.publish_layer_version(LayerName="policy", Content={"ZipFile": Fixture.signed})
        self.c.add_layer_version_permission(
            LayerName="policy", VersionNumber=layer["Version"], StatementId="all", Action="lambda:GetLayerVersion", Principal="*"
        )
        out = self.c.get_layer_version_policy(LayerName="policy", VersionNumber=layer["Version"])
        policy = json.loads(out["Policy"])
        self.assertEqual(policy["Statement"][0]["Principal"], "*")
        self.assertEqual(policy["Statement"][0]["Resource"], layer["LayerVersionArn"])

    def test_list_tags(self):
        self.assertEqual(self.c.list_tags(Resource=Fixture.csc["CodeSigningConfigArn"])["Tags"], {})

    def test_tag_resource(self):
        fn = self.new_function(Tags={"a": "1"})
        self.c.tag_resource(Resource=fn["FunctionArn"], Tags={"b": "2"})
        self.assertEqual(self.c.list_tags(Resource=fn["FunctionArn"])["Tags"], {"a": "1", "b": "2"})

    def test_untag_resource(self):
        csc = self.new_csc(Tags={"a": "1", "b": "2"})
        self.c.untag_resource(Resource=csc["CodeSigningConfigArn"], TagKeys=["a"])
        self.assertEqual(self.c.list_tags(Resource=csc["CodeSigningConfigArn"])["Tags"], {"b": "2"})


class LambdaErrors(unittest.TestCase):
    def setUp(self):
        self.c = Fixture.lam

    def test_code_verification_failed_is_modeled(self):
        with self.assertRaises(self.c.exceptions.CodeVerificationFailedException) as e:
            self.c.create_function(
                FunctionName="unsigned", Runtime="python3.12", Role=ROLE, Handler="index.handler",
                Code={"ZipFile": make_zip("unsigned")}, CodeSigningConfigArn=Fixture.csc["CodeSigningConfigArn"],
            )
        self.assertIn("source mismatch", e.exception.response["Message"])

    def test_invalid_code_signature_is_modeled(self):
        tampered = bytearray(Fixture.signed)
        tampered[40] ^= 0xFF
        with self.assertRaises(self.c.exceptions.InvalidCodeSignatureException) as e:
            self.c.create_function(
                FunctionName="tampered", Runtime="python3.12", Role=ROLE, Handler="index.handler",
                Code={"ZipFile": bytes(tampered)}, CodeSigningConfigArn=Fixture.csc["CodeSigningConfigArn"],
            )
        self.assertEqual(e.exception.response["Type"], "User")
        self.assertIn("integrity", e.exception.response["Message"])

    def test_code_signing_config_not_found_is_modeled(self):
        missing = Fixture.csc["CodeSigningConfigArn"][:-17] + "0" * 17
        with self.assertRaises(self.c.exceptions.CodeSigningConfigNotFoundException):
            self.c.create_function(
                FunctionName="orphan", Runtime="python3.12", Role=ROLE, Handler="index.handler",
                Code={"ZipFile": Fixture.signed}, CodeSigningConfigArn=missing,
            )

    def test_function_not_found_names_it(self):
        with self.assertRaises(self.c.exceptions.ResourceNotFoundException) as e:
            self.c.get_function(FunctionName="nowhere")
        self.assertIn("function:nowhere", e.exception.response["Message"])

    def test_in_use_config_cannot_be_deleted(self):
        with self.assertRaises(self.c.exceptions.ResourceConflictException) as e:
            self.c.delete_code_signing_config(CodeSigningConfigArn=Fixture.csc["CodeSigningConfigArn"])
        self.assertIn("shared-fn", e.exception.response["message"])

    def test_invalid_parameter_names_the_field(self):
        with self.assertRaises(self.c.exceptions.InvalidParameterValueException) as e:
            self.c.create_function(
                FunctionName="bad-timeout", Runtime="python3.12", Role=ROLE, Handler="index.handler",
                Code={"ZipFile": Fixture.signed}, Timeout=901,
            )
        self.assertIn("Timeout", e.exception.response["message"])

    def test_a_missing_layer_is_an_invalid_parameter_naming_it(self):
        missing = Fixture.layer["LayerVersionArn"].rsplit(":", 1)[0] + ":99"
        for csc in ({"CodeSigningConfigArn": Fixture.csc["CodeSigningConfigArn"]}, {}):
            with self.assertRaises(self.c.exceptions.InvalidParameterValueException) as e:
                self.c.create_function(
                    FunctionName="layerless", Runtime="python3.12", Role=ROLE, Handler="index.handler",
                    Code={"ZipFile": Fixture.signed}, Layers=[missing], **csc,
                )
            self.assertIn("Layers[0]", e.exception.response["message"])

    def test_stale_revision_is_precondition_failed(self):
        with self.assertRaises(self.c.exceptions.PreconditionFailedException):
            self.c.update_function_configuration(FunctionName="shared-fn", Timeout=5, RevisionId="stale")

    def test_layer_of_another_account_needs_a_grant(self):
        other = client("lambda", OTHER)
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            other.get_layer_version_by_arn(Arn=Fixture.layer["LayerVersionArn"])
        self.assertEqual(e.exception.response["Error"]["Code"], "AccessDeniedException")


class S3(unittest.TestCase):
    def setUp(self):
        self.c = Fixture.s3

    def test_create_bucket(self):
        out = self.c.create_bucket(Bucket="created-bucket")
        self.assertEqual(out["Location"], "/created-bucket")

    def test_put_bucket_versioning(self):
        self.c.create_bucket(Bucket="suspended-bucket")
        self.c.put_bucket_versioning(Bucket="suspended-bucket", VersioningConfiguration={"Status": "Suspended"})
        self.assertEqual(self.c.get_bucket_versioning(Bucket="suspended-bucket")["Status"], "Suspended")

    def test_get_bucket_versioning(self):
        self.c.create_bucket(Bucket="plain-bucket")
        self.assertNotIn("Status", self.c.get_bucket_versioning(Bucket="plain-bucket"))
        self.assertEqual(self.c.get_bucket_versioning(Bucket=Fixture.bucket)["Status"], "Enabled")

    def test_put_object(self):
        out = self.c.put_object(Bucket=Fixture.bucket, Key="dir/a b+c~.bin", Body=b"data", Metadata={"m": "v"})
        self.assertRegex(out["ETag"], r'^"[0-9a-f]{32}"$')
        self.assertTrue(out["VersionId"])

    def test_get_object(self):
        out = self.c.get_object(Bucket=Fixture.bucket, Key="src/function.zip", VersionId=Fixture.source["VersionId"])
        self.assertEqual(out["Body"].read()[:2], b"PK")
        self.assertIsInstance(out["LastModified"], datetime.datetime)
        self.assertEqual(out["VersionId"], Fixture.source["VersionId"])

    def test_head_object(self):
        out = self.c.head_object(Bucket=Fixture.bucket, Key=Fixture.signed_key)
        self.assertEqual(out["ContentLength"], len(Fixture.signed))
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            self.c.head_object(Bucket=Fixture.bucket, Key="missing")
        self.assertEqual(e.exception.response["Error"]["Code"], "404")

    def test_list_object_versions(self):
        self.c.put_object(Bucket=Fixture.bucket, Key="listed/k", Body=b"1")
        self.c.put_object(Bucket=Fixture.bucket, Key="listed/k", Body=b"2")
        self.c.put_object(Bucket=Fixture.bucket, Key="listed/odd key+", Body=b"3")
        versions = []
        for page in self.c.get_paginator("list_object_versions").paginate(Bucket=Fixture.bucket, Prefix="listed/", PaginationConfig={"PageSize": 1}):
            versions += [(v["Key"], v["IsLatest"]) for v in page.get("Versions", [])]
        self.assertEqual(versions, [("listed/k", True), ("listed/k", False), ("listed/odd key+", True)])

    def test_delete_object(self):
        self.c.put_object(Bucket=Fixture.bucket, Key="deleted", Body=b"x")
        out = self.c.delete_object(Bucket=Fixture.bucket, Key="deleted")
        self.assertTrue(out["DeleteMarker"])
        with self.assertRaises(self.c.exceptions.NoSuchKey):
            self.c.get_object(Bucket=Fixture.bucket, Key="deleted")


class S3Addressing(unittest.TestCase):
    def test_virtual_hosted_requests_name_the_bucket_in_the_host(self):
        # BUCKET.localhost does not resolve everywhere: connect to the
        # server itself and send the Host header a virtual-hosted client sends.
        import http.client
        import urllib.parse

        url = urllib.parse.urlparse(ENDPOINT)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        connection.request(
            "GET",
            f"/src/function.zip?versionId={Fixture.source['VersionId']}",
            headers={"Host": f"{Fixture.bucket}.localhost:{url.port}"},
        )
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertEqual(response.read()[:2], b"PK")


class S3Errors(unittest.TestCase):
    def test_no_such_bucket_is_modeled(self):
        with self.assertRaises(Fixture.s3.exceptions.NoSuchBucket):
            Fixture.s3.get_bucket_versioning(Bucket="never-created")

    def test_an_operation_not_emulated_is_named(self):
        with self.assertRaises(botocore.exceptions.ClientError) as e:
            Fixture.s3.get_bucket_policy(Bucket=Fixture.bucket)
        self.assertEqual(e.exception.response["Error"]["Code"], "NotImplemented")
        self.assertIn("GetBucketPolicy", e.exception.response["Error"]["Message"])


class Sts(unittest.TestCase):
    def test_get_caller_identity(self):
        self.assertEqual(client("sts", OTHER).get_caller_identity()["Account"], OTHER)
        self.assertEqual(client("sts", "AKIAEXAMPLE").get_caller_identity()["Account"], "123456789012")


if __name__ == "__main__":
    unittest.main(verbosity=2)
