// The report's answer in words: the WHO class (computed as interpret.rs does when the report has
// none), the first-line / second-line grouping, grades in words, why a drug was not assessed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CLASSES, classWords, classificationOf, classify, drugLine, gradeWords, groupDrugs, lineageFigureRows, lineageWords, mixtureWords,
  notAssessedWords, qcVerdict, sampleOf, speciesWords,
} from '../../lib/interpret.js';

const calls = (spec) => Object.entries(spec).map(([drug, call]) => ({ drug, call }));
const ALL_S = {
  Amikacin: 'susceptible', Bedaquiline: 'susceptible', Ethambutol: 'susceptible', Isoniazid: 'susceptible', Levofloxacin: 'susceptible',
  Linezolid: 'susceptible', Moxifloxacin: 'susceptible', Pyrazinamide: 'susceptible', Rifampicin: 'susceptible',
};

// The calls of the tb-demo read pair (`genoflow analyze tests/data/samples/tb-demo_R{1,2}.fastq.gz --json`),
// with the class and sentence report.json gives them.
const TB_DEMO = calls({
  Amikacin: 'susceptible', Bedaquiline: 'unknown', Capreomycin: 'unknown', Clofazimine: 'unknown', Delamanid: 'unknown',
  Ethambutol: 'susceptible', Ethionamide: 'resistant', Isoniazid: 'resistant', Kanamycin: 'susceptible', Levofloxacin: 'susceptible',
  Linezolid: 'unknown', Moxifloxacin: 'susceptible', Pyrazinamide: 'resistant', Rifampicin: 'resistant', Streptomycin: 'unknown',
});

test('the WHO classes follow interpret.rs: RR, MDR, pre-XDR, XDR, Hr, other, none, undetermined', () => {
  const cls = (changes) => classify(calls({ ...ALL_S, ...changes })).classification;
  assert.equal(cls({}), 'none');
  assert.equal(cls({ Rifampicin: 'resistant' }), 'RR-TB');
  assert.equal(cls({ Rifampicin: 'resistant', Isoniazid: 'resistant' }), 'MDR-TB');
  assert.equal(cls({ Rifampicin: 'resistant', Isoniazid: 'resistant', Levofloxacin: 'resistant' }), 'pre-XDR-TB');
  assert.equal(cls({ Rifampicin: 'resistant', Moxifloxacin: 'resistant' }), 'pre-XDR-TB', 'RR-TB with a fluoroquinolone is pre-XDR');
  assert.equal(cls({ Rifampicin: 'resistant', Isoniazid: 'resistant', Moxifloxacin: 'resistant', Bedaquiline: 'resistant' }), 'XDR-TB');
  assert.equal(cls({ Rifampicin: 'resistant', Levofloxacin: 'resistant', Linezolid: 'resistant' }), 'XDR-TB');
  assert.equal(cls({ Rifampicin: 'resistant', Bedaquiline: 'resistant' }), 'RR-TB', 'bedaquiline without a fluoroquinolone is not XDR');
  assert.equal(cls({ Isoniazid: 'resistant' }), 'Hr-TB');
  assert.equal(cls({ Ethambutol: 'resistant' }), 'other-resistance');
  assert.equal(cls({ Rifampicin: 'unknown', Isoniazid: 'resistant' }), 'undetermined');
  assert.equal(classify(calls({ Isoniazid: 'resistant' })).classification, 'undetermined', 'rifampicin absent');
  assert.equal(classify([]).classification, 'undetermined');
  assert.equal(classify(calls({ rifampicin: 'resistant', ISONIAZID: 'resistant' })).classification, 'MDR-TB', 'names compared without case');
});

