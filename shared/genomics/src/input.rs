//! The byte pipeline under every validator: read the stored bytes once (counting and hashing
//! them as they are read), decompress on other threads, and hand the validator decoded bytes
//! through a bounded number of fixed-size buffers, so memory stays constant whatever the size.

use std::{
    error::Error as StdError,
    fmt,
    io::{self, BufRead, Read},
    num::NonZero,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
        mpsc::{Receiver, SyncSender, sync_channel},
    },
    thread::{self, JoinHandle},
};

use sha2::{Digest, Sha256};

use crate::{
    format::Compression,
    reading::{fill, read_from_buffer},
};

/// Size of the buffers passed between pipeline threads.
const CHUNK_SIZE: usize = 1 << 20;
/// Buffers in flight per stage; with `CHUNK_SIZE` this bounds each stage's memory.
const CHUNKS_IN_FLIGHT: usize = 4;
/// The 28-byte empty BGZF block that ends every well-formed BGZF file (SAM spec §4.1.2).
pub(crate) const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// What was learnt about the stored bytes once they have all been read.
#[derive(Debug, Clone)]
pub(crate) struct StoredSummary {
    /// Bytes read from the input as stored.
    pub bytes: u64,
    /// SHA-256 of those bytes.
    pub sha256: [u8; 32],
    /// The last (up to) 28 stored bytes, to check the BGZF end-of-file marker.
    pub tail: Vec<u8>,
}

impl StoredSummary {
    /// Whether the stored bytes end with the BGZF end-of-file block.
    pub(crate) fn has_bgzf_eof(&self) -> bool {
        self.tail == BGZF_EOF
    }
}

/// An error of the stored input itself (the file or stream the user gave), as opposed to a
/// decoding error of its content.
#[derive(Debug)]
pub(crate) struct SourceError(pub io::Error);

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "reading the input failed: {}", self.0)
    }
}

impl StdError for SourceError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.0)
    }
}

/// Whether an error came from reading the stored input rather than from decoding it.
pub(crate) fn is_source_error(error: &io::Error) -> bool {
    error
        .get_ref()
        .is_some_and(|inner| inner.is::<SourceError>())
}

/// Stored bytes read so far (shared with the thread that reads them).
#[derive(Clone, Debug)]
pub(crate) struct StoredProgress(Arc<AtomicU64>);

impl StoredProgress {
    fn bytes(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Decompressed bytes allowed whatever the ratio: headers and small files expand freely.
pub(crate) const EXPANSION_ALLOWANCE: u64 = 64 << 20;

/// The decompressed data went past a limit.
#[derive(Debug)]
pub(crate) enum LimitExceeded {
    /// More than this many bytes in all.
    Total(u64),
    /// More than validation is sure to get through in the deployment's time limit.
    Time {
        /// The limit in bytes.
        limit: u64,
        /// The time limit, in seconds.
        seconds: u64,
    },
    /// More than `ratio` times the stored bytes read so far (past [`EXPANSION_ALLOWANCE`]).
    Ratio {
        /// Decompressed bytes so far.
        decompressed: u64,
        /// Stored bytes read so far.
        stored: u64,
        /// The limit.
        ratio: u64,
    },
}

impl LimitExceeded {
    /// Where in the decompressed stream the limit was reached.
    pub(crate) fn offset(&self) -> u64 {
        match self {
            Self::Total(limit) | Self::Time { limit, .. } => *limit,
            Self::Ratio { decompressed, .. } => *decompressed,
        }
    }
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Total(limit) => write!(
                f,
                "decompressed data exceeds the limit of {limit} bytes; raise the limit (--max-decompressed-bytes) if the file is genuine"
            ),
            Self::Time { limit, seconds } => write!(
                f,
                "decompressed data exceeds {limit} bytes, more than this deployment can validate in its {seconds}-second time limit; validate the file with `genoflow validate`, which has no time limit"
            ),
            Self::Ratio {
                decompressed,
                stored,
                ratio,
            } => write!(
                f,
                "{stored} stored bytes decompress to more than {decompressed} bytes, past the limit of {ratio} times the stored size: this is a decompression bomb, or a genuine file needs a higher --max-expansion"
            ),
        }
    }
}

impl StdError for LimitExceeded {}

