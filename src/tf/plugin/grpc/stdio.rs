//! go-plugin's stdio stream. We log to stderr directly and never write to
//! stdout after the handshake, so the stream carries nothing; it stays open
//! until shutdown so the client does not take the end for an error.

use std::pin::Pin;

use tokio::sync::{mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::Stream;
use tonic::{Request, Response, Status};

use crate::tf::plugin::proto::go_plugin::grpc_stdio_server::GrpcStdio;
use crate::tf::plugin::proto::go_plugin::StdioData;

pub struct StdioService {
    shutdown: watch::Receiver<bool>,
}

impl StdioService {
    pub fn new(shutdown: watch::Receiver<bool>) -> Self {
        StdioService { shutdown }
    }
}

#[tonic::async_trait]
impl GrpcStdio for StdioService {
    type StreamStdioStream =
        Pin<Box<dyn Stream<Item = Result<StdioData, Status>> + Send + 'static>>;

    async fn stream_stdio(
        &self,
        _request: Request<()>,
    ) -> Result<Response<Self::StreamStdioStream>, Status> {
        // The stream ends when the sender is dropped, which is at shutdown.
        let (sender, receiver) = mpsc::channel::<Result<StdioData, Status>>(1);
        let mut shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
            drop(sender);
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }
}