test('the sentences say what the class rests on and what could not be excluded', () => {
  assert.deepEqual(classify(TB_DEMO), { classification: 'MDR-TB', detail: 'resistant to rifampicin and isoniazid; no fluoroquinolone resistance found' });
  assert.equal(classify(calls({ ...ALL_S, Rifampicin: 'resistant', Isoniazid: 'unknown', Levofloxacin: 'unknown' })).detail,
    'resistant to rifampicin; isoniazid could not be assessed, so MDR-TB is not excluded; levofloxacin could not be assessed, so pre-XDR-TB is not excluded');
  assert.equal(classify(calls({ ...ALL_S, Rifampicin: 'resistant', Levofloxacin: 'resistant', Moxifloxacin: 'resistant', Linezolid: 'unknown' })).detail,
    'resistant to rifampicin; and to levofloxacin and moxifloxacin (a fluoroquinolone); linezolid could not be assessed, so XDR-TB is not excluded');
  assert.equal(classify(calls({ ...ALL_S, Rifampicin: 'unknown', Isoniazid: 'resistant', Ethambutol: 'resistant' })).detail,
    'rifampicin could not be assessed, so the class cannot be told; isoniazid resistant: Hr-TB or MDR-TB; also resistant to ethambutol');
  assert.equal(classify(calls({ ...ALL_S, Amikacin: 'unknown', Linezolid: 'unknown' })).detail, 'no resistance found; 2 drugs could not be assessed');
});

test('the report’s own class is used when it has one; computed (and said so) when not', () => {
  assert.deepEqual(classificationOf({ classification: 'XDR-TB', classification_detail: 'as written', resistance: TB_DEMO }),
    { classification: 'XDR-TB', detail: 'as written', computed: false });
  assert.deepEqual(classificationOf({ resistance: TB_DEMO }),
    { classification: 'MDR-TB', detail: 'resistant to rifampicin and isoniazid; no fluoroquinolone resistance found', computed: true });
  for (const name of Object.keys(CLASSES)) {
    assert.ok(classWords(name).name && classWords(name).meaning, `${name} has words`);
  }
  assert.equal(classWords('something-new').name, 'something-new');
});

test('drugs are grouped first-line then second-line, in the report’s order or the usual one', () => {
  const computed = groupDrugs({ resistance: TB_DEMO });
  assert.deepEqual(computed.map((g) => [g.title, g.calls.map((c) => c.drug)]), [
    ['First-line drugs', ['Rifampicin', 'Isoniazid', 'Ethambutol', 'Pyrazinamide']],
    ['Second-line drugs', ['Levofloxacin', 'Moxifloxacin', 'Bedaquiline', 'Linezolid', 'Clofazimine', 'Delamanid', 'Amikacin', 'Streptomycin', 'Ethionamide', 'Kanamycin', 'Capreomycin']],
  ]);
  const given = groupDrugs({ resistance: [...TB_DEMO, { drug: 'Newdrug', call: 'susceptible', line: 'second_line' }], drug_groups: [{ line: 'first_line', drugs: ['Isoniazid', 'Rifampicin'] }] });
  assert.deepEqual(given[0].calls.map((c) => c.drug).slice(0, 2), ['Isoniazid', 'Rifampicin'], 'the report’s order is kept');
  assert.ok(given[0].calls.some((c) => c.drug === 'Ethambutol'), 'a drug the groups leave out is still shown');
  assert.ok(given[1].calls.some((c) => c.drug === 'Newdrug'));
  assert.equal(drugLine({ drug: 'pyrazinamide' }), 'first_line');
  assert.equal(drugLine({ drug: 'Rifampicin', line: 'second_line' }), 'second_line', 'the report’s line wins');
  assert.deepEqual(groupDrugs({}), []);
});

test('grades read as words', () => {
  assert.equal(gradeWords({ grade: '1) Assoc w R' }), 'associated with resistance');
  assert.equal(gradeWords({ grade: '2) Assoc w R - Interim' }), 'associated with resistance (interim)');
  assert.equal(gradeWords({ grade: '3) Uncertain significance' }), 'uncertain significance');
  assert.equal(gradeWords({ grade: '1) Assoc w R', grade_text: 'from the report' }), 'from the report');
  assert.equal(gradeWords({ grade: 'Odd grade' }), 'Odd grade');
});

