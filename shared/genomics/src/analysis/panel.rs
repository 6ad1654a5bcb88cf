//! Panels: the reference segments, gene annotation and resistance catalogue an analysis runs on.
//!
//! A panel directory holds `panel.tsv` (name, reference, catalogue and one line per gene, with its
//! NCBI Gene id when the file has the `ncbi_gene` column),
//! `reference.fa.gz` (segments of the reference named `CHROM:START-END`, 1-based inclusive) and
//! `catalogue.tsv.gz` (graded variants: chrom, pos, ref, alt, variant, drug, grade), and optionally
//! `lineage-barcode.bed` (lineage-defining SNPs, whose sites must lie in the segments; without it
//! reports have no lineage call). The built-in `tb-who-2023` panel is the same files embedded in
//! the binary. See docs/ANALYSIS.md.
//!
//! The oracle attests a panel as the `catalogue` source ([`Panel::catalogue_document`]): the
//! SHA-256 of each of its files, so a report's resistance calls name the exact catalogue and
//! reference they rest on.

use std::{
    collections::{BTreeSet, HashMap},
    io::{BufRead, BufReader, Read},
    path::Path,
};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{
    Error,
    attestation::Attestation,
    lineage::Barcode,
    species::{SKETCH_FILE, Sketch},
};

/// Name of the built-in M. tuberculosis panel.
pub const BUILTIN_TB: &str = "tb-who-2023";

const TB_PANEL_TSV: &[u8] = include_bytes!("../../panels/tb-who-2023/panel.tsv");
const TB_REFERENCE: &[u8] = include_bytes!("../../panels/tb-who-2023/reference.fa.gz");
const TB_CATALOGUE: &[u8] = include_bytes!("../../panels/tb-who-2023/catalogue.tsv.gz");
const TB_BARCODE: &[u8] = include_bytes!("../../panels/tb-who-2023/lineage-barcode.bed");
/// The optional lineage barcode of a panel directory.
const BARCODE_FILE: &str = "lineage-barcode.bed";
const TB_SKETCH: &[u8] = include_bytes!("../../panels/tb-who-2023/mtbc-sketch.bin");

/// Whether a gene codes for a protein or an rRNA (which changes how variants are named).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GeneKind {
    /// Protein-coding: variants get codon consequences and `p.` names.
    Cds,
    /// Ribosomal RNA: variants are named `n.`.
    Rrna,
}

/// One gene of the panel, in 1-based inclusive reference coordinates.
#[derive(Debug, Clone)]
pub struct Gene {
    /// Gene name as the catalogue uses it (`rpoB`, `Rv0678`).
    pub name: String,
    /// NCBI Gene id (digits, `888164` for rpoB), where the web page fetches the attested gene
    /// record; `None` when the panel's `panel.tsv` has no `ncbi_gene` column or leaves it empty.
    pub ncbi_gene_id: Option<String>,
    /// Coding sequence or rRNA.
    pub kind: GeneKind,
    /// Whether the gene is on the forward strand.
    pub forward: bool,
    /// First base of the gene (lowest coordinate).
    pub start: u64,
    /// Last base of the gene (highest coordinate).
    pub end: u64,
    /// Bases upstream of the gene start annotated as its promoter.
    pub promoter: u64,
}

impl Gene {
    /// Distance in gene orientation: 1 for the first base, negative upstream (no 0, as in HGVS).
    pub(crate) fn coding_offset(&self, pos: u64) -> i64 {
        let (pos, start, end) = (pos as i64, self.start as i64, self.end as i64);
        if self.forward {
            if pos >= start {
                pos - start + 1
            } else {
                pos - start
            }
        } else if pos <= end {
            end - pos + 1
        } else {
            end - pos
        }
    }

    /// Whether `pos` lies in the gene body.
    pub(crate) fn contains(&self, pos: u64) -> bool {
        (self.start..=self.end).contains(&pos)
    }

