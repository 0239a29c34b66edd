//! gRPC health checking: go-plugin pings the service named "plugin".

use std::pin::Pin;

use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::tf::plugin::proto::health::health_check_response::ServingStatus;
use crate::tf::plugin::proto::health::health_server::Health;
use crate::tf::plugin::proto::health::{HealthCheckRequest, HealthCheckResponse};

pub struct HealthService;

fn status_of(service: &str) -> ServingStatus {
    match service {
        // "" is the server as a whole.
        "" | "plugin" => ServingStatus::Serving,
        _ => ServingStatus::ServiceUnknown,
    }
}

#[tonic::async_trait]
impl Health for HealthService {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, Status> {
        match status_of(&request.get_ref().service) {
            ServingStatus::ServiceUnknown => Err(Status::not_found("unknown service")),
            status => Ok(Response::new(HealthCheckResponse {
                status: status.into(),
            })),
        }
    }

    type WatchStream =
        Pin<Box<dyn Stream<Item = Result<HealthCheckResponse, Status>> + Send + 'static>>;

    async fn watch(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<Self::WatchStream>, Status> {
        let status = status_of(&request.get_ref().service);
        let first = HealthCheckResponse {
            status: status.into(),
        };
        // Our status never changes, so one message and then silence.
        let stream =
            tokio_stream::StreamExt::chain(tokio_stream::once(Ok(first)), tokio_stream::pending());
        Ok(Response::new(Box::pin(stream)))
    }
}