test('a drug not assessed names its genes, positions and the rule', () => {
  const words = notAssessedWords({
    drug: 'Bedaquiline', call: 'unknown', covered_fraction: 0,
    not_assessed: {
      rule: 'a drug is called susceptible only when at least 95% of its catalogue positions are covered by at least 10 reads',
      genes: [{ gene: 'Rv0678', covered_fraction: 0 }, { gene: 'atpE', covered_fraction: 0.25 }, { gene: 'intergenic', covered_fraction: 0 }],
      positions: [{ start: 778990, end: 779483, gene: 'Rv0678' }, { start: 2859292, end: 2859292, gene: null }],
      uncovered_positions: 1082, catalogue_positions: 1082,
    },
  });
  assert.equal(words.genes, 'Rv0678 (0 % covered), atpE (25 % covered), intergenic positions (0 % covered)');
  assert.equal(words.positions, '778,990–779,483 in Rv0678, 2,859,292 (intergenic)');
  assert.equal(words.counts, '1,082 of 1,082 catalogue positions lack coverage');
  assert.match(words.rule, /at least 95% .* at least 10 reads/);
  const older = notAssessedWords({ drug: 'Linezolid', call: 'unknown', covered_fraction: 0.8571 });
  assert.equal(older.genes, '');
  assert.match(older.rule, /85\.7 % of its catalogue positions were covered/);
});

test('sample, species, lineage, mixture and QC in words', () => {
  assert.deepEqual(sampleOf({ sample: { name: 'TB-042', specimen_id: 'S-1' } }, { sample_name: 'other' }),
    { name: 'TB-042', specimen_id: 'S-1', collection_date: null, submitter: null });
  assert.equal(sampleOf({}, { sample_name: 'from the dataset' }).name, 'from the dataset');
  assert.equal(speciesWords({ verdict: 'mtbc', mtbc_fraction: 0.9973 }), 'M. tuberculosis complex (about 100 % of the sample)');
  assert.equal(speciesWords(undefined), null);
  assert.equal(lineageWords({ call: 'lineage2.2.1', family: 'East-Asian (Beijing)' }), 'Lineage 2.2.1, East-Asian (Beijing)');
  assert.match(lineageWords({ call: 'unknown', reason: 'coverage too low' }), /^not determined \(coverage too low\)$/);
  assert.equal(mixtureWords({ verdict: 'single' }), 'one strain');
  assert.equal(mixtureWords({ verdict: 'mixed', proportions: [{ lineage: 'lineage4', fraction: 0.7 }, { lineage: 'lineage2', fraction: 0.3 }] }),
    'mixed: more than one strain (lineage 4 70 %, lineage 2 30 %)');
  assert.equal(mixtureWords(null), null);
  const report = { resistance: TB_DEMO, qc: { reads: 15000, mapped_to_panel: 12647 }, species: { verdict: 'mtbc' } };
  assert.deepEqual(qcVerdict(report), { level: 'partial', words: 'Passed with gaps: 12,647 of 15,000 reads (84.3 %) mapped to the panel; 6 of 15 drugs could not be assessed (coverage below the rule).' });
  assert.equal(qcVerdict({ ...report, species: { verdict: 'not_mtbc' } }).level, 'fail');
  assert.equal(qcVerdict({ resistance: calls(ALL_S) }).level, 'pass');
});

test('the lineage figure: the called path from the root down, with each lineage’s support', () => {
  const lineage = {
    call: 'lineage2.2.1',
    path: 'lineage2 > lineage2.2 > lineage2.2.1',
    support: [
      { lineage: 'lineage2.2.1', sites: 10, covered: 9, median_fraction: 0.66 },
      { lineage: 'lineage2', sites: 10, covered: 10, median_fraction: 1 },
      { lineage: 'lineage4.9', sites: 10, covered: 10, median_fraction: 0.3 },
    ],
  };
  assert.deepEqual(lineageFigureRows(lineage), [
    { lineage: 'lineage2', sites: 10, covered: 10, fraction: 1 },
    { lineage: 'lineage2.2', sites: null, covered: null, fraction: null },
    { lineage: 'lineage2.2.1', sites: 10, covered: 9, fraction: 0.66 },
  ]);
  assert.deepEqual(lineageFigureRows({ call: 'unknown', reason: 'coverage too low' }), []);
  assert.deepEqual(lineageFigureRows(null), []);
  assert.deepEqual(lineageFigureRows({ call: 'La1.2.BCG', support: [{ lineage: 'La1.2.BCG', sites: 5, covered: 5, median_fraction: 1.2 }] }),
    [{ lineage: 'La1.2.BCG', sites: 5, covered: 5, fraction: 1 }]);
});
