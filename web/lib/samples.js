// Samples as the unit of the list: a read pair is one sample. The server's GET /samples gives
// them directly; against a server without that route the page groups GET /datasets' rows by
// sample_id here, and searches, filters and sorts the grouped page itself.

/** Sample states (shared/core/src/lifecycle.rs, SampleState), in lifecycle order. */
export const SAMPLE_STATUSES = ['uploading', 'validating', 'failed', 'analyzing', 'analyzed', 'anchoring', 'anchored'];

/** States after which a sample does not change by itself. */
export const SETTLED_SAMPLE_STATUSES = new Set(['failed', 'anchored']);

const SAMPLE_WORDS = {
  uploading: 'Uploading',
  validating: 'Validating',
  failed: 'Failed',
  analyzing: 'Analysing',
  analyzed: 'Analysed',
  anchoring: 'Recording on chain',
  anchored: 'Recorded on chain',
};

export function sampleStatusWords(status) {
  return SAMPLE_WORDS[status] || status || 'Unknown';
}

/** The `?result=` values the filter offers: the server's ResultFilter. */
export const RESULT_FILTERS = [
  ['resistant', 'Any drug resistant'],
  ['susceptible', 'No drug resistant'],
  ['not_assessed', 'Some drug not assessed'],
  ['MDR-TB', 'MDR-TB'],
  ['RR-TB', 'RR-TB'],
  ['pre-XDR-TB', 'pre-XDR-TB'],
  ['XDR-TB', 'XDR-TB'],
  ['Hr-TB', 'Hr-TB'],
  ['other-resistance', 'Other resistance'],
  ['none', 'No resistance found'],
  ['undetermined', 'Undetermined'],
];

export const SORTS = [
  ['newest', 'Newest first'],
  ['oldest', 'Oldest first'],
  ['name', 'Name (A–Z)'],
];

const CLASS_WORDS = { none: 'No resistance found', 'other-resistance': 'Other resistance', undetermined: 'Undetermined' };

/** What to call a sample in a heading: its name, else its files' names ("R1.fastq.gz + R2.fastq.gz"), else its id. */
export function sampleTitle(sample) {
  return sample?.sample_name || (sample?.files || []).map((f) => f.filename).filter(Boolean).join(' + ') || `Sample ${sample?.sample_id ?? ''}`.trim();
}

/** "MDR-TB: resistant to rifampicin, isoniazid" in short, or null before the analysis. */
export function resultSummary(result) {
  if (!result) return null;
  const classification = CLASS_WORDS[result.classification] || result.classification;
  const resistant = result.resistant_drugs || [];
  const notAssessed = result.not_assessed_drugs || [];
  return {
    classification,
    resistant: resistant.length ? `Resistant: ${resistant.join(', ')}` : 'No drug resistant',
    notAssessed: notAssessed.length ? `Not assessed: ${notAssessed.join(', ')}` : '',
  };
}

/** A file's state in words, honest about the whole sample (a valid mate of a failed file). */
export function fileStatusWords(file, sample) {
  const own = {
    pending: 'waiting for upload',
    uploaded: 'validating',
    valid: 'valid',
    invalid: 'invalid',
    analyzing: 'analysing',
    analyzed: 'analysed',
    failed: 'failed',
    anchored: 'analysed',
    confirmed: 'analysed',
  }[file.status] || file.status;
  if (sample.status === 'failed') return file.status === 'invalid' || file.status === 'failed' ? `This file is ${own}: the sample failed` : `This file is ${own}, but the sample failed`;
  return own.charAt(0).toUpperCase() + own.slice(1);
}

/** The whole sample's state from its files' own statuses (when the server does not say it). */
export function deriveSampleStatus(files) {
  const broken = files.find((f) => f.status === 'invalid' || f.status === 'failed');
  if (broken) {
    const why = broken.error?.message ? `: ${broken.error.message}` : '';
    const what = broken.status === 'invalid' ? 'is not valid' : 'could not be analysed';
    return { status: 'failed', reason: `${broken.filename} ${what}${why}` };
  }
  const has = (s) => files.some((f) => f.status === s);
  if (files.length === 0) return { status: 'failed', reason: 'its files were deleted' };
  if (has('pending')) return { status: 'uploading' };
  if (has('uploaded') || has('valid')) return { status: 'validating' };
  if (has('analyzing')) return { status: 'analyzing' };
  if (files.every((f) => f.status === 'confirmed')) return { status: 'anchored' };
  if (has('anchored') || has('confirmed')) return { status: 'anchoring' };
  return { status: 'analyzed' };
}

