// Hashing files in the browser and sending them to the presigned URLs that
// POST /uploads answers: one PUT, or a multipart upload whose finished parts are
// remembered in localStorage so an interrupted upload re-sends only what is missing.

import { Sha256, bytesToHex } from './sha256.js';

export const HASH_CHUNK = 4 * 1024 * 1024;
export const PART_ATTEMPTS = 4;
export const PART_CONCURRENCY = 3;
const STORE_PREFIX = 'genoflow.upload.';

/**
 * SHA-256 of a File in a Web Worker (lib/hash-worker.js), so the page's thread never reads
 * the file and stays responsive on multi-GB files; onProgress(bytesDone, total) after each
 * slice. Where there is no Worker (Node's tests), hashFile below does the same in-thread.
 * An aborted `signal` terminates the worker and rejects with HashCancelled.
 */
export function hashFileInWorker(file, onProgress = () => {}, chunkSize = HASH_CHUNK, signal = null) {
  if (typeof Worker !== 'function') return hashFile(file, onProgress, chunkSize);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new HashCancelled());
      return;
    }
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url), { type: 'module' });
    const onAbort = () => {
      worker.terminate();
      reject(new HashCancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const finish = () => {
      signal?.removeEventListener('abort', onAbort);
      worker.terminate();
    };
    worker.onmessage = ({ data }) => {
      if (data.type === 'progress') onProgress(data.done, data.total);
      else if (data.type === 'done') {
        finish();
        resolve(data.sha256);
      } else {
        finish();
        reject(new Error(data.message));
      }
    };
    worker.onerror = (event) => {
      finish();
      reject(new Error(`the hashing worker failed: ${event.message || 'unknown error'}`));
    };
    worker.postMessage({ file, chunkSize });
  });
}

/** Hashing stopped by its AbortSignal (the worker was terminated). */
export class HashCancelled extends Error {
  constructor() {
    super('the hashing was cancelled');
    this.name = 'HashCancelled';
  }
}

/** SHA-256 of a File/Blob read in slices; onProgress(bytesDone, total) after each slice. */
export async function hashFile(file, onProgress = () => {}, chunkSize = HASH_CHUNK) {
  const hasher = new Sha256();
  onProgress(0, file.size);
  for (let offset = 0; offset < file.size; offset += chunkSize) {
    const end = Math.min(offset + chunkSize, file.size);
    const bytes = new Uint8Array(await file.slice(offset, end).arrayBuffer());
    hasher.update(bytes);
    onProgress(end, file.size);
  }
  return bytesToHex(hasher.digest());
}

/** An upload that stopped part-way: the Resume button retries it. */
export class UploadInterrupted extends Error {
  constructor(message, { retryable = true } = {}) {
    super(message);
    this.name = 'UploadInterrupted';
    this.retryable = retryable;
  }
}

// Headers a browser sets itself and refuses from scripts (the XHR would drop them).
const FORBIDDEN = new Set(['content-length', 'host', 'connection', 'expect', 'date', 'origin', 'referer']);

function storageMessage(xhr) {
  const text = xhr.responseText || '';
  try {
    const body = JSON.parse(text);
    if (body?.error?.message) return body.error.message;
  } catch {
    // not JSON: maybe S3's XML
  }
  const match = /<Message>([^<]*)<\/Message>/.exec(text);
  if (match) return match[1];
  return `the storage answered ${xhr.status}${xhr.statusText ? ` ${xhr.statusText}` : ''}`;
}

/**
 * PUTs a blob with exactly the given headers. Resolves {etag}; rejects with
 * {status, message} (status 0 when the connection failed).
 */
export function putBlob(url, blob, headers = {}, onProgress = () => {}, signal = null) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    for (const [name, value] of Object.entries(headers || {})) {
      if (!FORBIDDEN.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(blob.size);
        resolve({ etag: xhr.getResponseHeader('ETag') });
      } else {
        reject({ status: xhr.status, message: storageMessage(xhr) });
      }
    };
    xhr.onerror = () => reject({ status: 0, message: 'the connection to the storage failed' });
    xhr.ontimeout = () => reject({ status: 0, message: 'the storage did not answer in time' });
    xhr.onabort = () => reject({ status: -1, message: 'the upload was stopped' });
    if (signal) {
      if (signal.aborted) {
        reject({ status: -1, message: 'the upload was stopped' });
        return;
      }
      signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    // An untyped slice: no Content-Type the presigned URL did not ask for.
    xhr.send(blob.type ? blob.slice(0, blob.size) : blob);
  });
}

