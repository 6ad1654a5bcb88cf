// Rendering of the analysis report, the coverage chart and the anchoring proof.

import { scrollRegion } from './a11y.js';
import { h, svg } from './dom.js';
import { figureLabel, formatDate, formatNumber, formatPercent, orderedEntries, shortHex } from './format.js';
import {
  callsBy, classWords, classificationOf, drugLine, gradeWords, groupDrugs, lineageFigureRows, lineageWords, mixtureWords, notAssessedWords,
  qcVerdict, sampleOf, speciesWords,
} from './interpret.js';
import { attestationErrorWords, attestationStateWords, catalogueProblems, chainCheck, evidenceGenes } from './oracle.js';
import { anchorWords } from './verify.js';

const CALL_WORDS = { resistant: 'Resistant', susceptible: 'Susceptible', unknown: 'Unknown' };

function section(title, ...children) {
  return h('section', { class: 'report-section' }, h('h3', {}, title), ...children);
}

function definitionList(entries) {
  return h(
    'dl',
    { class: 'facts' },
    entries.filter(Boolean).map(([term, value, testid]) => [
      h('dt', {}, term),
      h('dd', { dataset: testid ? { testid } : undefined }, value),
    ]),
  );
}

/** One drug's evidence: variant, WHO grade in words, allele fraction. */
function evidenceList(evidence = []) {
  return h('ul', { class: 'evidence' }, evidence.map((e) =>
    h('li', {},
      h('code', {}, e.variant), ' ',
      h('span', { class: 'grade' }, gradeWords(e)),
      typeof e.alt_fraction === 'number' ? h('span', { class: 'muted' }, ` · ${formatPercent(e.alt_fraction, 0)} of reads`) : null,
      e.heteroresistant ? h('span', { class: 'badge small-badge' }, 'heteroresistant') : null)));
}

/** Why a drug was not assessed: genes, positions, the rule. */
function notAssessedDetail(call) {
  const words = notAssessedWords(call);
  return h('div', { class: 'not-assessed-detail small' },
    words.genes ? h('div', {}, h('strong', {}, 'Coverage too low in: '), words.genes, '.') : null,
    words.positions ? h('div', { class: 'na-positions' }, h('strong', {}, 'Positions: '), words.positions, words.counts ? ` (${words.counts})` : '', '.') : null,
    h('div', { class: 'muted na-rule' }, h('strong', {}, 'Rule: '), words.rule, '.'));
}

/** Per-drug calls with their evidence, grouped first-line then second-line. */
export function renderResistance(report = {}) {
  const groups = groupDrugs(report);
  const card = (r) => h(
    'li',
    { class: `drug call-${r.call}`, dataset: { testid: 'drug-call', drug: r.drug, call: r.call, line: drugLine(r) } },
    h('div', { class: 'drug-head' }, h('span', { class: 'drug-name' }, r.drug), h('span', { class: `badge call-${r.call}` }, CALL_WORDS[r.call] || r.call)),
    r.warning ? h('div', { class: 'bad small' }, r.warning) : null,
    r.evidence && r.evidence.length ? evidenceList(r.evidence) : null,
    r.caveat ? h('div', { class: 'caveat small' }, h('strong', {}, 'Caveat: '), r.caveat) : null,
    r.call === 'unknown'
      ? notAssessedDetail(r)
      : !r.evidence?.length ? h('div', { class: 'muted small no-variant' }, r.call === 'susceptible' ? 'No graded variant found.' : 'No graded variant.') : null,
    typeof r.covered_fraction === 'number'
      ? h('div', { class: 'muted small drug-coverage' }, `Catalogue positions covered ≥10×: ${formatPercent(r.covered_fraction)}`)
      : null,
  );
  return h('section', { class: 'report-section drug-table', dataset: { testid: 'drug-table' } },
    h('h2', {}, 'All drugs'),
    groups.map((g) => h('div', { class: 'drug-group', dataset: { line: g.line } },
      h('h3', {}, g.title),
      h('ul', { class: 'drugs' }, g.calls.map(card)))));
}

