// What a report's drug calls mean for the reader (no DOM): the WHO class in words, the drugs
// grouped first-line then second-line, the catalogue grades in words, why a drug could not be
// assessed, the QC verdict. The report's own fields are used when it has them
// (`classification`, `classification_detail`, `drug_groups`, each call's `line`,
// `not_assessed`, `caveat`, each evidence's `grade_text`); a report written before them gets the
// same answer computed here, by the rules of shared/genomics/src/analysis/interpret.rs.

import { formatNumber, formatPercent } from './format.js';

/** The first-line drugs, in the order the report lists them. */
export const FIRST_LINE = ['Rifampicin', 'Isoniazid', 'Ethambutol', 'Pyrazinamide'];
/** The second-line drugs, in the order the report lists them; any other drug follows, by name. */
export const SECOND_LINE_ORDER = [
  'Levofloxacin', 'Moxifloxacin', 'Bedaquiline', 'Linezolid', 'Clofazimine', 'Delamanid', 'Pretomanid',
  'Amikacin', 'Streptomycin', 'Ethionamide', 'Kanamycin', 'Capreomycin',
];
const FLUOROQUINOLONES = ['Levofloxacin', 'Moxifloxacin'];
const XDR_GROUP_A = ['Bedaquiline', 'Linezolid'];

const same = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();

/** Each class: its name in words and what it means, in one line. */
export const CLASSES = {
  'XDR-TB': { name: 'Extensively drug-resistant TB (XDR-TB)', meaning: 'Resistant to rifampicin, a fluoroquinolone (levofloxacin or moxifloxacin) and bedaquiline or linezolid.', level: 'resistant' },
  'pre-XDR-TB': { name: 'Pre-extensively drug-resistant TB (pre-XDR-TB)', meaning: 'Resistant to rifampicin (with or without isoniazid) and to a fluoroquinolone (levofloxacin or moxifloxacin).', level: 'resistant' },
  'MDR-TB': { name: 'Multidrug-resistant TB (MDR-TB)', meaning: 'Resistant to both rifampicin and isoniazid, the two key first-line drugs.', level: 'resistant' },
  'RR-TB': { name: 'Rifampicin-resistant TB (RR-TB)', meaning: 'Resistant to rifampicin; isoniazid resistance was not found.', level: 'resistant' },
  'Hr-TB': { name: 'Isoniazid-resistant TB (Hr-TB)', meaning: 'Resistant to isoniazid and susceptible to rifampicin.', level: 'resistant' },
  'other-resistance': { name: 'Resistance to other drugs only', meaning: 'Susceptible to rifampicin and isoniazid not found resistant, but resistant to another drug.', level: 'resistant' },
  none: { name: 'No resistance found', meaning: 'No drug was found resistant among the drugs that could be assessed.', level: 'none' },
  undetermined: { name: 'Undetermined', meaning: 'Rifampicin could not be assessed, so the sample cannot be classified.', level: 'unknown' },
};

/** `{name, meaning, level}` of a class, or the class as written when it is not one of CLASSES. */
export function classWords(classification) {
  return CLASSES[classification] || { name: String(classification ?? 'unknown'), meaning: '', level: 'unknown' };
}

/** `first_line` or `second_line`: the call's own `line`, or by its name. */
export function drugLine(call) {
  if (call?.line === 'first_line' || call?.line === 'second_line') return call.line;
  return FIRST_LINE.some((d) => same(d, call?.drug)) ? 'first_line' : 'second_line';
}

export const LINE_WORDS = { first_line: 'First-line drugs', second_line: 'Second-line drugs' };

function displayRank(drug) {
  const first = FIRST_LINE.findIndex((d) => same(d, drug));
  if (first !== -1) return first;
  const second = SECOND_LINE_ORDER.findIndex((d) => same(d, drug));
  return second !== -1 ? FIRST_LINE.length + second : Number.MAX_SAFE_INTEGER;
}

/**
 * The report's calls grouped `[{line, title, calls}]`, first-line then second-line, in the
 * report's `drug_groups` order when it has one, else first-line in the usual order, then
 * second-line, then any other drug by name. A group without drugs is left out.
 */