const retryable = (status) => status === 0 || status === 408 || status === 429 || status >= 500;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** putBlob with a few retries and back-off (1 s, 2 s, 4 s) on network errors and 5xx. */
export async function putWithRetry(url, blob, headers, onProgress, { attempts = PART_ATTEMPTS, signal = null, delay = 1000 } = {}) {
  let last;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await putBlob(url, blob, headers, onProgress, signal);
    } catch (error) {
      last = error;
      onProgress(0);
      if (error.status === -1 || !retryable(error.status) || attempt === attempts) break;
      await sleep(delay * 2 ** (attempt - 1));
    }
  }
  throw new UploadInterrupted(`Upload interrupted: ${last.message}.`, {
    retryable: last.status !== -1 && retryable(last.status),
  });
}

/** The resume records: one per dataset whose bytes are not all sent. */
export class ResumeStore {
  constructor(storage = globalThis.localStorage) {
    this.storage = storage;
  }

  key(datasetId) {
    return STORE_PREFIX + datasetId;
  }

  load(datasetId) {
    try {
      return JSON.parse(this.storage.getItem(this.key(datasetId)));
    } catch {
      return null;
    }
  }

  save(record) {
    this.storage.setItem(this.key(record.dataset_id), JSON.stringify(record));
  }

  remove(datasetId) {
    this.storage.removeItem(this.key(datasetId));
  }

  /** The unfinished uploads of an owner, oldest first. */
  list(owner) {
    const records = [];
    for (let i = 0; i < this.storage.length; i++) {
      const key = this.storage.key(i);
      if (!key || !key.startsWith(STORE_PREFIX)) continue;
      const record = this.load(key.slice(STORE_PREFIX.length));
      if (record && record.owner === owner) records.push(record);
    }
    return records.sort((a, b) => a.started - b.started);
  }
}

/** A new resume record for a dataset of POST /uploads' answer. */
export function newRecord(owner, sampleId, file, sha256, dataset) {
  return {
    dataset_id: dataset.dataset_id,
    sample_id: sampleId,
    owner,
    filename: file.name,
    size: file.size,
    sha256,
    upload: dataset.upload,
    parts: {},
    started: Date.now(),
  };
}

/** Whether the links of a record still work (a minute of margin). */
export function linksExpired(record, now = Date.now()) {
  const expires = record.upload?.expires;
  return typeof expires === 'number' && expires * 1000 < now + 60_000;
}

/**
 * Sends a file's bytes as its record says and finishes the upload. Multipart parts
 * already in record.parts are not sent again. onProgress(sentBytes, totalBytes).
 * Resolves when the storage has the whole object; the record is then removed.
 */
export async function sendFile({ api, store, record, file, onProgress = () => {}, signal = null }) {
  if (file.size !== record.size) {
    throw new UploadInterrupted(`${file.name} is ${file.size} bytes; the upload is of ${record.size} bytes.`, { retryable: false });
  }
  if (linksExpired(record)) {
    throw new UploadInterrupted('The upload links have expired; upload the file again.', { retryable: false });
  }
  const upload = record.upload;
  if (!upload.multipart) {
    await putWithRetry(upload.url, file.slice(0, file.size), upload.headers, (sent) => onProgress(sent, file.size), { signal });
    store.remove(record.dataset_id);
    return;
  }
  const partSize = upload.part_size;
  const partBytes = (number) => Math.min(number * partSize, file.size) - (number - 1) * partSize;
  const inFlight = new Map();
  const report = () => {
    let sent = 0;
    for (const part of upload.parts) {
      if (record.parts[part.number]) sent += partBytes(part.number);
    }
    for (const loaded of inFlight.values()) sent += loaded;
    onProgress(Math.min(sent, file.size), file.size);
  };
  const missing = upload.parts.filter((part) => !record.parts[part.number]);
  report();
  let failure = null;
  const worker = async () => {
    while (missing.length > 0 && !failure) {
      const part = missing.shift();
      const start = (part.number - 1) * partSize;
      const blob = file.slice(start, start + partBytes(part.number));
      try {
        const { etag } = await putWithRetry(part.url, blob, {}, (loaded) => {
          inFlight.set(part.number, loaded);
          report();
        }, { signal });
        if (!etag) {
          throw new UploadInterrupted('The storage did not expose the ETag header of a part (its CORS rules must expose ETag).', { retryable: false });
        }
        record.parts[part.number] = etag;
        store.save(record);
      } catch (error) {
        failure = failure || error;
      } finally {
        inFlight.delete(part.number);
        report();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PART_CONCURRENCY, missing.length) }, worker));
  if (failure) throw failure;
  const parts = upload.parts
    .map((part) => ({ number: part.number, etag: record.parts[part.number] }))
    .sort((a, b) => a.number - b.number);
  try {
    await api.completeUpload(record.dataset_id, parts);
  } catch (error) {
    if (error.code !== 'already_uploaded') {
      if (error.status === 0 || error.status >= 500) {
        throw new UploadInterrupted(`Upload interrupted: ${error.message}`);
      }
      throw error;
    }
  }
  store.remove(record.dataset_id);
}