/** "Rifampicin: rpoB_p.Ser450Leu (associated with resistance, 100 % of reads)". */
function resistantLine(call) {
  return h('li', { dataset: { testid: 'answer-resistant', drug: call.drug } },
    h('strong', {}, call.drug), ': ',
    (call.evidence || []).length
      ? call.evidence.map((e, i) => [i ? '; ' : '', h('code', {}, e.variant), ` (${gradeWords(e)}${typeof e.alt_fraction === 'number' ? `, ${formatPercent(e.alt_fraction, 0)} of reads` : ''}${e.heteroresistant ? ', heteroresistant' : ''})`])
      : 'no variant named',
    call.caveat ? h('div', { class: 'caveat small' }, `Caveat: ${call.caveat}.`) : null);
}

function notAssessedLine(call) {
  const words = notAssessedWords(call);
  return h('li', { dataset: { testid: 'answer-not-assessed', drug: call.drug } },
    h('strong', {}, call.drug), ': ',
    words.genes ? `coverage too low in ${words.genes}` : 'coverage too low to call',
    words.counts ? ` — ${words.counts}` : '', '.');
}

/**
 * The answer, first: the sample, its WHO class with its meaning, the resistant drugs with their
 * variants, the drugs that could not be assessed and why, lineage, species and mixture, the QC
 * verdict. `view` is the API's /report answer; `dataset` the dataset (for its name).
 */
export function renderAnswer(view, dataset = null) {
  const report = view.report || {};
  const sample = sampleOf(report, dataset);
  const { classification, detail, computed } = classificationOf(report);
  const words = classWords(classification);
  const resistant = callsBy(report, 'resistant');
  const unknown = callsBy(report, 'unknown');
  const qc = qcVerdict(report);
  const files = (report.inputs || []).map((i) => i.path).filter(Boolean);
  const specimen = [
    sample.specimen_id ? ['Specimen id', sample.specimen_id] : null,
    sample.collection_date ? ['Collected', sample.collection_date] : null,
    sample.submitter ? ['Submitted by', sample.submitter] : null,
  ].filter(Boolean);
  const biology = [
    ['Species', speciesWords(report.species)],
    ['Lineage', lineageWords(report.lineage)],
    ['Strains', mixtureWords(report.mixture)],
  ].filter(([, value]) => value);
  const unknownRule = unknown.map((c) => c.not_assessed?.rule).find(Boolean);
  return h('section', { class: 'report-answer', dataset: { testid: 'report-answer', classification } },
    h('p', { class: 'kicker' }, 'Drug-resistance report',
      view.report_date ? h('span', { dataset: { testid: 'report-date' } }, ` · written ${formatDate(view.report_date)}`) : null,
      h('span', { class: 'print-only', dataset: { testid: 'printed-date' } }, ` · printed ${formatDate(Date.now())}`)),
    h('h1', { class: 'sample-name' }, sample.name || 'Unnamed sample'),
    !sample.name && files.length ? h('p', { class: 'muted small' }, `Files: ${files.join(', ')}`) : null,
    specimen.length ? h('dl', { class: 'facts specimen', dataset: { testid: 'specimen' } }, specimen.map(([t, v]) => [h('dt', {}, t), h('dd', {}, v)])) : null,
    h('div', { class: `classification level-${words.level}`, dataset: { testid: 'classification' } },
      h('div', { class: 'class-name' }, words.name),
      words.meaning ? h('div', { class: 'class-meaning' }, words.meaning) : null,
      detail ? h('div', { class: 'class-detail small' }, `${detail.charAt(0).toUpperCase()}${detail.slice(1)}.`) : null,
      computed ? h('div', { class: 'muted small' }, 'Classified on this page from the drug calls (this report predates the class field).') : null),
    h('div', { class: 'answer-columns' },
      h('div', { class: 'answer-resistant' },
        h('h2', {}, resistant.length ? `Resistant (${resistant.length})` : 'Resistant'),
        resistant.length ? h('ul', {}, resistant.map(resistantLine)) : h('p', { class: 'muted' }, 'No drug was found resistant.')),
      h('div', { class: 'answer-not-assessed', dataset: { testid: 'not-assessed' } },
        h('h2', {}, unknown.length ? `Not assessed (${unknown.length})` : 'Not assessed'),
        unknown.length
          ? [h('ul', {}, unknown.map(notAssessedLine)),
            h('p', { class: 'muted small' }, 'Not assessed means neither resistant nor susceptible: ',
              unknownRule ? `${unknownRule.replace(/; here [^;]*$/, '')}.` : 'too few of the drug’s catalogue positions were covered by enough reads.')]
          : h('p', { class: 'muted' }, 'Every drug of the catalogue was assessed.'))),
    biology.length ? h('dl', { class: 'facts biology', dataset: { testid: 'biology' } }, biology.map(([t, v]) => [h('dt', {}, t), h('dd', {}, v)])) : null,
    lineageFigure(report.lineage),
    h('p', { class: `qc-verdict qc-${qc.level}`, dataset: { testid: 'qc-verdict', level: qc.level } }, h('strong', {}, 'Sequencing QC: '), qc.words),
  );
}

