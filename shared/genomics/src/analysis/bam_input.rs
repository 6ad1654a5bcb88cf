//! BAM input: reads already aligned to the panel's reference, piled up without realignment (a
//! record clipped at a long deletion has its clipped end placed, as a read's would be).

use std::{
    fs::File,
    io::{BufRead, BufReader, Read},
    path::Path,
};

use crate::input::Stored;

use noodles::{
    bam, cram, fasta,
    sam::{self, alignment::record::cigar::op::Kind},
};

use super::{
    Error, Options,
    align::{Alignment, Op, Reference, split_clipped},
    panel::Panel,
    pileup::Pileup,
    reads::InputSummary,
    species::{self, Counts},
};

/// Piles up the primary, mapped, non-duplicate records of a BAM or CRAM aligned to the panel's
/// reference (a CRAM is decoded with the whole reference sequence of `options.reference`).
/// Records reaching outside the panel's segments are skipped (segments extend 300 bp past every
/// gene and catalogue entry, so gene bodies keep their full depth).
///
/// `source` is read once from start to end (no seeking), hashed on the way.
pub(crate) fn pileup_bam(
    name: &str,
    source: Box<dyn Read + Send>,
    is_cram: bool,
    panel: &Panel,
    reference: &Reference,
    options: &Options,
) -> Result<(Pileup, InputSummary, Counts), Error> {
    let shown = name.to_owned();
    let io_error = |source| Error::Io {
        path: shown.clone(),
        source,
    };
    let fail = |message: String| Error::Bam {
        path: shown.clone(),
        message,
    };
    let (stored_reader, stored) = Stored::spawn(source);
    let mut pileup = Pileup::new(reference);
    let mut counts = RecordCounts::default();
    let format = if is_cram {
        let Some(fasta) = &options.reference else {
            return Err(fail(format!(
                "a CRAM stores bases as differences from the whole {} sequence, which the panel does not carry: give it with --reference FASTA (or convert with `samtools view -b`)",
                panel.reference
            )));
        };
        let repository = load_reference(fasta, panel)?;
        let mut reader = cram::io::reader::Builder::default()
            .set_reference_sequence_repository(repository)
            .build_from_reader(stored_reader);
        let header = reader
            .read_header()
            .map_err(|e| fail(format!("the header is unreadable: {e}")))?;
        let panel_id = panel_reference_id(&header, panel, "CRAM").map_err(fail)?;
        for result in reader.records(&header) {
            let record = result.map_err(|e| {
                fail(format!(
                    "record {}: {e} (is --reference the FASTA the CRAM was written with?)",
                    counts.records + 1
                ))
            })?;
            add_record(
                &record,
                &header,
                panel_id,
                panel,
                reference,
                options,
                &mut pileup,
                &mut counts,
            )
            .map_err(|e| fail(format!("record {}: {e}", counts.records)))?;
        }
        "cram"
    } else {
        let mut reader = bam::io::Reader::new(stored_reader);
        let header = reader
            .read_header()
            .map_err(|e| fail(format!("the header is unreadable: {e}")))?;
        let panel_id = panel_reference_id(&header, panel, "BAM").map_err(fail)?;
        let mut record = bam::Record::default();
        while reader
            .read_record(&mut record)
            .map_err(|e| fail(format!("record {}: {e}", counts.records + 1)))?
            > 0
        {
            add_record(
                &record,
                &header,
                panel_id,
                panel,
                reference,
                options,
                &mut pileup,
                &mut counts,
            )
            .map_err(|e| fail(format!("record {}: {e}", counts.records)))?;
        }
        "bam"
    };
    // The hash covers every stored byte, read to the end whatever the decoder left.
    let sha256 = hex::encode(stored.finish().map_err(io_error)?.sha256);
    let summary = InputSummary {
        sha256,
        format,
        records: counts.records,
        bases: counts.bases,
        quality_sum: counts.quality_sum,
    };
    Ok((pileup, summary, counts.species))
}

/// The index of the panel's reference in an alignment header; the message names the header's
/// references when it is missing or of another length.
fn panel_reference_id(header: &sam::Header, panel: &Panel, kind: &str) -> Result<usize, String> {
    let sequences = header.reference_sequences();
    sequences
        .get_index_of(panel.reference.as_bytes())
        .filter(|&id| sequences[id].length().get() as u64 == panel.reference_length)
        .ok_or_else(|| {
            let names: Vec<String> = sequences
                .iter()
                .take(5)
                .map(|(name, map)| format!("{name} ({} bp)", map.length()))
                .collect();
            format!(
                "the {kind} is aligned to {}, not the panel's reference {} ({} bp): align the reads to it, or give the FASTQ files",
                if names.is_empty() {
                    "no reference".to_owned()
                } else {
                    names.join(", ")
                },
                panel.reference,
                panel.reference_length
            )
        })
}