/// Where the stored bytes are hashed.
enum Hashing {
    /// By whichever thread reads them.
    Inline(Sha256),
    /// On a thread of its own, which is sent each chunk as it is read.
    Thread {
        chunks: SyncSender<Arc<Chunk>>,
        hasher: JoinHandle<Sha256>,
    },
}

/// Bytes read from the stored input into a buffer where they start on a cache line: the kernel
/// copies into such a buffer about four times faster than into one a `malloc` header's 16 bytes
/// off (0.07 s against 0.28 s of system time for 652 MB from the page cache, measured here).
#[derive(Default)]
struct Chunk {
    buf: Vec<u8>,
    start: usize,
}

/// Alignment of the start of a chunk's bytes.
const CACHE_LINE: usize = 64;

impl Chunk {
    /// Reads up to `CHUNK_SIZE` bytes from `reader` into `buf` (whose allocation is reused).
    fn read<R: Read>(reader: &mut R, mut buf: Vec<u8>) -> io::Result<Self> {
        buf.resize(CHUNK_SIZE + CACHE_LINE, 0);
        let start = buf.as_ptr().align_offset(CACHE_LINE).min(CACHE_LINE);
        let n = fill(reader, &mut buf[start..start + CHUNK_SIZE])?;
        buf.truncate(start + n);
        Ok(Self { buf, start })
    }

    fn data(&self) -> &[u8] {
        &self.buf[self.start..]
    }
}

/// The stored input: read in chunks, each counted and hashed as it is read, in order.
struct Source {
    inner: Box<dyn Read + Send>,
    hashing: Hashing,
    bytes: u64,
    /// `bytes`, readable without the lock by the expansion check.
    progress: Arc<AtomicU64>,
    /// The last (up to) 28 bytes read.
    tail: Vec<u8>,
}

impl Source {
    /// Reads the next chunk into `buf` (whose allocation is reused), counts and hashes it.
    fn read_chunk(&mut self, buf: Vec<u8>) -> io::Result<Arc<Chunk>> {
        let chunk = Arc::new(
            Chunk::read(&mut self.inner, buf).map_err(|e| io::Error::other(SourceError(e)))?,
        );
        let data = chunk.data();
        self.bytes += data.len() as u64;
        self.progress.store(self.bytes, Ordering::Relaxed);
        keep_tail(&mut self.tail, data);
        match &mut self.hashing {
            Hashing::Inline(hasher) => hasher.update(data),
            Hashing::Thread { chunks, .. } => {
                if !data.is_empty() && chunks.send(Arc::clone(&chunk)).is_err() {
                    return Err(hasher_lost());
                }
            }
        }
        Ok(chunk)
    }

    /// Moves the hashing to a thread of its own, so the reading thread only reads.
    fn hash_on_thread(&mut self) {
        let Hashing::Inline(hasher) = &mut self.hashing else {
            return;
        };
        let mut hasher = std::mem::take(hasher);
        let (chunks, received) = sync_channel::<Arc<Chunk>>(CHUNKS_IN_FLIGHT);
        let hasher = thread::spawn(move || {
            for chunk in received {
                hasher.update(chunk.data());
            }
            hasher
        });
        self.hashing = Hashing::Thread { chunks, hasher };
    }

    /// Brings the hashing back to the reading thread, once the hashing thread has caught up.
    fn hash_inline(&mut self) -> io::Result<()> {
        let hashing = std::mem::replace(&mut self.hashing, Hashing::Inline(Sha256::new()));
        if let Hashing::Thread { chunks, hasher } = hashing {
            drop(chunks);
            let hasher = hasher.join().map_err(|_| hasher_lost())?;
            self.hashing = Hashing::Inline(hasher);
        } else {
            self.hashing = hashing;
        }
        Ok(())
    }
}

fn hasher_lost() -> io::Error {
    io::Error::other("the thread hashing the input stopped")
}

/// Keeps the last `BGZF_EOF.len()` bytes seen in `tail`, given the next `data`.
fn keep_tail(tail: &mut Vec<u8>, data: &[u8]) {
    if data.len() >= BGZF_EOF.len() {
        tail.clear();
        tail.extend_from_slice(&data[data.len() - BGZF_EOF.len()..]);
    } else {
        tail.extend_from_slice(data);
        let excess = tail.len().saturating_sub(BGZF_EOF.len());
        tail.drain(..excess);
    }
}

/// Locks the shared source; a panic elsewhere while it was held leaves nothing half-done that
/// matters here (a chunk is counted and hashed together or not at all).
fn lock(source: &Mutex<Source>) -> MutexGuard<'_, Source> {
    source.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A chunk of bytes sent between threads, or the error that ended the stream.