/**
 * A small figure of the lineage path: one bar per lineage from the root down, its length the
 * median fraction of reads carrying the lineage's derived base at its covered barcode sites. A
 * table underneath the bars, so the numbers are read, not guessed from a length.
 */
function lineageFigure(lineage) {
  const rows = lineageFigureRows(lineage);
  if (!rows.length) return null;
  return h('figure', { class: 'lineage-figure', dataset: { testid: 'lineage-figure' } },
    h('figcaption', {}, 'Lineage path: the share of reads with each lineage’s defining bases'),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Lineage'), h('th', { scope: 'col' }, 'Reads with its bases'), h('th', { scope: 'col' }, 'Sites covered'))),
      h('tbody', {}, rows.map((row) => h('tr', { dataset: { testid: 'lineage-row', lineage: row.lineage } },
        h('th', { scope: 'row' }, row.lineage),
        h('td', {},
          h('span', { class: 'lineage-bar', 'aria-hidden': 'true' }, h('span', { style: `width: ${Math.round((row.fraction ?? 0) * 100)}%` })),
          ` ${formatPercent(row.fraction, 0)}`),
        h('td', {}, row.sites === null ? '—' : `${row.covered ?? 0} of ${row.sites}`))))));
}

/** Versions, identifiers and the disclaimer: on screen at the end of the report, and in print. */
export function renderAbout(view, config = {}) {
  const report = view.report || {};
  const panel = report.panel || {};
  const software = report.software;
  return h('section', { class: 'report-section report-about', dataset: { testid: 'report-about' } },
    h('h2', {}, 'About this report'),
    definitionList([
      ['Software', software ? `${software.name} ${software.version} (method ${software.method})` : 'not named in this report'],
      config?.version ? ['Server', String(config.version)] : null,
      ['Pipeline id', h('code', { class: 'wrap' }, report.pipeline_id ?? '—')],
      ['Panel', `${panel.name ?? '—'} (reference ${panel.reference ?? '—'})`],
      ['Catalogue', `${panel.catalogue ?? '—'}${report.catalogue?.id ? ` (attested as ${report.catalogue.id}, value ${shortHex(report.catalogue.value, 8)})` : ''}`],
      ['Report SHA-256', h('code', { class: 'wrap' }, view.report_sha256 ?? '—')],
      ['Report written', view.report_date ? formatDate(view.report_date) : 'not recorded'],
    ].filter(Boolean)),
    h('p', { class: 'disclaimer', dataset: { testid: 'disclaimer' } },
      h('strong', {}, 'For research use only. Not for diagnostic use. '),
      'These calls are predicted from sequencing reads against the WHO mutation catalogue; they are not a phenotypic drug-susceptibility test. ',
      'A drug can be resistant through mechanisms the catalogue does not list, and "not assessed" drugs were not tested at all. ',
      'The proof of provenance shows which files and pipeline produced this report, not that its calls are right. ',
      'Treatment decisions need a validated, accredited laboratory test and a clinician’s judgement.'),
  );
}

/** The variant table. */
export function renderVariants(variants = []) {
  if (!variants.length) return section('Variants', h('p', { class: 'muted' }, 'No variant was called.'));
  const head = ['Position', 'Ref', 'Alt', 'Gene', 'Consequence', 'HGVS', 'Depth', 'Alt fraction'];
  return section(
    `Variants (${variants.length})`,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'variants' },
        h('thead', {}, h('tr', {}, head.map((t) => h('th', {}, t)))),
        h(
          'tbody',
          {},
          variants.map((v) =>
            h(
              'tr',
              { dataset: { testid: 'variant-row', pos: v.pos } },
              h('td', { class: 'num' }, formatNumber(v.pos)),
              h('td', { class: 'seq' }, v.ref),
              h('td', { class: 'seq' }, v.alt),
              h('td', {}, v.gene ?? '—'),
              h('td', {}, (v.consequence ?? '—').replace(/_/g, ' ')),
              h('td', {}, h('code', {}, v.hgvs ?? '—')),
              h('td', { class: 'num' }, formatNumber(v.depth)),
              h('td', { class: 'num' }, formatPercent(v.alt_fraction), v.mixed ? h('span', { class: 'badge small-badge' }, 'mixed') : null),
            ),
          ),
        ),
      ),
    ),
  );
}

