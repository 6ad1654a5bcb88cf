// Numbers, sizes, dates, statuses and problems in plain words.

export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '—';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  return `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${units[unit]}`;
}

export function formatRate(bytesPerSecond) {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '';
  return `${(bytesPerSecond / 1e6).toFixed(bytesPerSecond < 1e7 ? 2 : 1)} MB/s`;
}

export function formatNumber(value, digits = 0) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value === undefined || value === null ? '—' : String(value);
  if (Number.isInteger(value) && digits === 0) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: digits || 2 });
}

export function formatPercent(fraction, digits = 1) {
  if (typeof fraction !== 'number' || !Number.isFinite(fraction)) return '—';
  return `${(fraction * 100).toFixed(digits)} %`;
}

export function formatDate(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value ?? '—');
  return date.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function shortHex(hex, keep = 10) {
  if (typeof hex !== 'string' || hex.length <= keep * 2 + 1) return hex ?? '—';
  return `${hex.slice(0, keep)}…${hex.slice(-keep)}`;
}

export const FINAL_STATUSES = new Set(['invalid', 'failed', 'confirmed']);
export const REPORT_STATUSES = new Set(['analyzed', 'anchored', 'confirmed']);

const STATUS_WORDS = {
  pending: 'Waiting for upload',
  uploaded: 'Validating',
  valid: 'Valid, waiting for analysis',
  invalid: 'Invalid file',
  analyzing: 'Analysing',
  analyzed: 'Analysed',
  failed: 'Analysis failed',
  anchored: 'Anchored (transaction sent)',
  confirmed: 'Confirmed on chain',
};

export function statusWords(status) {
  return STATUS_WORDS[status] || status;
}

/** "line 47, record 12" / "byte offset 9000" for a validator diagnostic. */
export function problemLocation(problem) {
  if (!problem) return '';
  const parts = [];
  if (problem.line !== undefined && problem.line !== null) parts.push(`line ${formatNumber(problem.line)}`);
  if (problem.record !== undefined && problem.record !== null) parts.push(`record ${formatNumber(problem.record)}`);
  if (problem.offset !== undefined && problem.offset !== null) parts.push(`byte offset ${formatNumber(problem.offset)}`);
  return parts.join(', ');
}

/** The diagnostic as one sentence: "At line 47, record 12: message". */
export function describeProblem(problem) {
  if (!problem) return '';
  const where = problemLocation(problem);
  const message = problem.message || 'unknown problem';
  return where ? `At ${where}: ${message}` : message;
}

/** snake_case to words: "mapped_to_panel" → "Mapped to panel". */
export function humanKey(key) {
  const text = String(key).replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// The order and names of the validator's statistics (docs/API.md) and of the report's QC.
const FIGURE_ORDER = [
  'reads', 'sequences', 'records', 'samples', 'bases', 'mapped_to_panel', 'mapped', 'unmapped',
  'min_length', 'max_length', 'mean_length', 'gc_fraction', 'n_fraction', 'mean_quality',
  'q20_fraction', 'q30_fraction', 'secondary', 'supplementary', 'duplicates', 'properly_paired',
  'references', 'sort_order', 'snvs', 'indels', 'other', 'filtered', 'contigs', 'file_format',
];
const FIGURE_LABELS = {
  gc_fraction: 'GC content',
  n_fraction: 'N bases',
  q20_fraction: 'Bases ≥ Q20',
  q30_fraction: 'Bases ≥ Q30',
  snvs: 'SNVs',
  file_format: 'VCF version',
};

/** An object's entries in the documented order, unknown keys last (alphabetically). */
export function orderedEntries(object) {
  const rank = (key) => {
    const i = FIGURE_ORDER.indexOf(key);
    return i === -1 ? FIGURE_ORDER.length : i;
  };
  return Object.entries(object || {}).sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/** The label of a statistic or QC figure. */
export function figureLabel(key) {
  return FIGURE_LABELS[key] || humanKey(key);
}

const MICRO = 1_000_000n;

/** µSTX (BigInt, number or decimal string) as "12.5 STX". */
export function formatStx(micro) {
  let v;
  try {
    v = BigInt(micro);
  } catch {
    return '—';
  }
  const sign = v < 0n ? '-' : '';
  const abs = v < 0n ? -v : v;
  const whole = (abs / MICRO).toLocaleString('en-US');
  const fraction = (abs % MICRO).toString().padStart(6, '0').replace(/0+$/, '');
  return `${sign}${whole}${fraction ? `.${fraction}` : ''} STX`;
}

/** "12.5" (STX, at most 6 decimals) as µSTX, BigInt; throws with a sentence when it is not. */
export function parseStx(text) {
  const match = /^\s*(\d{1,13})(?:\.(\d{0,6}))?\s*$/.exec(String(text));
  if (!match) throw new Error('Write the price in STX, e.g. 2.5 (at most 6 decimals).');
  return BigInt(match[1]) * MICRO + BigInt((match[2] || '').padEnd(6, '0'));
}

/** Seconds as "30 days" / "1 day" / "12 hours". */
export function formatDuration(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s)) return '—';
  if (s >= 86400 && s % 86400 === 0) return `${formatNumber(s / 86400)} ${s === 86400 ? 'day' : 'days'}`;
  if (s >= 86400) return `${formatNumber(s / 86400, 1)} days`;
  if (s >= 3600) return `${formatNumber(s / 3600, 1)} hours`;
  return `${formatNumber(s)} seconds`;
}