type Message = io::Result<Vec<u8>>;

/// Runs `reader` on its own thread, reading ahead into recycled buffers; the thread stops when
/// the consumer goes away.
fn read_ahead<R>(mut reader: R) -> ChunkReader
where
    R: Read + Send + 'static,
{
    let (data_tx, data_rx): (SyncSender<Message>, Receiver<Message>) =
        sync_channel(CHUNKS_IN_FLIGHT);
    let (recycle_tx, recycle_rx) = sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT + 2);
    thread::spawn(move || {
        loop {
            let mut buf = recycle_rx
                .try_recv()
                .unwrap_or_else(|_| vec![0; CHUNK_SIZE]);
            buf.resize(CHUNK_SIZE, 0);
            let message = fill(&mut reader, &mut buf).map(|n| {
                buf.truncate(n);
                buf
            });
            // An empty chunk says the stream ended (so a thread that dies is not taken for it).
            let last = !matches!(&message, Ok(chunk) if !chunk.is_empty());
            if data_tx.send(message).is_err() || last {
                break;
            }
        }
    });
    ChunkReader {
        rx: data_rx,
        recycle: recycle_tx,
        current: Vec::new(),
        pos: 0,
        done: false,
    }
}

/// The consuming end of [`read_ahead`].
pub(crate) struct ChunkReader {
    rx: Receiver<Message>,
    recycle: SyncSender<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_from_buffer(self, buf)
    }
}

impl BufRead for ChunkReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.pos >= self.current.len() && !self.done {
            match self.rx.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => self.done = true,
                Ok(Ok(chunk)) => {
                    let used = std::mem::replace(&mut self.current, chunk);
                    self.pos = 0;
                    if used.capacity() > 0 {
                        let _ = self.recycle.try_send(used);
                    }
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(io::Error::other(
                        "the decompressing thread stopped before the end of the stream",
                    ));
                }
            }
        }
        Ok(&self.current[self.pos.min(self.current.len())..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

/// Stops the decoded stream with an error once more than `limit` bytes have passed, or more than
/// `ratio` times the stored bytes read so far (beyond [`EXPANSION_ALLOWANCE`]).
pub(crate) struct LimitReader<R> {
    inner: R,
    passed: u64,
    limit: u64,
    /// The time limit that set `limit`, if one did.
    seconds: Option<u64>,
    ratio: Option<(u64, StoredProgress)>,
}

impl<R> LimitReader<R> {
    /// `ratio`: the expansion limit and the stored bytes it applies to; `None` for data that is
    /// not decompressed.
    pub(crate) fn new(inner: R, limit: u64, ratio: Option<(u64, StoredProgress)>) -> Self {
        Self {
            inner,
            passed: 0,
            limit,
            seconds: None,
            ratio,
        }
    }

    /// Lowers the limit to `limit`, what validation gets through in a time limit of `seconds`.
    pub(crate) fn restrict_to_time(&mut self, limit: u64, seconds: u64) {
        if limit < self.limit {
            self.limit = limit;
            self.seconds = Some(seconds);
        }
    }
}

impl<R: BufRead> Read for LimitReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_from_buffer(self, buf)
    }
}

impl<R: BufRead> BufRead for LimitReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let (limit, passed) = (self.limit, self.passed);
        if let Some((ratio, progress)) = &self.ratio {
            let stored = progress.bytes();
            if passed
                > stored
                    .saturating_mul(*ratio)
                    .saturating_add(EXPANSION_ALLOWANCE)
            {
                return Err(io::Error::other(LimitExceeded::Ratio {
                    decompressed: passed,
                    stored,
                    ratio: *ratio,
                }));
            }
        }
        let buf = self.inner.fill_buf()?;
        if passed >= limit && !buf.is_empty() {
            return Err(io::Error::other(match self.seconds {
                Some(seconds) => LimitExceeded::Time { limit, seconds },
                None => LimitExceeded::Total(limit),
            }));
        }
        let n = usize::try_from(limit - passed)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        Ok(&buf[..n])
    }

    fn consume(&mut self, amt: usize) {
        self.passed += amt as u64;
        self.inner.consume(amt);
    }
}

