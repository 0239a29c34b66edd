//! go-plugin's controller: `Shutdown` ends the process once the response is out.

use tokio::sync::watch;
use tonic::{Request, Response, Status};

use crate::tf::plugin::proto::go_plugin::grpc_controller_server::GrpcController;
use crate::tf::plugin::proto::go_plugin::Empty;

pub struct ControllerService {
    shutdown: watch::Sender<bool>,
}

impl ControllerService {
    pub fn new(shutdown: watch::Sender<bool>) -> Self {
        ControllerService { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcController for ControllerService {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("Terraform asked the plugin to shut down");
        self.shutdown.send_replace(true);
        Ok(Response::new(Empty {}))
    }
}