/** Horizontal bars of each gene's mean depth, with the 10× line. */
export function renderCoverageChart(coverage = []) {
  const threshold = 10;
  const rowHeight = 22;
  const labelWidth = 80;
  // The SVG scales to its column: on a phone a desktop-wide drawing would shrink its 11–12 px
  // labels to 5–7 px. A narrower drawing keeps them at about their size.
  const narrow = typeof window !== 'undefined' && window.matchMedia?.('(max-width: 600px)').matches;
  const barArea = narrow ? 150 : 520;
  const fractionWidth = narrow ? 80 : 110;
  const width = labelWidth + barArea + fractionWidth;
  const top = 24;
  const height = top + coverage.length * rowHeight + 22;
  const maxDepth = Math.max(threshold * 2, ...coverage.map((c) => c.mean_depth || 0));
  const scale = (depth) => (Math.max(0, depth) / (maxDepth * 1.08)) * barArea;
  const thresholdX = labelWidth + scale(threshold);
  const rows = coverage.map((c, i) => {
    const y = top + i * rowHeight;
    const depth = c.mean_depth || 0;
    const level = depth >= threshold ? 'ok' : depth > 0 ? 'low' : 'none';
    const barWidth = scale(depth);
    return svg(
      'g',
      { class: `gene level-${level}`, dataset: { gene: c.gene, depth } },
      svg('title', {}, `${c.gene}: mean depth ${formatNumber(depth, 1)}×, ${formatPercent(c.fraction_10x)} of bases ≥10×`),
      svg('text', { x: labelWidth - 8, y: y + 15, 'text-anchor': 'end', class: 'gene-label' }, c.gene),
      svg('rect', { x: labelWidth, y: y + 4, width: Math.max(barWidth, depth > 0 ? 1 : 0), height: rowHeight - 8, rx: 2, class: 'bar' }),
      svg('text', { x: labelWidth + barWidth + 6, y: y + 15, class: 'bar-value' }, `${formatNumber(depth, 1)}×`),
      svg('text', { x: width - 4, y: y + 15, 'text-anchor': 'end', class: 'fraction' }, `${formatPercent(c.fraction_10x, 0)} ≥10×`),
    );
  });
  const chart = svg(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      width: '100%',
      role: 'img',
      'aria-label': 'Mean read depth per gene, with the 10× line',
      class: 'coverage-svg',
      preserveAspectRatio: 'xMinYMin meet',
    },
    svg('text', { x: labelWidth, y: 14, class: 'axis-label' }, 'Mean read depth'),
    svg('text', { x: width - 4, y: 14, 'text-anchor': 'end', class: 'axis-label' }, 'Bases ≥10×'),
    rows,
    svg('line', { x1: thresholdX, x2: thresholdX, y1: top - 2, y2: height - 16, class: 'threshold' }),
    svg('text', { x: thresholdX, y: height - 3, 'text-anchor': 'middle', class: 'threshold-label' }, '10× line'),
  );
  return section(
    'Coverage per gene',
    h('figure', { class: 'coverage', dataset: { testid: 'coverage-chart' } }, chart),
  );
}

/** QC figures. */
export function renderQc(qc = {}, inputs = []) {
  const entries = [];
  for (const [key, value] of orderedEntries(qc)) {
    let shown = formatNumber(value, 2);
    if (key === 'mapped_to_panel' && typeof qc.reads === 'number' && qc.reads > 0) {
      shown = `${formatNumber(value)} (${formatPercent(value / qc.reads)})`;
    }
    if (typeof value === 'number' && /fraction/.test(key)) shown = formatPercent(value);
    entries.push([figureLabel(key), shown, `qc-${key}`]);
  }
  const files = inputs.map((input) =>
    h('li', {}, h('strong', {}, input.path), ` · ${input.format ?? ''} · ${formatNumber(input.records)} records · `, h('code', { title: input.sha256 }, shortHex(input.sha256))),
  );
  return section('Quality control', h('div', { class: 'qc' }, definitionList(entries)), files.length ? h('ul', { class: 'inputs' }, files) : null);
}