/// The stored bytes as a buffered stream, read (and counted and hashed) by whichever thread
/// reads this; chunks go to the hashing thread, if there is one, without a copy.
pub(crate) struct StoredReader {
    source: Arc<Mutex<Source>>,
    current: Arc<Chunk>,
    pos: usize,
    /// Chunks already consumed, reused once the hashing thread is done with them.
    spare: Vec<Arc<Chunk>>,
}

impl StoredReader {
    /// A buffer for the next chunk: a consumed one nobody else holds any more, or a new one.
    fn free_buffer(&mut self) -> Vec<u8> {
        let free = self
            .spare
            .iter()
            .position(|chunk| Arc::strong_count(chunk) == 1);
        free.and_then(|i| Arc::try_unwrap(self.spare.swap_remove(i)).ok())
            .map(|chunk| chunk.buf)
            .unwrap_or_default()
    }

    /// Hashes the stored bytes on a thread of their own from now on.
    fn hash_on_thread(self) -> Self {
        lock(&self.source).hash_on_thread();
        self
    }
}

impl Read for StoredReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        read_from_buffer(self, buf)
    }
}

impl BufRead for StoredReader {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.current.data().len() {
            let buf = self.free_buffer();
            let chunk = lock(&self.source).read_chunk(buf)?;
            let used = std::mem::replace(&mut self.current, chunk);
            if used.buf.capacity() > 0 {
                self.spare.push(used);
            }
            self.pos = 0;
        }
        Ok(&self.current.data()[self.pos..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
    }
}

/// The stored input, which [`Stored::finish`] reads to the end whatever the validator read.
pub(crate) struct Stored {
    source: Arc<Mutex<Source>>,
}

impl Stored {
    /// The stored bytes of `source` as a stream, to be hashed inline until [`decode`] decides
    /// where hashing runs best.
    pub(crate) fn spawn(source: Box<dyn Read + Send>) -> (StoredReader, Self) {
        let source = Arc::new(Mutex::new(Source {
            inner: source,
            hashing: Hashing::Inline(Sha256::new()),
            bytes: 0,
            progress: Arc::default(),
            tail: Vec::with_capacity(2 * BGZF_EOF.len()),
        }));
        let reader = StoredReader {
            source: Arc::clone(&source),
            current: Arc::default(),
            pos: 0,
            spare: Vec::new(),
        };
        (reader, Self { source })
    }

    /// A live count of the stored bytes read so far.
    pub(crate) fn progress(&self) -> StoredProgress {
        StoredProgress(Arc::clone(&lock(&self.source).progress))
    }

    /// Reads what is left of the stored input (the validator may have stopped early) and returns
    /// its size, hash and tail.
    pub(crate) fn finish(self) -> io::Result<StoredSummary> {
        let mut source = lock(&self.source);
        source.hash_inline()?;
        let mut buf = Vec::new();
        loop {
            let chunk = source.read_chunk(buf)?;
            if chunk.data().is_empty() {
                break;
            }
            buf = Arc::try_unwrap(chunk)
                .map(|chunk| chunk.buf)
                .unwrap_or_default();
        }
        let Hashing::Inline(hasher) =
            std::mem::replace(&mut source.hashing, Hashing::Inline(Sha256::new()))
        else {
            return Err(hasher_lost());
        };
        Ok(StoredSummary {
            bytes: source.bytes,
            sha256: hasher.finalize().into(),
            tail: std::mem::take(&mut source.tail),
        })
    }
}

/// Decodes the stored stream for the validator, which gets a buffered reader of decoded bytes.
///
/// The threads are laid out for two cores: uncompressed input is read by the validator and hashed
/// beside it; gzip is inflated on one thread while the stored bytes are read and hashed on
/// another; BGZF blocks are read and hashed by the block-reading thread and inflated in parallel.
pub(crate) fn decode(
    stored: StoredReader,
    compression: Compression,
    threads: NonZero<usize>,
) -> Box<dyn BufRead + Send> {
    match compression {
        Compression::None => Box::new(stored.hash_on_thread()),
        Compression::Gzip => {
            let decoder = flate2::bufread::MultiGzDecoder::new(read_ahead(stored));
            Box::new(read_ahead(decoder))
        }
        Compression::Bzip2 => {
            let decoder = bzip2::bufread::MultiBzDecoder::new(read_ahead(stored));
            Box::new(read_ahead(decoder))
        }
        Compression::Bgzf => Box::new(crate::bgzf::BgzfReader::spawn(stored, threads)),
    }
}