/// The panel's reference sequence from a FASTA (plain or gzip) for CRAM decoding, checked
/// against the panel's segments.
fn load_reference(path: &Path, panel: &Panel) -> Result<fasta::Repository, Error> {
    let shown = path.display().to_string();
    let fail = |message: String| Error::Bam {
        path: shown.clone(),
        message,
    };
    let file = File::open(path).map_err(|source| Error::Io {
        path: shown.clone(),
        source,
    })?;
    let mut buffered = BufReader::new(file);
    let gzipped = buffered
        .fill_buf()
        .map_err(|source| Error::Io {
            path: shown.clone(),
            source,
        })?
        .starts_with(&[0x1f, 0x8b]);
    let input: Box<dyn BufRead> = if gzipped {
        Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(buffered)))
    } else {
        Box::new(buffered)
    };
    let mut reader = fasta::io::Reader::new(input);
    for result in reader.records() {
        let record = result.map_err(|e| fail(format!("not a readable FASTA: {e}")))?;
        if record.name() != panel.reference.as_bytes() {
            continue;
        }
        let sequence = record.sequence().as_ref();
        let matches = sequence.len() as u64 == panel.reference_length
            && panel.segments.iter().all(|segment| {
                let from = (segment.start - 1) as usize;
                sequence
                    .get(from..from + segment.sequence.len())
                    .is_some_and(|bases| bases.eq_ignore_ascii_case(&segment.sequence))
            });
        if !matches {
            return Err(fail(format!(
                "its {} differs from the panel's reference (length or bases)",
                panel.reference
            )));
        }
        return Ok(fasta::Repository::new(vec![record]));
    }
    Err(fail(format!(
        "no sequence named {} (the panel's reference)",
        panel.reference
    )))
}

/// Records read, their bases and the sum of their base qualities.
#[derive(Debug, Default)]
struct RecordCounts {
    records: u64,
    bases: u64,
    quality_sum: u64,
    /// The primary records' k-mers against the panel's MTBC sketch (mapped or not).
    species: Counts,
}

/// Piles up one record (BAM or CRAM) if it is primary, mapped, not a duplicate nor QC-failed,
/// and inside one segment of the panel.
#[allow(clippy::too_many_arguments)] // the pileup's context, passed through
fn add_record(
    record: &dyn sam::alignment::Record,
    header: &sam::Header,
    panel_id: usize,
    panel: &Panel,
    reference: &Reference,
    options: &Options,
    pileup: &mut Pileup,
    counts: &mut RecordCounts,
) -> std::io::Result<()> {
    counts.records += 1;
    let qualities = record
        .quality_scores()
        .iter()
        .collect::<std::io::Result<Vec<u8>>>()?;
    counts.bases += qualities.len() as u64;
    counts.quality_sum += qualities.iter().map(|&q| u64::from(q.min(93))).sum::<u64>();
    let flags = record.flags()?;
    if let Some(sketch) = &panel.species_sketch
        && species::is_checked(counts.records - 1)
        && !flags.is_secondary()
        && !flags.is_supplementary()
    {
        let bases: Vec<u8> = record.sequence().iter().collect();
        if bases.len() == qualities.len() {
            counts.species.observe(sketch, &bases, &qualities);
        }
    }
    if flags.is_unmapped()
        || flags.is_secondary()
        || flags.is_supplementary()
        || flags.is_duplicate()
        || flags.is_qc_fail()
    {
        return Ok(());
    }
    let on_panel_reference = record.reference_sequence_id(header).transpose()? == Some(panel_id);
    let Some(start) = record.alignment_start().transpose()? else {
        return Ok(());
    };
    if !on_panel_reference || qualities.len() != record.sequence().len() {
        return Ok(());
    }
    let (mut read_start, mut ref_offset, mut ops) = (0usize, 0u64, Vec::new());
    let mut spliced = false;
    for op in record.cigar().iter() {
        let op = op?;
        let length = u32::try_from(op.len()).unwrap_or(u32::MAX);
        match op.kind() {
            Kind::SoftClip if ops.is_empty() => read_start += op.len(),
            Kind::SoftClip | Kind::HardClip | Kind::Pad => {}
            Kind::Match | Kind::SequenceMatch | Kind::SequenceMismatch => {
                ops.push(Op::Aligned(length))
            }
            // Gaps at the start of an alignment are not placed reliably: count them as clipped.
            Kind::Insertion if ops.is_empty() => read_start += op.len(),
            Kind::Deletion if ops.is_empty() => ref_offset += u64::from(length),
            Kind::Insertion => ops.push(Op::Insertion(length)),
            Kind::Deletion => ops.push(Op::Deletion(length)),
            Kind::Skip => spliced = true,
        }
    }
    while matches!(ops.last(), Some(Op::Insertion(_) | Op::Deletion(_))) {
        ops.pop();
    }
    let span: u64 = ops
        .iter()
        .map(|op| match op {
            Op::Aligned(n) | Op::Deletion(n) => u64::from(*n),
            Op::Insertion(_) => 0,
        })
        .sum();
    if spliced || span == 0 {
        return Ok(());
    }
    let first = start.get() as u64 + ref_offset;
    let (Some(from), Some(to)) = (
        reference.index_of(first),
        reference.index_of(first + span - 1),
    ) else {
        return Ok(());
    };
    let (segment_start, segment_end) = reference.segment_bounds(from);
    if reference.segment_bounds(to) != (segment_start, segment_end) {
        return Ok(());
    }
    let bases: Vec<u8> = record
        .sequence()
        .iter()
        .map(|b| b.to_ascii_uppercase())
        .collect();
    let mut alignment = Alignment {
        reverse: false,
        ref_start: from,
        read_start,
        ops,
        score: 0,
    };
    // Across a deletion longer than it places as a gap, an aligner clips the primary record at
    // the breakpoint (the rest goes to a supplementary record, skipped above): the clipped end
    // is placed as a read's would be, so the deletion is called exactly.
    split_clipped(
        reference,
        &bases,
        &mut alignment,
        segment_start,
        segment_end,
    );
    pileup.add(
        panel,
        reference,
        &alignment,
        &bases,
        &qualities,
        options.min_base_quality,
    );
    Ok(())
}