/** An attestation's state in words (the colour only repeats them). */
function attestationState(attestation) {
  return h('span', { class: `oracle-state oracle-${attestation.state}`, dataset: { testid: 'attestation-state', state: attestation.state } }, attestationStateWords(attestation));
}

const READING = 'reading the oracle’s attestation…';

/** The catalogue the calls rest on, as the report names it and the oracle attested it. */
function renderCatalogueAttestation(named, entry) {
  const head = h('h4', {}, 'Resistance catalogue');
  if (!named) return [head, h('p', { class: 'muted', dataset: { testid: 'catalogue-attestation', state: 'none' } }, 'This report names no catalogue attestation.')];
  const id = h('code', {}, named.id);
  if (!entry) return [head, h('p', { class: 'muted', dataset: { testid: 'catalogue-attestation', state: 'loading' } }, 'Catalogue ', id, ': ', READING)];
  if (entry.error) {
    return [head, h('p', { class: 'muted', dataset: { testid: 'catalogue-attestation', state: entry.error.code === 'not_attested' ? 'not-attested' : 'error' } },
      'Catalogue ', id, ': ', attestationErrorWords(entry.error), '. The report names the value ', h('code', { title: named.value }, shortHex(named.value, 8)), '.')];
  }
  const a = entry.attestation;
  const chain = chainCheck(a);
  const problems = [...catalogueProblems(named, a), ...(chain.kind === 'mismatch' ? [chain.words] : [])];
  const doc = a.document || {};
  return [
    head,
    h('div', { dataset: { testid: 'catalogue-attestation', state: a.state, match: problems.length ? 'mismatch' : chain.kind } },
      problems.length
        ? h('div', { class: 'problem', role: 'alert', dataset: { testid: 'catalogue-mismatch' } },
          h('strong', {}, 'Warning: this catalogue attestation does not match.'),
          h('ul', {}, problems.map((p) => h('li', {}, p))))
        : null,
      definitionList([
        ['Catalogue', [id, doc.catalogue ? ` — ${doc.catalogue}` : '', doc.reference ? ` (${doc.reference})` : '']],
        ['Attested value', h('code', { title: a.value }, shortHex(a.value, 8))],
        ['State', attestationState(a)],
        ['Signed', Number.isFinite(a.timestamp) ? formatDate(a.timestamp * 1000) : '—'],
        ['Matches the report', catalogueProblems(named, a).length ? h('span', { class: 'bad' }, 'no') : 'yes, the same value'],
        ['Oracle contract', chain.kind === 'mismatch' ? h('span', { class: 'bad' }, 'does not match') : chain.kind === 'match' ? 'holds this value' : 'not read (see the chain check below)'],
      ])),
  ];
}

/** One row per gene of the evidence: its attested NCBI Gene record, or why there is none. */
function renderGeneRecords(genes, entries) {
  const head = h('h4', {}, 'Genes in the evidence');
  if (!genes.length) return [head, h('p', { class: 'muted' }, 'No gene is named in the evidence of this report.')];
  const rows = genes.map((symbol) => {
    const entry = entries[symbol];
    const geneCell = h('th', { scope: 'row' }, h('em', {}, symbol));
    if (!entry || entry.error) {
      const state = !entry ? 'loading' : entry.error.code === 'not_attested' || entry.error.code === 'unknown_gene' ? 'not-attested' : 'error';
      return h('tr', { dataset: { testid: 'gene-record', gene: symbol, state } }, geneCell,
        h('td', { colspan: 3, class: 'muted' }, entry ? attestationErrorWords(entry.error) : READING));
    }
    const a = entry.attestation;
    const doc = a.document || {};
    const chain = chainCheck(a);
    return h('tr', { dataset: { testid: 'gene-record', gene: symbol, state: a.state, match: chain.kind } },
      geneCell,
      h('td', { title: doc.organism || undefined }, doc.description ?? '—'),
      h('td', { class: 'num' }, doc.id ? h('a', { href: `https://www.ncbi.nlm.nih.gov/gene/${encodeURIComponent(doc.id)}`, rel: 'noopener noreferrer', target: '_blank' }, doc.id) : '—'),
      h('td', {}, attestationState(a), chain.kind === 'mismatch' ? h('div', { class: 'bad', role: 'alert', dataset: { testid: 'gene-mismatch' } }, chain.words) : null),
    );
  });
  return [
    head,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'gene-records' },
        h('caption', {}, 'NCBI Gene records of the genes named in the evidence, as the oracle attested them'),
        h('thead', {}, h('tr', {}, ['Gene', 'Description', 'NCBI Gene id', 'State'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, rows))),
  ];
}