export function groupDrugs(report) {
  const calls = report?.resistance || [];
  const byName = new Map(calls.map((c) => [c.drug, c]));
  let groups;
  if (Array.isArray(report?.drug_groups) && report.drug_groups.length) {
    const placed = new Set();
    groups = report.drug_groups.map((g) => ({
      line: g.line,
      calls: (g.drugs || []).map((d) => byName.get(d)).filter((c) => c && !placed.has(c) && placed.add(c)),
    }));
    const rest = calls.filter((c) => !placed.has(c));
    for (const call of rest) {
      const group = groups.find((g) => g.line === drugLine(call));
      if (group) group.calls.push(call);
      else groups.push({ line: drugLine(call), calls: [call] });
    }
  } else {
    const sorted = [...calls].sort((a, b) => displayRank(a.drug) - displayRank(b.drug) || String(a.drug).localeCompare(String(b.drug)));
    groups = ['first_line', 'second_line'].map((line) => ({ line, calls: sorted.filter((c) => drugLine(c) === line) }));
  }
  return groups.filter((g) => g.calls.length).map((g) => ({ ...g, title: LINE_WORDS[g.line] || g.line }));
}

const GRADES = {
  '1) Assoc w R': 'associated with resistance',
  '2) Assoc w R - Interim': 'associated with resistance (interim)',
  '3) Uncertain significance': 'uncertain significance',
  '4) Not assoc w R - Interim': 'not associated with resistance (interim)',
  '5) Not assoc w R': 'not associated with resistance',
};

/** The WHO catalogue grade of an evidence entry in words. */
export function gradeWords(evidence) {
  if (evidence?.grade_text) return evidence.grade_text;
  const grade = String(evidence?.grade ?? '').trim();
  return GRADES[grade] || grade || 'no grade';
}