    /// Whether `pos` lies in the annotated promoter (upstream, within `promoter` bases).
    pub(crate) fn promoter_contains(&self, pos: u64) -> bool {
        if self.forward {
            pos < self.start && pos + self.promoter >= self.start
        } else {
            pos > self.end && pos <= self.end + self.promoter
        }
    }
}

/// A contiguous stretch of the reference carried by the panel.
#[derive(Debug, Clone)]
pub struct Segment {
    /// 1-based position of the first base.
    pub start: u64,
    /// Upper-case bases.
    pub sequence: Vec<u8>,
}

/// One graded catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueEntry {
    /// The catalogue's name of the variant (`rpoB_p.Ser450Leu`, `pncA_LoF`).
    pub variant: String,
    /// Drug it confers resistance to.
    pub drug: String,
    /// Grade as the catalogue writes it (`1) Assoc w R`).
    pub grade: String,
}

/// SHA-256 (hex) of each file of a panel, decompressed: what the `catalogue` attestation names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelFiles {
    /// `panel.tsv`, as stored.
    pub panel_tsv: String,
    /// `reference.fa.gz`, decompressed (the FASTA, whatever gzip settings wrote it).
    pub reference_fa: String,
    /// `catalogue.tsv.gz`, decompressed.
    pub catalogue_tsv: String,
    /// `lineage-barcode.bed`, when the panel has one (the report's lineage rests on it).
    pub lineage_barcode: Option<String>,
    /// `mtbc-sketch.bin`, when the panel has one (the report's species verdict rests on it).
    pub species_sketch: Option<String>,
}

/// A variant key: position and alleles after normalisation (see [`Panel::normalise`]).
pub(crate) type VariantKey = (u64, Vec<u8>, Vec<u8>);

/// A loaded panel.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Panel name (`tb-who-2023`).
    pub name: String,
    /// Reference sequence name (`NC_000962.3`).
    pub reference: String,
    /// Length of the whole reference sequence.
    pub reference_length: u64,
    /// Catalogue name (`WHO 2023 2nd edition`).
    pub catalogue_name: String,
    /// Genes, by start.
    pub genes: Vec<Gene>,
    /// Segments of the reference, by start, not overlapping.
    pub segments: Vec<Segment>,
    /// Every catalogue entry, keyed by its normalised variant.
    pub(crate) catalogue: HashMap<VariantKey, Vec<CatalogueEntry>>,
    /// Loss-of-function classes graded by the catalogue: gene → entries named `GENE_LoF`.
    pub(crate) loss_of_function: HashMap<String, Vec<CatalogueEntry>>,
    /// Every drug of the catalogue with the distinct positions of its entries.
    pub(crate) drugs: Vec<(String, Vec<u64>)>,
    /// The lineage barcode (`lineage-barcode.bed`), if the panel has one.
    pub(crate) barcode: Option<Barcode>,
    /// SHA-256 of the panel's decompressed files, for the pipeline id (with the barcode, when
    /// the panel has one: [`Panel::with_barcode`]).
    pub sha256: String,
    /// SHA-256 of each of the panel's decompressed files, for the catalogue attestation.
    pub files: PanelFiles,
    /// The M. tuberculosis complex sketch of `mtbc-sketch.bin`, when the panel has one (the
    /// built-in panel does); without it the species verdict is `unknown`.
    pub species_sketch: Option<std::sync::Arc<Sketch>>,
}