/**
 * The knowledge base behind the calls: the catalogue attestation the report names and the
 * attested NCBI Gene record of each gene in the evidence. `oracle` is
 * `{catalogue: entry, genes: {[symbol]: entry}}`, an entry `{attestation}` or `{error}`, or
 * absent while it is read.
 */
export function renderKnowledgeBase(report, oracle = null) {
  const genes = evidenceGenes(report.resistance);
  const read = [oracle?.catalogue, ...genes.map((g) => oracle?.genes?.[g])].map((e) => e?.attestation).filter(Boolean);
  const unread = [...new Set(read.filter((a) => a.matches_chain === null || a.matches_chain === undefined).map((a) => a.on_chain_error).filter(Boolean))];
  return h(
    'section',
    { class: 'report-section knowledge-base', dataset: { testid: 'knowledge-base' } },
    h('h3', {}, 'Knowledge base'),
    h('p', { class: 'muted small' }, 'What the calls rest on, as GenoFlow’s oracle attested it: the resistance catalogue and the NCBI Gene record of each gene named in the evidence. The oracle signs each record and submits it to its contract on the Stacks chain.'),
    renderCatalogueAttestation(report.catalogue, oracle?.catalogue),
    renderGeneRecords(genes, oracle?.genes || {}),
    unread.map((message) => h('p', { class: 'muted small', dataset: { testid: 'oracle-unread' } }, `Chain check: ${message.replace(/\.$/, '')}.`)),
  );
}

/** The download links of the report's artifacts (report.json, variants.vcf). */
export function renderDownloads(view, resolveUrl = (url) => url) {
  return (view.artifacts || []).map((artifact) =>
    h('a', { class: 'button secondary', href: resolveUrl(artifact.url), download: artifact.name, dataset: { artifact: artifact.name } }, `Download ${artifact.name}`));
}

/**
 * The technical details, collapsed: identifiers, QC figures, the coverage chart, the variant
 * table, and whatever `extra` the page adds first (the file and its validation).
 */
export function renderTechnical(view, extra = []) {
  const report = view.report || {};
  return h('details', { class: 'technical', dataset: { testid: 'technical-details' } },
    h('summary', {}, h('span', { class: 'summary-title' }, 'Technical details'),
      h('span', { class: 'muted small' }, ' — files and hashes, validation, QC figures, coverage per gene, variants')),
    extra,
    section('Identifiers', definitionList([
      ['Report SHA-256', h('code', { class: 'wrap' }, view.report_sha256 ?? '—')],
      ['Pipeline id', h('code', { class: 'wrap' }, report.pipeline_id ?? '—')],
      ['Dataset id', h('code', {}, view.dataset_id ?? '—')],
      ['Sample id', h('code', {}, view.sample_id ?? '—')],
    ])),
    renderQc(report.qc, report.inputs),
    renderCoverageChart(report.coverage),
    renderVariants(report.variants),
  );
}

const CHECK_WORDS = { true: 'ok', false: 'failed' };

/** One check of Verify now: what, ok / failed / skipped in words, and what was compared. */
function renderCheck(c) {
  const result = c.skipped ? 'skipped' : CHECK_WORDS[c.holds];
  return h('li', { class: `check check-${result}`, dataset: { testid: 'verify-check', check: c.id, result } },
    h('span', { class: 'check-result' }, result === 'ok' ? '✓ ok' : result === 'failed' ? '✗ failed' : '– skipped'), ' ',
    h('span', { class: 'check-label' }, c.label),
    h('div', { class: 'check-detail muted small' }, c.detail));
}

/**
 * The outcome of Verify now: `verification` is null (not run), `{running: true}`, or
 * `{offline: [check], chain: [check] | null, chainNote, error}`.
 */
