// A module Web Worker that hashes one file: the page posts {file, chunkSize}; the worker
// reads the file in slices here (never on the page's thread) and posts
// {type: 'progress', done, total} after each slice, then {type: 'done', sha256} or
// {type: 'error', message}.

import { Sha256, bytesToHex } from './sha256.js';

self.onmessage = async (event) => {
  const { file, chunkSize } = event.data;
  try {
    const hasher = new Sha256();
    self.postMessage({ type: 'progress', done: 0, total: file.size });
    for (let offset = 0; offset < file.size; offset += chunkSize) {
      const end = Math.min(offset + chunkSize, file.size);
      hasher.update(new Uint8Array(await file.slice(offset, end).arrayBuffer()));
      self.postMessage({ type: 'progress', done: end, total: file.size });
    }
    self.postMessage({ type: 'done', sha256: bytesToHex(hasher.digest()) });
  } catch (error) {
    self.postMessage({ type: 'error', message: `could not read ${file.name}: ${error.message}` });
  }
};