impl Panel {
    /// Loads a built-in panel by name, or a panel directory.
    ///
    /// ```
    /// use genoflow_genomics::analysis::Panel;
    /// let panel = Panel::load("tb-who-2023").unwrap();
    /// assert_eq!(panel.reference, "NC_000962.3");
    /// assert!(panel.genes.iter().any(|gene| gene.name == "rpoB"));
    /// ```
    pub fn load(name_or_dir: &str) -> Result<Self, Error> {
        if name_or_dir == BUILTIN_TB {
            return Self::from_bytes(TB_PANEL_TSV, TB_REFERENCE, TB_CATALOGUE, "built-in panel")?
                .with_barcode(TB_BARCODE, "built-in panel")?
                .with_sketch(TB_SKETCH, name_or_dir);
        }
        let dir = Path::new(name_or_dir);
        if !dir.is_dir() {
            return Err(Error::Panel {
                panel: name_or_dir.to_owned(),
                message: format!(
                    "no built-in panel of that name and no such directory (built-in: {BUILTIN_TB})"
                ),
            });
        }
        let read = |file: &str| {
            std::fs::read(dir.join(file)).map_err(|source| Error::Io {
                path: dir.join(file).display().to_string(),
                source,
            })
        };
        let mut panel = Self::from_bytes(
            &read("panel.tsv")?,
            &read("reference.fa.gz")?,
            &read("catalogue.tsv.gz")?,
            name_or_dir,
        )?;
        // Optional: without it the report's lineage is `unknown`.
        if dir.join(BARCODE_FILE).is_file() {
            panel = panel.with_barcode(&read(BARCODE_FILE)?, name_or_dir)?;
        }
        // Optional: without it the species verdict is `unknown`.
        if dir.join(SKETCH_FILE).is_file() {
            panel = panel.with_sketch(&read(SKETCH_FILE)?, name_or_dir)?;
        }
        Ok(panel)
    }

    fn from_bytes(
        panel_tsv: &[u8],
        reference_gz: &[u8],
        catalogue_gz: &[u8],
        origin: &str,
    ) -> Result<Self, Error> {
        let fail = |message: String| Error::Panel {
            panel: origin.to_owned(),
            message,
        };
        let reference_fa =
            gunzip(reference_gz).map_err(|e| fail(format!("reference.fa.gz: {e}")))?;
        let catalogue_tsv =
            gunzip(catalogue_gz).map_err(|e| fail(format!("catalogue.tsv.gz: {e}")))?;
        let mut hasher = Sha256::new();
        for part in [panel_tsv, &reference_fa, &catalogue_tsv] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
        let files = PanelFiles {
            panel_tsv: hex::encode(Sha256::digest(panel_tsv)),
            reference_fa: hex::encode(Sha256::digest(&reference_fa)),
            catalogue_tsv: hex::encode(Sha256::digest(&catalogue_tsv)),
            lineage_barcode: None,
            species_sketch: None,
        };

        let mut panel = Panel {
            name: String::new(),
            reference: String::new(),
            reference_length: 0,
            catalogue_name: String::new(),
            genes: Vec::new(),
            segments: Vec::new(),
            catalogue: HashMap::new(),
            loss_of_function: HashMap::new(),
            drugs: Vec::new(),
            barcode: None,
            sha256: hex::encode(hasher.finalize()),
            files,
            species_sketch: None,
        };
        parse_panel_tsv(&mut panel, panel_tsv).map_err(|m| fail(format!("panel.tsv: {m}")))?;
        parse_reference(&mut panel, &reference_fa)
            .map_err(|m| fail(format!("reference.fa.gz: {m}")))?;
        parse_catalogue(&mut panel, &catalogue_tsv)
            .map_err(|m| fail(format!("catalogue.tsv.gz: {m}")))?;
        Ok(panel)
    }