function renderVerification(verification) {
  if (!verification) return null;
  if (verification.running) return h('p', { class: 'muted', dataset: { testid: 'verify-result', state: 'running' } }, 'Checking…');
  if (verification.error) return h('p', { class: 'error', role: 'alert', dataset: { testid: 'verify-result', state: 'error' } }, `The checks could not run: ${verification.error}`);
  const all = [...verification.offline, ...(verification.chain || [])];
  const passed = all.every((c) => c.holds);
  return h('div', { class: `verify-result ${passed ? 'passed' : 'failed'}`, role: passed ? 'status' : 'alert', dataset: { testid: 'verify-result', state: passed ? 'passed' : 'failed' } },
    h('p', { class: 'verify-summary' }, h('strong', {}, passed
      ? 'Verified: this report, its input files and its pipeline version are the ones recorded in the proof.'
      : 'Verification failed: this report does not match its proof.'),
    passed ? '' : ' It may have been changed after it was made; do not rely on it.'),
    h('h4', {}, 'Checked in this browser'),
    h('ul', { class: 'checks' }, verification.offline.map(renderCheck)),
    h('h4', {}, 'Checked on the Stacks chain'),
    verification.chain ? h('ul', { class: 'checks' }, verification.chain.map(renderCheck)) : h('p', { class: 'muted small', dataset: { testid: 'verify-chain-note' } }, verification.chainNote),
  );
}

/**
 * The proof in plain language: what it protects, whether it was recorded on the chain (the
 * words follow `tx_status`), Verify now and its checks, proof.json and the command line, and
 * the raw values collapsed. `options`: `{verification, onVerify, block, nodeConfigured}`.
 */
export function renderProof(proof, options = {}) {
  const { verification = null, onVerify = null, block = null, nodeConfigured = false } = options;
  const json = JSON.stringify(proof, null, 2) + '\n';
  const href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  const words = anchorWords(proof, { nodeConfigured, block });
  return h(
    'div',
    { class: `proof anchor-${words.state}`, dataset: { testid: 'proof', txStatus: proof.tx_status } },
    h('p', { class: 'anchor-headline', dataset: { testid: 'anchor-words', state: words.state } }, words.headline),
    words.detail ? h('p', { class: 'muted small' }, words.detail) : null,
    h('p', { class: 'small' }, 'What is protected: the SHA-256 fingerprints of the input files, of this report (report.json, byte for byte) and of the pipeline version are combined into one record. Changing any of them — one byte of the report, another file, another pipeline — no longer matches the record.'),
    onVerify ? h('div', { class: 'verify-actions no-print' },
      h('button', { type: 'button', class: 'primary', disabled: Boolean(verification?.running), dataset: { testid: 'verify-now' }, onclick: onVerify }, 'Verify now'),
      h('span', { class: 'muted small' }, nodeConfigured && proof.tx_status === 'confirmed'
        ? ' Recomputes the fingerprints here and asks the Stacks chain.'
        : ' Recomputes the fingerprints in this browser from the report.json this server gives.')) : null,
    renderVerification(verification),
    h('details', { class: 'proof-values no-print' },
      h('summary', {}, 'The proof’s values, and checking it yourself'),
      definitionList([
        ['Merkle root', h('code', { class: 'wrap' }, proof.root)],
        ['Leaf index', `${formatNumber(proof.index)} of ${formatNumber(proof.size)}`],
        ['Transaction', h('code', { class: 'wrap' }, proof.txid || '—')],
        ['Transaction status', proof.tx_status],
        ['Batch id on chain', proof.batch_id ?? 'not yet (until confirmed)'],
        ['Item', h('code', { class: 'wrap' }, proof.item)],
        ['Inputs hash', h('code', { class: 'wrap' }, proof.inputs_hash)],
        ['Registry', proof.registry || '—'],
      ]),
      h('p', {}, 'Check it with the command line, with report.json and this proof:'),
      scrollRegion('The verify command', h('pre', { class: 'command' }, 'genoflow verify --report report.json --proof proof.json')),
      h('p', { class: 'muted small' }, 'Add --node URL to also ask a Stacks node that the root is anchored.')),
    h('a', { class: 'button secondary no-print', href, download: 'proof.json', dataset: { artifact: 'proof.json' } }, 'Download proof.json'),
  );
}
