//! BAM input: reads already aligned to the panel's reference, piled up without realignment.

use std::{fs::File, io::Read, path::Path};

use noodles::{bam, sam::alignment::record::cigar::op::Kind};
use sha2::{Digest, Sha256};

use super::{
    Error, Options,
    align::{Alignment, Op, Reference},
    panel::Panel,
    pileup::Pileup,
    reads::InputSummary,
};

/// Piles up the primary, mapped, non-duplicate records of a BAM aligned to the panel's reference.
/// Records reaching outside the panel's segments are skipped (segments extend 300 bp past every
/// gene and catalogue entry, so gene bodies keep their full depth).
pub(crate) fn pileup_bam(
    path: &Path,
    panel: &Panel,
    reference: &Reference,
    options: &Options,
) -> Result<(Pileup, InputSummary), Error> {
    let shown = path.display().to_string();
    let io_error = |source| Error::Io {
        path: shown.clone(),
        source,
    };
    let fail = |message: String| Error::Bam {
        path: shown.clone(),
        message,
    };
    let sha256 = {
        let mut file = File::open(path).map_err(io_error)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buffer).map_err(io_error)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
        }
        hex::encode(hasher.finalize())
    };
    let mut reader = bam::io::Reader::new(File::open(path).map_err(io_error)?);
    let header = reader
        .read_header()
        .map_err(|e| fail(format!("the header is unreadable: {e}")))?;
    let sequences = header.reference_sequences();
    let panel_id = sequences
        .get_index_of(panel.reference.as_bytes())
        .filter(|&id| sequences[id].length().get() as u64 == panel.reference_length)
        .ok_or_else(|| {
            let names: Vec<String> = sequences
                .iter()
                .take(5)
                .map(|(name, map)| format!("{name} ({} bp)", map.length()))
                .collect();
            fail(format!(
                "the BAM is aligned to {}, not the panel's reference {} ({} bp): align the reads to it, or give the FASTQ files",
                if names.is_empty() { "no reference".to_owned() } else { names.join(", ") },
                panel.reference,
                panel.reference_length
            ))
        })?;

    let mut pileup = Pileup::new(reference);
    let (mut records, mut bases_total, mut quality_sum) = (0u64, 0u64, 0u64);
    let mut record = bam::Record::default();
    let mut bases = Vec::new();
    while reader
        .read_record(&mut record)
        .map_err(|e| fail(format!("record {}: {e}", records + 1)))?
        > 0
    {
        records += 1;
        let qualities = record.quality_scores().as_ref().to_vec();
        bases_total += qualities.len() as u64;
        quality_sum += qualities.iter().map(|&q| u64::from(q.min(93))).sum::<u64>();
        let flags = record.flags();
        if flags.is_unmapped()
            || flags.is_secondary()
            || flags.is_supplementary()
            || flags.is_duplicate()
            || flags.is_qc_fail()
        {
            continue;
        }
        let on_panel_reference = record
            .reference_sequence_id()
            .transpose()
            .map_err(|e| fail(format!("record {records}: {e}")))?
            == Some(panel_id);
        let Some(start) = record
            .alignment_start()
            .transpose()
            .map_err(|e| fail(format!("record {records}: {e}")))?
        else {
            continue;
        };
        if !on_panel_reference || qualities.len() != record.sequence().len() {
            continue;
        }
        let (mut read_start, mut ref_offset, mut ops) = (0usize, 0u64, Vec::new());
        let mut spliced = false;
        for op in record.cigar().iter() {
            let op = op.map_err(|e| fail(format!("record {records}: CIGAR: {e}")))?;
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
            continue;
        }
        let first = start.get() as u64 + ref_offset;
        let (Some(from), Some(to)) = (
            reference.index_of(first),
            reference.index_of(first + span - 1),
        ) else {
            continue;
        };
        if reference.segment_bounds(from) != reference.segment_bounds(to) {
            continue;
        }
        bases.clear();
        bases.extend(record.sequence().iter().map(|b| b.to_ascii_uppercase()));
        let alignment = Alignment {
            reverse: false,
            ref_start: from,
            read_start,
            ops,
            score: 0,
        };
        pileup.add(
            panel,
            reference,
            &alignment,
            &bases,
            &qualities,
            options.min_base_quality,
        );
    }
    let summary = InputSummary {
        sha256,
        format: "bam",
        records,
        bases: bases_total,
        quality_sum,
    };
    Ok((pileup, summary))
}