    /// Adds the lineage barcode: every site must lie in the segments. The pipeline-id hash then
    /// covers it: `sha256` becomes the SHA-256 of the previous hash (hex), the file name, the
    /// barcode's length (8 bytes, little-endian) and its bytes; a panel without a barcode keeps
    /// the hash of its three files.
    fn with_barcode(mut self, bytes: &[u8], origin: &str) -> Result<Self, Error> {
        let fail = |message: String| Error::Panel {
            panel: origin.to_owned(),
            message: format!("{BARCODE_FILE}: {message}"),
        };
        let barcode = Barcode::parse(bytes, &self.reference).map_err(fail)?;
        if let Some(site) = barcode.sites.iter().find(|s| self.base(s.pos).is_none()) {
            return Err(fail(format!(
                "site {} lies outside the reference segments",
                site.pos
            )));
        }
        let mut hasher = Sha256::new();
        hasher.update(self.sha256.as_bytes());
        hasher.update(BARCODE_FILE.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
        self.sha256 = hex::encode(hasher.finalize());
        self.files.lineage_barcode = Some(hex::encode(Sha256::digest(bytes)));
        self.barcode = Some(barcode);
        Ok(self)
    }

    /// Adds the species check's sketch. The pipeline id covers it through the sketch's
    /// configuration (`species::configuration`), the catalogue attestation through its SHA-256.
    fn with_sketch(mut self, bytes: &[u8], origin: &str) -> Result<Self, Error> {
        let sketch = Sketch::from_bytes(bytes).map_err(|message| Error::Panel {
            panel: origin.to_owned(),
            message: format!("{SKETCH_FILE}: {message}"),
        })?;
        self.files.species_sketch = Some(hex::encode(Sha256::digest(bytes)));
        self.species_sketch = Some(std::sync::Arc::new(sketch));
        Ok(self)
    }

    /// Number of lineages of the panel's lineage barcode (0 without one).
    ///
    /// ```
    /// use genoflow_genomics::analysis::Panel;
    /// assert_eq!(Panel::load("tb-who-2023").unwrap().lineages(), 126);
    /// ```
    pub fn lineages(&self) -> usize {
        self.barcode.as_ref().map_or(0, Barcode::lineages)
    }

    /// Whether a 1-based position lies in a segment holding a gene or its promoter: the
    /// resistance regions, whose variants the report lists (segments added for the lineage
    /// barcode alone serve the lineage call).
    pub(crate) fn in_gene_segment(&self, pos: u64) -> bool {
        let Some(segment) = self.segment_of(pos) else {
            return false;
        };
        let (start, end) = (
            segment.start,
            segment.start + segment.sequence.len() as u64 - 1,
        );
        self.genes.iter().any(|gene| {
            let (from, to) = if gene.forward {
                (gene.start.saturating_sub(gene.promoter), gene.end)
            } else {
                (gene.start, gene.end + gene.promoter)
            };
            from <= end && start <= to
        })
    }

    /// What the oracle attests for the `catalogue` source: the panel's name, catalogue and
    /// reference, and the SHA-256 (hex) of each of its files, decompressed: the three the
    /// resistance calls rest on, and the lineage barcode and the species sketch when the panel
    /// has them. Anyone holding the panel directory can recompute it: hash the files, write
    /// this document as canonical JSON ([`canonical_json`](super::attestation::canonical_json)),
    /// hash that.
    ///
    /// ```
    /// use genoflow_genomics::analysis::Panel;
    /// let panel = Panel::load("tb-who-2023").unwrap();
    /// let document = panel.catalogue_document();
    /// assert_eq!(document["catalogue"], "WHO 2023 2nd edition");
    /// assert_eq!(document["files"]["panel.tsv"].as_str().unwrap().len(), 64);
    /// ```
    pub fn catalogue_document(&self) -> Value {
        let mut files = json!({
            "panel.tsv": self.files.panel_tsv,
            "reference.fa": self.files.reference_fa,
            "catalogue.tsv": self.files.catalogue_tsv,
        });
        for (name, hash) in [
            (BARCODE_FILE, &self.files.lineage_barcode),
            (SKETCH_FILE, &self.files.species_sketch),
        ] {
            if let Some(hash) = hash {
                files[name] = json!(hash);
            }
        }
        json!({
            "source": "catalogue",
            "id": self.name,
            "panel": self.name,
            "catalogue": self.catalogue_name,
            "reference": self.reference,
            "files": files,
        })
    }

    /// The attestation of [`Panel::catalogue_document`]: source `catalogue`, id the panel's name.
    ///
    /// ```
    /// use genoflow_genomics::analysis::{Panel, attestation};
    /// let panel = Panel::load("tb-who-2023").unwrap();
    /// let attested = panel.catalogue_attestation();
    /// assert_eq!(attested.key, hex::encode(attestation::key("catalogue", "tb-who-2023")));
    /// ```
    pub fn catalogue_attestation(&self) -> Attestation {
        Attestation::of("catalogue", &self.name, &self.catalogue_document()).0
    }

    /// The reference base at a 1-based position, if the panel carries it.
    pub fn base(&self, pos: u64) -> Option<u8> {
        let segment = self.segment_of(pos)?;
        segment
            .sequence
            .get((pos - segment.start) as usize)
            .copied()
    }

    /// The reference bases `[start, start + len)`, if the panel carries them all.
    pub fn bases(&self, start: u64, len: usize) -> Option<&[u8]> {
        let segment = self.segment_of(start)?;
        let offset = (start - segment.start) as usize;
        segment.sequence.get(offset..offset + len)
    }

    fn segment_of(&self, pos: u64) -> Option<&Segment> {
        let index = self
            .segments
            .partition_point(|s| s.start <= pos)
            .checked_sub(1)?;
        let segment = &self.segments[index];
        (pos < segment.start + segment.sequence.len() as u64).then_some(segment)
    }

    /// Normalises a variant: trims shared bases, then left-aligns indels keeping one padding base
    /// (VCF style). Returns `None` when the alleles leave the panel's reference.
    ///
    /// ```
    /// use genoflow_genomics::analysis::Panel;
    /// let panel = Panel::load("tb-who-2023").unwrap();
    /// // A C>T written with a shared trailing base is the plain SNV.
    /// let snv = panel.normalise(761155, b"CG", b"TG").unwrap();
    /// assert_eq!(snv, (761155, b"C".to_vec(), b"T".to_vec()));
    /// ```
    pub fn normalise(
        &self,
        pos: u64,
        reference: &[u8],
        alt: &[u8],
    ) -> Option<(u64, Vec<u8>, Vec<u8>)> {
        let (mut pos, mut reference, mut alt) = (pos, reference.to_vec(), alt.to_vec());
        while reference.len() > 1 && alt.len() > 1 && reference.last() == alt.last() {
            reference.pop();
            alt.pop();
        }
        while reference.len() > 1 && alt.len() > 1 && reference[0] == alt[0] {
            reference.remove(0);
            alt.remove(0);
            pos += 1;
        }
        if reference.len() == alt.len() || (reference[0] != alt[0]) {
            return Some((pos, reference, alt));
        }
        // An indel with its padding base P: deleting (or inserting) P D1..Dk-1 after the base
        // before P is the same change when Dk equals P, so shift left while it does.
        loop {
            let longer = if reference.len() > alt.len() {
                &reference
            } else {
                &alt
            };
            if longer.last() != longer.first() || pos <= 1 {
                break;
            }
            let before = self.base(pos - 1)?;
            for allele in [&mut reference, &mut alt] {
                allele.pop();
                allele.insert(0, before);
            }
            pos -= 1;
        }
        Some((pos, reference, alt))
    }

    /// Catalogue entries of a normalised variant.
    pub fn catalogue_entries(&self, pos: u64, reference: &[u8], alt: &[u8]) -> &[CatalogueEntry] {
        self.catalogue
            .get(&(pos, reference.to_vec(), alt.to_vec()))
            .map_or(&[], Vec::as_slice)
    }

    /// Drugs of the catalogue, sorted.
    pub fn drug_names(&self) -> impl Iterator<Item = &str> {
        self.drugs.iter().map(|(drug, _)| drug.as_str())
    }
}

fn gunzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data).read_to_end(&mut out)?;
    Ok(out)
}

