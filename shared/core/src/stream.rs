//! A blocking [`Read`] fed by async producers: how adapters hand an object that arrives in
//! chunks (ranged GETs, several in flight) to the synchronous streaming validator running in
//! `spawn_blocking`, in bounded memory.
//!
//! ```
//! use std::io::Read;
//! use genoflow_core::stream::chunk_channel;
//!
//! # tokio::runtime::Builder::new_multi_thread().build()?.block_on(async {
//! let (sender, mut reader) = chunk_channel(4);
//! tokio::spawn(async move {
//!     for chunk in [b"@r1\nAC".to_vec(), b"GT\n+\nIIII\n".to_vec()] {
//!         if sender.send(chunk).await.is_err() { return; } // the reader gave up
//!     }
//! });
//! let text = tokio::task::spawn_blocking(move || {
//!     let mut text = String::new();
//!     reader.read_to_string(&mut text).map(|_| text)
//! }).await??;
//! assert_eq!(text, "@r1\nACGT\n+\nIIII\n");
//! # Ok::<(), Box<dyn std::error::Error>>(()) })
//! # .map_err(|e| e.to_string())?; Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::{self, Read};

use tokio::sync::mpsc;

/// The sending half: chunks in order, then either drop it (end of object) or [`fail`](Self::fail).
#[derive(Debug, Clone)]
pub struct ChunkSender {
    sender: mpsc::Sender<io::Result<Vec<u8>>>,
}

/// The reader dropped: stop fetching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the reader of the object stream is gone")]
pub struct ReaderGone;

impl ChunkSender {
    /// Sends the next chunk, waiting while the channel is full (back-pressure).
    ///
    /// # Errors
    /// [`ReaderGone`] when the reader was dropped.
    pub async fn send(&self, chunk: Vec<u8>) -> Result<(), ReaderGone> {
        self.sender.send(Ok(chunk)).await.map_err(|_| ReaderGone)
    }

    /// Ends the stream with an error the reader returns, so a failed fetch is an I/O error to
    /// the validator, never a silently short object.
    pub async fn fail(self, error: io::Error) {
        // If the reader is gone, nobody is left to tell.
        let _ = self.sender.send(Err(error)).await;
    }
}

/// The blocking reading half. Must be read outside the async runtime (`spawn_blocking`).
#[derive(Debug)]
pub struct ChunkReader {
    receiver: mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    position: usize,
}

/// A channel holding at most `capacity` chunks in flight.
pub fn chunk_channel(capacity: usize) -> (ChunkSender, ChunkReader) {
    let (sender, receiver) = mpsc::channel(capacity.max(1));
    (
        ChunkSender { sender },
        ChunkReader {
            receiver,
            chunk: Vec::new(),
            position: 0,
        },
    )
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.position == self.chunk.len() {
            match self.receiver.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.position = 0;
                }
                Some(Err(error)) => return Err(error),
                None => return Ok(0),
            }
        }
        let available = &self.chunk[self.position..];
        let count = available.len().min(buf.len());
        buf[..count].copy_from_slice(&available[..count]);
        self.position += count;
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_fetch_is_an_error_not_a_short_read() {
        let (sender, mut reader) = chunk_channel(1);
        tokio::spawn(async move {
            sender.send(b"abc".to_vec()).await.unwrap();
            sender.send(Vec::new()).await.unwrap();
            sender
                .fail(io::Error::new(io::ErrorKind::ConnectionReset, "reset"))
                .await;
        });
        let result = tokio::task::spawn_blocking(move || {
            let mut bytes = Vec::new();
            let outcome = reader.read_to_end(&mut bytes);
            (bytes, outcome)
        })
        .await
        .unwrap();
        assert_eq!(result.0, b"abc");
        assert_eq!(result.1.unwrap_err().kind(), io::ErrorKind::ConnectionReset);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_sender_learns_when_the_reader_is_gone() {
        let (sender, reader) = chunk_channel(1);
        drop(reader);
        assert_eq!(sender.send(b"x".to_vec()).await, Err(ReaderGone));
    }
}
