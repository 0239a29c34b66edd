//! Logs as hclog JSON lines on stderr. go-plugin reads a plugin's stderr and
//! re-emits lines in this shape through Terraform's own logger, so
//! `TF_LOG=debug terraform plan` (or `TF_LOG_PROVIDER`) shows them.

use std::fmt::Write as _;
use std::io::Write as _;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

/// The `@module` of our lines: hclog's logger name.
const MODULE: &str = "provider.lambdasign";

/// Installs the global subscriber. The level comes from `TF_LOG_PROVIDER`,
/// else `TF_LOG`; unset or unrecognised means no logs at all (as Terraform).
pub fn init() {
    let Some(level) = level_from_env() else {
        return;
    };
    let subscriber = Registry::default().with(HclogLayer { max_level: level });
    // A second initialisation (tests) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

fn level_from_env() -> Option<Level> {
    let raw = std::env::var("TF_LOG_PROVIDER")
        .ok()
        .filter(|v| !v.is_empty())
        .or_else(|| std::env::var("TF_LOG").ok())?;
    parse_level(&raw)
}

/// hclog's level names; Terraform also treats "JSON" and "1" as trace.
pub fn parse_level(raw: &str) -> Option<Level> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "trace" | "json" | "1" => Some(Level::TRACE),
        "debug" => Some(Level::DEBUG),
        "info" => Some(Level::INFO),
        "warn" => Some(Level::WARN),
        "error" => Some(Level::ERROR),
        _ => None,
    }
}

struct HclogLayer {
    max_level: Level,
}

/// Transport internals (HTTP/2 frames, connection pools, TLS records, the
/// AWS SDK's wire logging) are logged only at trace: at debug the log says
/// what the provider decided and did.
const TRANSPORT_TARGETS: [&str; 9] = [
    "h2",
    "hyper",
    "hyper_util",
    "tonic",
    "tower",
    "rustls",
    "aws_smithy",
    "aws_config",
    "aws_sdk",
];

fn is_transport(target: &str) -> bool {
    TRANSPORT_TARGETS.iter().any(|prefix| {
        target == *prefix
            || target
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with("::") || rest.starts_with('_'))
    })
}

impl<S: Subscriber> Layer<S> for HclogLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        if is_transport(metadata.target()) {
            return self.max_level == Level::TRACE;
        }
        *metadata.level() <= self.max_level
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let line = format_line(event, chrono::Utc::now());
        let mut stderr = std::io::stderr().lock();
        // Logging must never take the provider down.
        let _ = stderr.write_all(line.as_bytes());
    }
}

/// One JSON object per line, with hclog's reserved keys first in meaning:
/// `@level`, `@message`, `@module`, `@timestamp` (microsecond precision).
fn format_line(event: &Event<'_>, now: chrono::DateTime<chrono::Utc>) -> String {
    let mut fields = FieldCollector::default();
    event.record(&mut fields);
    let mut object = fields.fields;
    object.insert(
        "@level".into(),
        Json::from(level_name(*event.metadata().level())),
    );
    object.insert("@message".into(), Json::from(fields.message));
    object.insert("@module".into(), Json::from(MODULE));
    object.insert(
        "@timestamp".into(),
        Json::from(now.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()),
    );
    let mut line = Json::Object(object).to_string();
    line.push('\n');
    line
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

#[derive(Default)]
struct FieldCollector {
    message: String,
    fields: Map<String, Json>,
}

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields.insert(field.name().into(), Json::from(value));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.fields.insert(field.name().into(), Json::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.fields.insert(field.name().into(), Json::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.fields.insert(field.name().into(), Json::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.insert(field.name().into(), Json::from(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A layer that formats events like the real one but keeps the lines.
    struct Capture(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
            let now = chrono::DateTime::from_timestamp(1_700_000_000, 5_000).unwrap_or_default();
            if let Ok(mut lines) = self.0.lock() {
                lines.push(format_line(event, now));
            }
        }
    }

    #[test]
    fn lines_are_hclog_json() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = Registry::default().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::debug!(port = 1234, "listening");
        });
        let lines = lines.lock().expect("lock");
        let json: Json = serde_json::from_str(lines[0].trim_end()).expect("json");
        assert_eq!(json["@level"], "debug");
        assert_eq!(json["@message"], "listening");
        assert_eq!(json["@module"], MODULE);
        assert_eq!(json["@timestamp"], "2023-11-14T22:13:20.000005Z");
        assert_eq!(json["port"], 1234);
        assert!(lines[0].ends_with('\n'));
    }

    #[test]
    fn transport_internals_stay_out_of_debug_logs() {
        for target in [
            "h2::codec::framed_read",
            "hyper::proto",
            "tonic::transport",
            "aws_smithy_runtime::client",
            "rustls::conn",
        ] {
            assert!(is_transport(target), "{target}");
        }
        for target in ["lambdasign::engine::signed_artifact", "lambdasign", "h2o"] {
            assert!(!is_transport(target), "{target}");
        }
    }

    #[test]
    fn levels_follow_terraform_names() {
        assert_eq!(parse_level("DEBUG"), Some(Level::DEBUG));
        assert_eq!(parse_level("json"), Some(Level::TRACE));
        assert_eq!(parse_level("off"), None);
    }
}
