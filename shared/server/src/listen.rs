//! The accept loop: HTTP/1.1 on hyper with a cap on open connections and a header-read timeout
//! (axum's own `serve` has neither), and a graceful stop.
//!
//! - At most `max_connections` connections are open at once; one over the cap is answered
//!   `503` with `Connection: close` at once, never queued.
//! - A client has `header_read_timeout` to send a request's headers, counted from the moment the
//!   connection waits for them: a connection idle between requests is closed after it too.
//! - Request bodies have their own idle timeout, enforced by the routes that read them.

use std::{
    future::Future,
    io,
    pin::pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::AsyncWriteExt,
    net::{TcpListener, TcpStream},
    sync::{Semaphore, watch},
};

/// How connections are bounded.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ConnectionLimits {
    /// Open connections at most.
    pub max_connections: usize,
    /// Time to send a request's headers (and the longest a connection may sit idle between
    /// requests).
    pub header_read_timeout: Duration,
}

/// How long open connections may take to finish their requests once the server stops.
const GRACE: Duration = Duration::from_secs(10);

/// The answer to a connection over the cap.
const OVER_CAP: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
content-type: application/json\r\n\
cache-control: no-store\r\n\
retry-after: 5\r\n\
connection: close\r\n\
content-length: 105\r\n\
\r\n\
{\"error\":{\"code\":\"too_many_connections\",\"message\":\"the server is at its connection cap; try again soon\"}}";

/// Serves `router` on `listener` until `shutdown` resolves; then lets open connections finish
/// their requests (up to [`GRACE`]).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let at_cap = Arc::new(AtomicBool::new(false));
    let (stop, stopped) = watch::channel(false);
    let mut shutdown = pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) if is_connection_error(&error) => continue,
                Err(error) => {
                    // Out of file descriptors, most likely: wait instead of spinning.
                    tracing::warn!(%error, "accepting a connection failed; retrying in 100 ms");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            if !at_cap.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    max_connections = limits.max_connections,
                    "connection cap reached: new connections are answered 503 until some close"
                );
            }
            tokio::spawn(refuse(stream));
            continue;
        };
        if at_cap.swap(false, Ordering::Relaxed) {
            tracing::info!("below the connection cap again");
        }
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
            let mut connection = pin!(builder.serve_connection(TokioIo::new(stream), service));
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, "connection ended with an error");
                    }
                }
                () = async {
                    // The guard `wait_for` answers is not `Send`: dropped here.
                    let _ = stopped.wait_for(|stopped| *stopped).await;
                } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(GRACE, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!(
            "connections still open {} s after the stop were dropped",
            GRACE.as_secs()
        );
    }
}

/// Answers 503 to a connection over the cap, without reading its request.
async fn refuse(mut stream: TcpStream) {
    let answer = async {
        stream.write_all(OVER_CAP).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), answer).await;
}

/// Errors of one connection, not of the listener.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_over_cap_answer_declares_its_body_length() {
        let text = std::str::from_utf8(super::OVER_CAP).unwrap_or_default();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok());
    }
}