/// The column line of `panel.tsv`.
const PANEL_COLUMNS: &str = "gene\tlocus_tag\tkind\tstrand\tstart\tend\tpromoter\tncbi_gene";
/// The column line before the `ncbi_gene` column, still read so that older panel directories
/// load (their genes get no NCBI id). The new column comes last so that the others keep their
/// place for whatever reads them by position.
const PANEL_COLUMNS_WITHOUT_NCBI: &str = "gene\tlocus_tag\tkind\tstrand\tstart\tend\tpromoter";

fn parse_panel_tsv(panel: &mut Panel, text: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(text).map_err(|_| "not UTF-8".to_owned())?;
    // `None` until the column line; then whether it has the `ncbi_gene` column.
    let mut with_ncbi: Option<bool> = None;
    for (index, line) in text.lines().enumerate() {
        let at = |m: &str| format!("line {}: {m}", index + 1);
        let fields: Vec<&str> = line.split('\t').collect();
        if let Some(comment) = line.strip_prefix("# ") {
            let fields: Vec<&str> = comment.split('\t').collect();
            match fields.as_slice() {
                [title] if title.starts_with("genoflow panel: ") => {
                    panel.name = title["genoflow panel: ".len()..].to_owned();
                }
                ["reference", name, length] => {
                    panel.reference = (*name).to_owned();
                    panel.reference_length = length
                        .parse()
                        .map_err(|_| at("reference length is not a number"))?;
                }
                ["catalogue", name] => panel.catalogue_name = (*name).to_owned(),
                _ => return Err(at("unknown header line")),
            }
        } else if with_ncbi.is_none() {
            with_ncbi = match line {
                PANEL_COLUMNS => Some(true),
                PANEL_COLUMNS_WITHOUT_NCBI => Some(false),
                _ => {
                    return Err(at(
                        "expected the column line gene, locus_tag, kind, strand, start, end, \
                         promoter, ncbi_gene (ncbi_gene may be left out)",
                    ));
                }
            };
        } else {
            let (name, ncbi, kind, strand, start, end, promoter) =
                match (with_ncbi == Some(true), fields.as_slice()) {
                    (true, [name, _locus, kind, strand, start, end, promoter, ncbi]) => {
                        (name, Some(*ncbi), kind, strand, start, end, promoter)
                    }
                    (false, [name, _locus, kind, strand, start, end, promoter]) => {
                        (name, None, kind, strand, start, end, promoter)
                    }
                    (true, _) => return Err(at("expected 8 tab-separated fields")),
                    (false, _) => return Err(at("expected 7 tab-separated fields")),
                };
            // An empty cell is a gene NCBI has no record of; anything else must be an id.
            let ncbi_gene_id = match ncbi.filter(|id| !id.is_empty()) {
                Some(id) if id.bytes().all(|b| b.is_ascii_digit()) => Some(id.to_owned()),
                Some(_) => return Err(at("ncbi_gene must be digits (an NCBI Gene id) or empty")),
                None => None,
            };
            let number = |v: &str, what: &str| {
                v.parse::<u64>()
                    .map_err(|_| at(&format!("{what} is not a number")))
            };
            let gene = Gene {
                name: (*name).to_owned(),
                ncbi_gene_id,
                kind: match *kind {
                    "CDS" => GeneKind::Cds,
                    "rRNA" => GeneKind::Rrna,
                    _ => return Err(at("kind must be CDS or rRNA")),
                },
                forward: match *strand {
                    "+" => true,
                    "-" => false,
                    _ => return Err(at("strand must be + or -")),
                },
                start: number(start, "start")?,
                end: number(end, "end")?,
                promoter: number(promoter, "promoter")?,
            };
            if gene.start == 0 || gene.start > gene.end {
                return Err(at("start must be ≥ 1 and ≤ end"));
            }
            if gene.kind == GeneKind::Cds && !(gene.end - gene.start + 1).is_multiple_of(3) {
                return Err(at("a CDS length must be a multiple of 3"));
            }
            panel.genes.push(gene);
        }
    }
    if panel.name.is_empty() || panel.reference.is_empty() || panel.catalogue_name.is_empty() {
        return Err("missing one of the header lines '# genoflow panel: NAME', '# reference', '# catalogue'".to_owned());
    }
    panel.genes.sort_by_key(|gene| (gene.start, gene.end));
    Ok(())
}