/** GET /datasets' rows grouped by sample_id (first appearance order), as sample views. */
export function groupDatasets(datasets) {
  const bySample = new Map();
  for (const d of datasets) {
    const id = d.sample_id || d.dataset_id;
    if (!bySample.has(id)) bySample.set(id, []);
    bySample.get(id).push(d);
  }
  return [...bySample.entries()].map(([sampleId, rows]) => {
    const ordered = rows.slice().sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)) || String(a.filename).localeCompare(String(b.filename)));
    const files = ordered.map((d) => ({ dataset_id: d.dataset_id, filename: d.filename, size: d.size, status: d.status, error: d.error }));
    const first = ordered[0];
    const derived = first.sample_status ? { status: first.sample_status, reason: first.sample_status_reason } : deriveSampleStatus(files);
    return {
      sample_id: sampleId,
      sample_name: first.sample_name ?? null,
      specimen: first.specimen,
      files,
      status: derived.status,
      status_reason: derived.reason,
      result: first.result,
      created_at: first.created_at,
      updated_at: ordered.map((d) => d.updated_at || d.created_at).sort().at(-1),
    };
  });
}

/** The search, filter and sort of GET /samples, done on a grouped page (the fallback). */
export function filterSamples(samples, { q = '', status = '', result = '', sort = 'newest' } = {}) {
  const needle = q.trim().toLowerCase();
  const matches = (s) => {
    if (status && s.status !== status) return false;
    if (result) {
      const r = s.result;
      if (!r) return false;
      if (result === 'resistant' && !(r.resistant_drugs || []).length) return false;
      if (result === 'susceptible' && (r.resistant_drugs || []).length) return false;
      if (result === 'not_assessed' && !(r.not_assessed_drugs || []).length) return false;
      if (!['resistant', 'susceptible', 'not_assessed'].includes(result) && String(r.classification).toLowerCase() !== result.toLowerCase()) return false;
    }
    if (!needle) return true;
    const hay = [s.sample_name, s.sample_id, s.specimen?.specimen_id, s.specimen?.submitter, ...s.files.map((f) => f.filename)];
    return hay.some((v) => v && String(v).toLowerCase().includes(needle));
  };
  const out = samples.filter(matches);
  if (sort === 'oldest') out.sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  else if (sort === 'name') {
    out.sort((a, b) => {
      if (!a.sample_name !== !b.sample_name) return a.sample_name ? -1 : 1;
      return String(a.sample_name || '').localeCompare(String(b.sample_name || ''), undefined, { sensitivity: 'base' }) || String(b.created_at).localeCompare(String(a.created_at));
    });
  } else out.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  return out;
}

/** "about 2 min left" from seconds (null when it cannot be told). */
export function formatTimeLeft(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return null;
  if (seconds < 1) return 'less than a second left';
  if (seconds < 60) return `about ${Math.ceil(seconds)} s left`;
  if (seconds < 3600) return `about ${Math.ceil(seconds / 60)} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}

/**
 * A meter of bytes per second over the last few seconds, and the time left: call it with the
 * bytes done and the total; it answers {rate, left} (rate in bytes/s, left in seconds or null).
 */
export function progressMeter(now = () => performance.now()) {
  const points = [];
  return (done, total) => {
    const t = now();
    points.push([t, done]);
    while (points.length > 2 && t - points[0][0] > 3000) points.shift();
    const [t0, d0] = points[0];
    const rate = t > t0 ? ((done - d0) * 1000) / (t - t0) : 0;
    const left = rate > 0 && total >= done ? (total - done) / rate : null;
    return { rate, left };
  };
}
