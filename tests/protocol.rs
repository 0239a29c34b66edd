//! The plugin protocol as Terraform sees it: handshake, mutual TLS with a
//! pinned client certificate, gRPC services, shutdown.

mod common;

use std::time::{Duration, Instant};

use common::{connect, start_plugin, ClientIdentity, BINARY, MAGIC_COOKIE};
use lambdasign::tf::plugin::proto::go_plugin::grpc_controller_client::GrpcControllerClient;
use lambdasign::tf::plugin::proto::go_plugin::Empty;
use lambdasign::tf::plugin::proto::health::health_client::HealthClient;
use lambdasign::tf::plugin::proto::health::HealthCheckRequest;
use lambdasign::tf::plugin::proto::tfplugin6::provider_client::ProviderClient;
use lambdasign::tf::plugin::proto::tfplugin6::{get_metadata, get_provider_schema};

#[tokio::test]
async fn terraform_client_gets_the_schema_over_mutual_tls() {
    let client = ClientIdentity::generate();
    let plugin = start_plugin(&client);
    let channel = connect(&plugin, Some(&client)).await.expect("connect");

    let schema = ProviderClient::new(channel.clone())
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema")
        .into_inner();
    let provider = schema
        .provider
        .and_then(|s| s.block)
        .expect("provider schema");
    let blocks: Vec<&str> = provider
        .block_types
        .iter()
        .map(|b| b.type_name.as_str())
        .collect();
    assert!(blocks.contains(&"local"), "provider blocks: {blocks:?}");
    assert!(schema.functions.contains_key("file_sha384"));
    assert!(schema.functions.contains_key("file_base64sha384"));
    assert!(schema.diagnostics.is_empty());

    // Announcing that the schema call is optional, the provider must name
    // every resource, data source and function in GetMetadata instead.
    let capabilities = schema.server_capabilities.expect("capabilities");
    assert!(capabilities.get_provider_schema_optional);
    assert!(
        capabilities.move_resource_state,
        "moved from the AWS provider's types"
    );
    let metadata = ProviderClient::new(channel.clone())
        .get_metadata(get_metadata::Request {})
        .await
        .expect("GetMetadata")
        .into_inner();
    let mut named: Vec<&str> = metadata
        .resources
        .iter()
        .map(|r| r.type_name.as_str())
        .collect();
    named.sort_unstable();
    let mut schemas: Vec<&str> = schema.resource_schemas.keys().map(String::as_str).collect();
    schemas.sort_unstable();
    assert_eq!(named, schemas);
    assert_eq!(
        metadata.data_sources.len(),
        schema.data_source_schemas.len()
    );
    assert_eq!(metadata.functions.len(), schema.functions.len());

    let health = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .expect("health check")
        .into_inner();
    assert_eq!(health.status, 1, "SERVING");
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let client = ClientIdentity::generate();
    let plugin = start_plugin(&client);
    let refused = match connect(&plugin, None).await {
        Err(_) => true,
        Ok(channel) => ProviderClient::new(channel)
            .get_provider_schema(get_provider_schema::Request {})
            .await
            .is_err(),
    };
    assert!(refused, "a client without a certificate got an answer");
}

#[tokio::test]
async fn a_client_with_another_certificate_is_refused() {
    let terraform = ClientIdentity::generate();
    let intruder = ClientIdentity::generate();
    let plugin = start_plugin(&terraform);
    let refused = match connect(&plugin, Some(&intruder)).await {
        Err(_) => true,
        Ok(channel) => ProviderClient::new(channel)
            .get_provider_schema(get_provider_schema::Request {})
            .await
            .is_err(),
    };
    assert!(refused, "a client with another certificate got an answer");
    // ...while Terraform's own certificate still works on the same server.
    let channel = connect(&plugin, Some(&terraform)).await.expect("connect");
    ProviderClient::new(channel)
        .get_provider_schema(get_provider_schema::Request {})
        .await
        .expect("GetProviderSchema with the pinned certificate");
}

#[tokio::test]
async fn shutdown_ends_the_process_cleanly() {
    let client = ClientIdentity::generate();
    let mut plugin = start_plugin(&client);
    let channel = connect(&plugin, Some(&client)).await.expect("connect");
    GrpcControllerClient::new(channel)
        .shutdown(Empty {})
        .await
        .expect("Shutdown");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = plugin.child.try_wait().expect("wait") {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "plugin still running after Shutdown"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[test]
fn without_terraforms_certificate_the_plugin_refuses_to_start() {
    let output = std::process::Command::new(BINARY)
        .env("TF_PLUGIN_MAGIC_COOKIE", MAGIC_COOKIE)
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("TF_DISABLE_PLUGIN_TLS")
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(output.stdout.is_empty(), "no handshake line may be printed");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PLUGIN_CLIENT_CERT"), "{stderr}");
}

#[test]
fn without_the_cookie_the_binary_is_a_cli() {
    let output = std::process::Command::new(BINARY)
        .arg("--help")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run");
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("Terraform plugin"), "{stdout}");
    let version = std::process::Command::new(BINARY)
        .arg("--version")
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&version.stdout).contains(env!("CARGO_PKG_VERSION")));
}