fn parse_reference(panel: &mut Panel, fasta: &[u8]) -> Result<(), String> {
    for (index, line) in BufReader::new(fasta).split(b'\n').enumerate() {
        let line = line.map_err(|e| e.to_string())?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if let Some(name) = line.strip_prefix(b">") {
            let name = String::from_utf8_lossy(name);
            let name = name.split_whitespace().next().unwrap_or_default();
            let parsed = name
                .strip_prefix(&format!("{}:", panel.reference))
                .and_then(|range| range.split_once('-'))
                .and_then(|(start, _)| start.parse::<u64>().ok());
            let start = parsed.ok_or_else(|| {
                format!(
                    "line {}: a segment must be named {}:START-END",
                    index + 1,
                    panel.reference
                )
            })?;
            panel.segments.push(Segment {
                start,
                sequence: Vec::new(),
            });
        } else {
            let segment = panel
                .segments
                .last_mut()
                .ok_or_else(|| format!("line {}: sequence before the first '>' line", index + 1))?;
            segment
                .sequence
                .extend(line.iter().map(u8::to_ascii_uppercase));
        }
    }
    panel.segments.sort_by_key(|s| s.start);
    for pair in panel.segments.windows(2) {
        if pair[0].start + pair[0].sequence.len() as u64 > pair[1].start {
            return Err(format!(
                "segments starting at {} and {} overlap",
                pair[0].start, pair[1].start
            ));
        }
    }
    if panel.segments.is_empty() {
        return Err("no segments".to_owned());
    }
    Ok(())
}

