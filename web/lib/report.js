// Rendering of the analysis report, the coverage chart and the anchoring proof.

import { h, svg } from './dom.js';
import { figureLabel, formatDate, formatNumber, formatPercent, orderedEntries, shortHex } from './format.js';
import { attestationErrorWords, attestationStateWords, catalogueProblems, chainCheck, evidenceGenes } from './oracle.js';

const CALL_WORDS = { resistant: 'Resistant', susceptible: 'Susceptible', unknown: 'Unknown' };

function section(title, ...children) {
  return h('section', { class: 'report-section' }, h('h3', {}, title), ...children);
}

function definitionList(entries) {
  return h(
    'dl',
    { class: 'facts' },
    entries.map(([term, value, testid]) => [
      h('dt', {}, term),
      h('dd', { dataset: testid ? { testid } : undefined }, value),
    ]),
  );
}

/** Per-drug calls with their evidence. */
export function renderResistance(resistance = []) {
  const resistant = resistance.filter((r) => r.call === 'resistant').map((r) => r.drug);
  const summary = resistant.length
    ? h('p', { class: 'summary resistant' }, h('strong', {}, 'Resistance found: '), resistant.join(', '), '.')
    : h('p', { class: 'summary' }, 'No resistance-associated variant was found in the covered genes.');
  const cards = resistance.map((r) =>
    h(
      'li',
      { class: `drug call-${r.call}`, dataset: { testid: 'drug-call', drug: r.drug, call: r.call } },
      h('div', { class: 'drug-head' }, h('span', { class: 'drug-name' }, r.drug), h('span', { class: `badge call-${r.call}` }, CALL_WORDS[r.call] || r.call)),
      typeof r.covered_fraction === 'number'
        ? h('div', { class: 'muted small' }, `Positions covered ≥10×: ${formatPercent(r.covered_fraction)}`)
        : null,
      r.evidence && r.evidence.length
        ? h(
            'ul',
            { class: 'evidence' },
            r.evidence.map((e) =>
              h(
                'li',
                {},
                h('code', {}, e.variant),
                ' ',
                h('span', { class: 'grade' }, e.grade),
                typeof e.alt_fraction === 'number' ? h('span', { class: 'muted' }, ` · ${formatPercent(e.alt_fraction, 0)} of reads`) : null,
              ),
            ),
          )
        : h('div', { class: 'muted small' }, r.call === 'unknown' ? 'Coverage too low to call.' : 'No graded variant.'),
    ),
  );
  return section('Drug resistance', summary, h('ul', { class: 'drugs' }, cards));
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
  const barArea = 520;
  const fractionWidth = 110;
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

/**
 * The whole report view: `{dataset_id, sample_id, report_sha256, report, artifacts}`, with the
 * oracle's attestations read so far (renderKnowledgeBase).
 */
export function renderReport(view, resolveUrl = (url) => url, oracle = null) {
  const report = view.report || {};
  const panel = report.panel || {};
  const downloads = (view.artifacts || []).map((artifact) =>
    h('a', { class: 'button secondary', href: resolveUrl(artifact.url), download: artifact.name, dataset: { artifact: artifact.name } }, `Download ${artifact.name}`),
  );
  return h(
    'div',
    { class: 'report', dataset: { testid: 'report' } },
    h(
      'div',
      { class: 'report-head' },
      definitionList([
        ['Panel', `${panel.name ?? '—'} (${panel.reference ?? '—'})`],
        ['Catalogue', panel.catalogue ?? '—'],
        ['Pipeline id', h('code', { title: report.pipeline_id }, shortHex(report.pipeline_id))],
        ['Report SHA-256', h('code', { title: view.report_sha256 }, shortHex(view.report_sha256))],
      ]),
      h('div', { class: 'downloads' }, downloads),
    ),
    renderResistance(report.resistance),
    renderKnowledgeBase(report, oracle),
    renderQc(report.qc, report.inputs),
    renderCoverageChart(report.coverage),
    renderVariants(report.variants),
  );
}

/** The anchoring proof, with proof.json to download and the command that checks it. */
export function renderProof(proof) {
  const json = JSON.stringify(proof, null, 2) + '\n';
  const href = URL.createObjectURL(new Blob([json], { type: 'application/json' }));
  const statusWords = {
    unbroadcast: 'signed, not broadcast (no Stacks node configured)',
    signed: 'signed, not broadcast yet',
    pending: 'broadcast, waiting for a block',
    confirmed: 'confirmed in a block',
    failed: 'failed; a later batch will anchor it',
  };
  return h(
    'div',
    { class: 'proof', dataset: { testid: 'proof', txStatus: proof.tx_status } },
    definitionList([
      ['Merkle root', h('code', { class: 'wrap' }, proof.root)],
      ['Leaf index', `${formatNumber(proof.index)} of ${formatNumber(proof.size)}`],
      ['Transaction', h('code', { class: 'wrap' }, proof.txid || '—')],
      ['Transaction status', `${proof.tx_status}${statusWords[proof.tx_status] ? ` — ${statusWords[proof.tx_status]}` : ''}`],
      ['Batch id on chain', proof.batch_id ?? 'not yet (until confirmed)'],
      ['Item', h('code', { class: 'wrap' }, proof.item)],
      ['Registry', proof.registry || '—'],
    ]),
    h('p', {}, 'Check it yourself with the report and this proof:'),
    h('pre', { class: 'command' }, 'genoflow verify --report report.json --proof proof.json'),
    h('p', { class: 'muted small' }, 'Add --node URL to also ask a Stacks node that the root is anchored.'),
    h('a', { class: 'button secondary', href, download: 'proof.json', dataset: { artifact: 'proof.json' } }, 'Download proof.json'),
  );
}
