//! Streaming FASTQ reads for the analysis: decompressed and hashed by the crate's byte pipeline,
//! handed out in batches so alignment can run on other threads.

use std::{
    io::{BufRead, Read},
    num::NonZero,
};

use crate::{
    Format,
    detect::{detect_compression, detect_format},
    input::{self, Stored},
};

use super::Error;

/// Reads per batch handed to an alignment thread.
pub(crate) const BATCH_READS: usize = 4096;

/// One read: bases (upper case) and Phred qualities (without the +33 offset).
#[derive(Debug, Clone, Default)]
pub(crate) struct Read1 {
    pub bases: Vec<u8>,
    pub qualities: Vec<u8>,
    /// 0-based record number in its input (the species check samples reads by it).
    pub index: u64,
}

/// What was learnt about an input file once read.
#[derive(Debug, Clone)]
pub(crate) struct InputSummary {
    pub sha256: String,
    pub format: &'static str,
    pub records: u64,
    pub bases: u64,
    pub quality_sum: u64,
}

/// Streams the reads of a FASTQ input (plain, gzip or BGZF) named `name` in batches to
/// `consume`, reading `source` once from start to end (no seeking).
pub(crate) fn stream_fastq(
    name: &str,
    source: Box<dyn Read + Send>,
    threads: NonZero<usize>,
    mut consume: impl FnMut(Vec<Read1>),
) -> Result<InputSummary, Error> {
    let shown = name.to_owned();
    let io_error = |source| Error::Io {
        path: shown.clone(),
        source,
    };
    let (mut stored_reader, stored) = Stored::spawn(source);
    let head = stored_reader.fill_buf().map_err(io_error)?.to_vec();
    let compression = detect_compression(&head);
    let mut decoded = input::decode(stored_reader, compression, threads);
    let format = match decoded.fill_buf() {
        Ok([]) => None,
        Ok(head) => detect_format(head),
        Err(source) => return Err(io_error(source)),
    };
    let outcome = match format {
        Some(Format::Fastq) => read_records(&mut decoded, &shown, &mut consume),
        None if head.is_empty() => Err(Error::Fastq {
            path: shown.clone(),
            record: 0,
            message: "the file is empty".to_owned(),
        }),
        other => Err(Error::UnsupportedInput {
            path: shown.clone(),
            format: other.map_or("unknown", Format::as_str).to_owned(),
        }),
    };
    // Drain so the hashing thread sees every stored byte before we ask for its summary.
    let mut sink = [0u8; 1 << 16];
    while outcome.is_ok() && decoded.read(&mut sink).map_err(io_error)? > 0 {}
    drop(decoded);
    let summary = stored.finish().map_err(io_error)?;
    let (records, bases, quality_sum) = outcome?;
    Ok(InputSummary {
        sha256: hex::encode(summary.sha256),
        format: "fastq",
        records,
        bases,
        quality_sum,
    })
}

/// Parses four-line FASTQ records; returns (records, bases, sum of qualities).
fn read_records(
    reader: &mut dyn BufRead,
    path: &str,
    consume: &mut dyn FnMut(Vec<Read1>),
) -> Result<(u64, u64, u64), Error> {
    let (mut records, mut bases, mut quality_sum) = (0u64, 0u64, 0u64);
    let mut lines: [Vec<u8>; 4] = Default::default();
    let mut batch = Vec::with_capacity(BATCH_READS);
    loop {
        let mut got = 0;
        for line in &mut lines {
            line.clear();
            let n = reader.read_until(b'\n', line).map_err(|source| Error::Io {
                path: path.to_owned(),
                source,
            })?;
            if n == 0 {
                break;
            }
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            got += 1;
        }
        if got == 0 {
            break;
        }
        let fail = |message: &str| Error::Fastq {
            path: path.to_owned(),
            record: records + 1,
            message: format!("{message} (run `genoflow validate` on the file for details)"),
        };
        if got < 4 {
            return Err(fail("the record is cut short"));
        }
        if !lines[0].starts_with(b"@") || !lines[2].starts_with(b"+") {
            return Err(fail(
                "expected '@' title and '+' lines (multi-line FASTQ is not supported)",
            ));
        }
        if lines[1].len() != lines[3].len() {
            return Err(fail("sequence and quality lengths differ"));
        }
        let mut read = Read1 {
            bases: lines[1].iter().map(u8::to_ascii_uppercase).collect(),
            qualities: Vec::with_capacity(lines[3].len()),
            index: records,
        };
        for &q in &lines[3] {
            if !(b'!'..=b'~').contains(&q) {
                return Err(fail("quality character outside '!'..'~'"));
            }
            read.qualities.push(q - b'!');
            quality_sum += u64::from(q - b'!');
        }
        records += 1;
        bases += read.bases.len() as u64;
        batch.push(read);
        if batch.len() == BATCH_READS {
            consume(std::mem::replace(
                &mut batch,
                Vec::with_capacity(BATCH_READS),
            ));
        }
    }
    if !batch.is_empty() {
        consume(batch);
    }
    Ok((records, bases, quality_sum))
}