fn parse_catalogue(panel: &mut Panel, tsv: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(tsv).map_err(|_| "not UTF-8".to_owned())?;
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, "chrom\tpos\tref\talt\tvariant\tdrug\tgrade")) => {}
        _ => {
            return Err(
                "line 1: expected the columns chrom, pos, ref, alt, variant, drug, grade"
                    .to_owned(),
            );
        }
    }
    let mut drug_positions: HashMap<String, BTreeSet<u64>> = HashMap::new();
    for (index, line) in lines {
        let at = |m: &str| format!("line {}: {m}", index + 1);
        let [chrom, pos, reference, alt, variant, drug, grade] =
            line.split('\t').collect::<Vec<_>>()[..]
        else {
            return Err(at("expected 7 tab-separated fields"));
        };
        if chrom != panel.reference {
            return Err(at(&format!(
                "chrom {chrom} is not the panel reference {}",
                panel.reference
            )));
        }
        let pos: u64 = pos.parse().map_err(|_| at("pos is not a number"))?;
        if panel.bases(pos, reference.len()) != Some(reference.as_bytes()) {
            return Err(at(
                "REF differs from the panel reference (or lies outside its segments)",
            ));
        }
        let entry = CatalogueEntry {
            variant: variant.to_owned(),
            drug: drug.to_owned(),
            grade: grade.to_owned(),
        };
        drug_positions
            .entry(drug.to_owned())
            .or_default()
            .insert(pos);
        if let Some(gene) = variant.strip_suffix("_LoF") {
            let class = panel.loss_of_function.entry(gene.to_owned()).or_default();
            if !class.contains(&entry) {
                class.push(entry.clone());
            }
        }
        let key = panel
            .normalise(pos, reference.as_bytes(), alt.as_bytes())
            .ok_or_else(|| at("the variant cannot be normalised inside the panel reference"))?;
        let entries = panel.catalogue.entry(key).or_default();
        if !entries.contains(&entry) {
            entries.push(entry);
        }
    }
    let mut drugs: Vec<(String, Vec<u64>)> = drug_positions
        .into_iter()
        .map(|(drug, positions)| (drug, positions.into_iter().collect()))
        .collect();
    drugs.sort();
    panel.drugs = drugs;
    Ok(())
}
