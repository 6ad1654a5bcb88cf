// The HTTP API client: JSON in and out, bearer token, and errors in plain words
// from the API's {"error": {"code", "message"}} bodies.

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the server could not be reached)
   * @param {string} code the API's snake_case code, or a local one
   * @param {string} message a sentence for people
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const DEFAULT_CONFIG = { api_base: '', chain_id: 2147483648, network: 'testnet', dev_key: false, node_base: null, contracts: null };

/**
 * Reads config.json next to the page. A missing or broken file gives the defaults (same
 * origin, testnet, no development key) and the reason, so the page can say so.
 */
export async function loadConfig(url = 'config.json') {
  try {
    const response = await fetch(url, { cache: 'no-store' });
    if (!response.ok) throw new Error(`config.json answered ${response.status}`);
    const config = await response.json();
    return { config: { ...DEFAULT_CONFIG, ...config }, problem: null };
  } catch (error) {
    return { config: { ...DEFAULT_CONFIG }, problem: `Could not read config.json (${error.message}); using the same origin on testnet.` };
  }
}

/** Joins the configured base ("" means this origin) and a path starting with "/". */
export function apiUrl(base, path) {
  const trimmed = (base || '').replace(/\/+$/, '');
  return trimmed + path;
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON
  }
  const error = body && typeof body === 'object' ? body.error : null;
  if (error && typeof error.message === 'string') {
    return new ApiError(response.status, error.code || 'error', error.message);
  }
  const text = response.statusText ? ` ${response.statusText}` : '';
  return new ApiError(response.status, 'http_error', `The server answered ${response.status}${text}.`);
}

export class Api {
  /**
   * @param {string} base the API origin and prefix ("" for this origin)
   * @param {() => string | null} token the current bearer token
   * @param {(error: ApiError) => void} onUnauthorized called on any 401 of an authenticated call
   */
  constructor(base, token, onUnauthorized) {
    this.base = base;
    this.token = token;
    this.onUnauthorized = onUnauthorized;
  }

  url(path) {
    return apiUrl(this.base, path);
  }

  async request(method, path, { body, auth = true } = {}) {
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth) {
      const token = this.token();
      if (!token) {
        const error = new ApiError(401, 'unauthenticated', 'Your sign-in has expired — sign in again');
        this.onUnauthorized(error);
        throw error;
      }
      headers.authorization = `Bearer ${token}`;
    }
    let response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, 'network', `Could not reach the GenoFlow server (${error.message}).`);
    }
    if (!response.ok) {
      const error = await errorFrom(response);
      if (response.status === 401 && auth) this.onUnauthorized(error);
      throw error;
    }
    if (response.status === 204) return null;
    try {
      return await response.json();
    } catch {
      throw new ApiError(response.status, 'bad_response', 'The server answered something that is not JSON.');
    }
  }

  login(body) {
    return this.request('POST', '/auth/login', { body, auth: false });
  }

  createUpload(body) {
    return this.request('POST', '/uploads', { body });
  }

  completeUpload(datasetId, parts) {
    return this.request('POST', `/uploads/${encodeURIComponent(datasetId)}/complete`, { body: { parts } });
  }

  listDatasets(cursor) {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    return this.request('GET', `/datasets${query}`);
  }

  /**
   * One page of the owner's samples: `{samples, next?, truncated?}`. `query`: {q, status,
   * result, sort: 'newest' | 'oldest' | 'name', cursor, limit}; empty values are left out.
   */
  listSamples(query = {}) {
    const params = new URLSearchParams();
    for (const key of ['q', 'status', 'result', 'sort', 'cursor', 'limit']) {
      const value = query[key];
      if (value !== undefined && value !== null && value !== '' && !(key === 'sort' && value === 'newest')) params.set(key, String(value));
    }
    const text = params.toString();
    return this.request('GET', `/samples${text ? `?${text}` : ''}`);
  }

  getSample(id) {
    return this.request('GET', `/samples/${encodeURIComponent(id)}`);
  }

  getDataset(id) {
    return this.request('GET', `/datasets/${encodeURIComponent(id)}`);
  }

  getReport(id) {
    return this.request('GET', `/datasets/${encodeURIComponent(id)}/report`);
  }

  getProof(id) {
    return this.request('GET', `/datasets/${encodeURIComponent(id)}/proof`);
  }

  deleteDataset(id) {
    return this.request('DELETE', `/datasets/${encodeURIComponent(id)}`);
  }

  /** `{url, expires}`: a short-lived link to the stored file (owner or buyer). */
  getDownload(id) {
    return this.request('GET', `/datasets/${encodeURIComponent(id)}/download`);
  }

  /** Active listings, newest first (no sign-in needed). */
  listMarketplace(cursor) {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : '';
    return this.request('GET', `/marketplace${query}`, { auth: false });
  }

  listPurchases() {
    return this.request('GET', '/purchases');
  }

  /** The oracle's latest attestation of a record, e.g. ('catalogue', 'tb-who-2023') (no sign-in needed). */
  getAttestation(source, id) {
    return this.request('GET', `/oracle/${encodeURIComponent(source)}/${encodeURIComponent(id)}`, { auth: false });
  }

  /** The attestation of the panel's gene `symbol`, as the panel writes it (no sign-in needed). */
  getGeneAttestation(symbol) {
    return this.request('GET', `/oracle/gene/${encodeURIComponent(symbol)}`, { auth: false });
  }
}