function join(names) {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * The WHO class of a sample from its calls `[{drug, call}]`, and the sentence that explains it
 * (the rules of interpret.rs `classify`):
 * rifampicin unknown or absent → `undetermined`; rifampicin resistant → `RR-TB`, `MDR-TB` with
 * isoniazid, then `pre-XDR-TB` with a fluoroquinolone, then `XDR-TB` with bedaquiline or
 * linezolid; rifampicin susceptible → `Hr-TB` with isoniazid, else `other-resistance` when any
 * drug is resistant, else `none`.
 */
export function classify(resistance = []) {
  const calls = (resistance || []).map((r) => [r.drug, r.call]);
  const callOf = (drug) => calls.find(([d]) => same(d, drug))?.[1] ?? 'unknown';
  const resistantOf = (drugs) => drugs.filter((d) => callOf(d) === 'resistant').map((d) => d.toLowerCase());
  const unassessedOf = (drugs) => drugs.filter((d) => !['resistant', 'susceptible'].includes(callOf(d))).map((d) => d.toLowerCase());
  const rifampicin = callOf('Rifampicin');
  const isoniazid = callOf('Isoniazid');
  const notes = [];
  const verdict = (classification, parts) => ({ classification, detail: [...parts, ...notes].join('; ') });

  if (rifampicin !== 'resistant' && rifampicin !== 'susceptible') {
    const parts = ['rifampicin could not be assessed, so the class cannot be told'];
    if (isoniazid === 'resistant') parts.push('isoniazid resistant: Hr-TB or MDR-TB');
    const others = calls.filter(([d, c]) => c === 'resistant' && !same(d, 'Isoniazid')).map(([d]) => String(d).toLowerCase());
    if (others.length) parts.push(`also resistant to ${join(others)}`);
    return verdict('undetermined', parts);
  }
  if (rifampicin === 'resistant') {
    const fluoroquinolones = resistantOf(FLUOROQUINOLONES);
    const groupA = resistantOf(XDR_GROUP_A);
    let classification = 'RR-TB';
    if (isoniazid === 'resistant') classification = 'MDR-TB';
    else if (isoniazid !== 'susceptible') notes.push('isoniazid could not be assessed, so MDR-TB is not excluded');
    const parts = [classification === 'MDR-TB' ? 'resistant to rifampicin and isoniazid' : 'resistant to rifampicin'];
    if (!fluoroquinolones.length) {
      const unassessed = unassessedOf(FLUOROQUINOLONES);
      if (!unassessed.length) parts.push('no fluoroquinolone resistance found');
      else notes.push(`${join(unassessed)} could not be assessed, so pre-XDR-TB is not excluded`);
      return verdict(classification, parts);
    }
    parts.push(`and to ${join(fluoroquinolones)} (a fluoroquinolone)`);
    if (!groupA.length) {
      const unassessed = unassessedOf(XDR_GROUP_A);
      if (!unassessed.length) parts.push('no bedaquiline or linezolid resistance found');
      else notes.push(`${join(unassessed)} could not be assessed, so XDR-TB is not excluded`);
      return verdict('pre-XDR-TB', parts);
    }
    parts.push(`and to ${join(groupA)}`);
    return verdict('XDR-TB', parts);
  }
  if (isoniazid === 'resistant') return verdict('Hr-TB', ['resistant to isoniazid, susceptible to rifampicin']);
  if (isoniazid !== 'susceptible') notes.push('isoniazid could not be assessed, so Hr-TB is not excluded');
  const others = calls.filter(([, c]) => c === 'resistant').map(([d]) => String(d).toLowerCase());
  if (!others.length) {
    const unassessed = calls.filter(([, c]) => c !== 'resistant' && c !== 'susceptible').length;
    const parts = ['no resistance found'];
    if (unassessed) parts.push(`${unassessed} drug${unassessed === 1 ? '' : 's'} could not be assessed`);
    return verdict('none', parts);
  }
  return verdict('other-resistance', [`susceptible to rifampicin, resistant to ${join(others)}`]);
}

/** The report's class and its explanation: `{classification, detail, computed}` (`computed` when the report has none). */
export function classificationOf(report) {
  if (typeof report?.classification === 'string' && report.classification) {
    const detail = report.classification_detail ?? classify(report.resistance).detail;
    return { classification: report.classification, detail, computed: false };
  }
  return { ...classify(report?.resistance), computed: true };
}

/** The calls of `report` that are resistant / not assessed (`unknown`), in display order. */
export function callsBy(report, call) {
  return groupDrugs(report).flatMap((g) => g.calls).filter((c) => c.call === call);
}

/** "778,990–779,483" or "801,268". */
export function positionRange(range) {
  if (!range) return '';
  return range.start === range.end ? formatNumber(range.start) : `${formatNumber(range.start)}–${formatNumber(range.end)}`;
}

/**
 * Why a drug was not assessed, in words: `{genes, positions, counts, rule}` (strings, empty when
 * the report does not say). `genes`: "Rv0678 (0 % covered), atpE (0 % covered)"; `positions`:
 * "778,990–779,483 in Rv0678, …"; `counts`: "1,082 of 1,082 catalogue positions lack coverage".
 */
export function notAssessedWords(call) {
  const na = call?.not_assessed;
  if (!na) {
    const covered = typeof call?.covered_fraction === 'number' ? `; ${formatPercent(call.covered_fraction, 1)} of its catalogue positions were covered` : '';
    return { genes: '', positions: '', counts: '', rule: `too few of the drug’s catalogue positions were covered by enough reads to call it${covered}` };
  }
  const genes = (na.genes || []).map((g) => `${g.gene === 'intergenic' ? 'intergenic positions' : g.gene} (${formatPercent(g.covered_fraction, 0)} covered)`).join(', ');
  const positions = (na.positions || []).map((p) => `${positionRange(p)}${p.gene ? ` in ${p.gene}` : ' (intergenic)'}`);
  const counts = Number.isFinite(na.uncovered_positions) && Number.isFinite(na.catalogue_positions)
    ? `${formatNumber(na.uncovered_positions)} of ${formatNumber(na.catalogue_positions)} catalogue positions lack coverage`
    : '';
  return { genes, positions: positions.join(', '), counts, rule: na.rule || '' };
}

/** The sample the report is of: `{name, specimen_id?, collection_date?, submitter?}` from the report, else the dataset. */
export function sampleOf(report, dataset = null) {
  const sample = report?.sample || {};
  const specimen = dataset?.specimen || {};
  return {
    name: sample.name || dataset?.sample_name || null,
    specimen_id: sample.specimen_id || specimen.specimen_id || null,
    collection_date: sample.collection_date || specimen.collection_date || null,
    submitter: sample.submitter || specimen.submitter || null,
  };
}

const SPECIES_WORDS = {
  mtbc: 'M. tuberculosis complex',
  contaminated: 'M. tuberculosis complex, with much other DNA (contaminated)',
  not_mtbc: 'not M. tuberculosis complex',
  unknown: 'not determined',
};

/** The species verdict in words, or null when the report has none. */
export function speciesWords(species) {
  if (!species?.verdict) return null;
  const share = typeof species.mtbc_fraction === 'number' ? ` (about ${formatPercent(species.mtbc_fraction, 0)} of the sample)` : '';
  return `${SPECIES_WORDS[species.verdict] || species.verdict}${species.verdict === 'mtbc' || species.verdict === 'contaminated' ? share : ''}`;
}

/** The lineage in words, or null when the report has none. */
export function lineageWords(lineage) {
  if (!lineage?.call) return null;
  if (lineage.call === 'unknown') return `not determined${lineage.reason ? ` (${lineage.reason})` : ''}`;
  const name = lineage.call.replace(/^lineage/i, 'Lineage ');
  return `${name}${lineage.family ? `, ${lineage.family}` : ''}`;
}

/**
 * The rows of the lineage figure: each lineage of the called path, from the root down, with how
 * many of its barcode sites the reads covered and the median fraction of reads carrying its
 * derived base there. Empty when the lineage is unknown or the report has no support table.
 */
export function lineageFigureRows(lineage) {
  if (!lineage?.call || lineage.call === 'unknown') return [];
  const support = new Map((lineage.support || []).map((s) => [s.lineage, s]));
  const path = String(lineage.path || lineage.call).split('>').map((name) => name.trim()).filter(Boolean);
  return path.map((name) => {
    const row = support.get(name) || {};
    const fraction = typeof row.median_fraction === 'number' ? Math.min(1, Math.max(0, row.median_fraction)) : null;
    return { lineage: name, sites: row.sites ?? null, covered: row.covered ?? null, fraction };
  });
}

/** The mixture verdict in words, or null when the report has none. */
export function mixtureWords(mixture) {
  if (!mixture?.verdict) return null;
  if (mixture.verdict === 'single') return 'one strain';
  if (mixture.verdict === 'mixed') {
    const parts = (mixture.proportions || []).map((p) => `${String(p.lineage).replace(/^lineage/i, 'lineage ')} ${formatPercent(p.fraction, 0)}`);
    return `mixed: more than one strain${parts.length ? ` (${parts.join(', ')})` : ''}`;
  }
  return 'not determined';
}

/**
 * The QC verdict in one line: `{level: 'pass' | 'partial' | 'fail', words}`. It fails when the
 * species check says the sample is not (or not mostly) M. tuberculosis complex; it is partial
 * when some drugs could not be assessed; it passes otherwise.
 */
export function qcVerdict(report) {
  const calls = report?.resistance || [];
  const unknown = calls.filter((c) => c.call === 'unknown').length;
  const qc = report?.qc || {};
  const mapped = typeof qc.reads === 'number' && qc.reads > 0 && typeof qc.mapped_to_panel === 'number'
    ? `${formatNumber(qc.mapped_to_panel)} of ${formatNumber(qc.reads)} reads (${formatPercent(qc.mapped_to_panel / qc.reads, 1)}) mapped to the panel`
    : null;
  const verdict = report?.species?.verdict;
  if (verdict === 'not_mtbc' || verdict === 'contaminated') {
    return { level: 'fail', words: `Failed: the sample is ${SPECIES_WORDS[verdict]}; the drug calls are not reliable.` };
  }
  const parts = [mapped, unknown ? `${unknown} of ${calls.length} drugs could not be assessed (coverage below the rule)` : `all ${calls.length} drugs assessed`].filter(Boolean);
  if (unknown) return { level: 'partial', words: `Passed with gaps: ${parts.join('; ')}.` };
  return { level: 'pass', words: `Passed: ${parts.join('; ')}.` };
}
