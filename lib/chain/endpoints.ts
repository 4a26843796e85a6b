/**
 * Endpoint health for the failover provider: the consortium's JSON-RPC endpoints in their
 * configured order, which of them are down, and one raw POST to one of them.
 *
 * An endpoint that fails at the transport level (refused, reset, timeout, HTTP error) is marked
 * down and skipped for a while; JSON-RPC errors (a revert, a bad parameter) are answers, not
 * failures.
 */
import type { JsonRpcError, JsonRpcPayload, JsonRpcResult } from "ethers";

import { ChainError } from "../errors.js";

export interface EndpointHealth {
  readonly url: string;
  readonly up: boolean;
  readonly lastError?: string;
}

export interface EndpointState {
  readonly url: string;
  downSince?: number;
  lastError?: string;
}

/** A transport-level failure of one endpoint (not a JSON-RPC error answer). */
export class EndpointDownError extends Error {
  constructor(
    readonly url: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface EndpointPoolOptions {
  /** Per-request timeout in milliseconds. */
  readonly requestTimeoutMs: number;
  /** How long an endpoint that failed is skipped before it is tried again. */
  readonly retryDownAfterMs: number;
  /** Network name, for messages. */
  readonly networkName: string;
  /** Where the endpoint list came from, for hints. */
  readonly endpointsSource?: string;
  /** Told when an endpoint goes down (the provider emits it as a debug event). */
  readonly onDown?: (url: string, reason: string) => void;
}

/** Splits a comma/whitespace-separated endpoint list and validates each URL. */
export function parseEndpoints(list: string | readonly string[], source = "endpoints"): string[] {
  const items = (typeof list === "string" ? list.split(/[\s,]+/) : [...list])
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const unique = [...new Set(items)];
  if (unique.length === 0) {
    throw new ChainError(`no RPC endpoint configured in ${source}`, {
      hint: `set ${source} to one or more http(s) URLs, comma-separated`,
    });
  }
  for (const url of unique) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ChainError(`invalid RPC URL "${url}" in ${source}`, {
        hint: "use http://host:port or https://host:port",
      });
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      throw new ChainError(`unsupported RPC URL "${url}" in ${source}`, {
        hint: "only http(s) JSON-RPC endpoints are supported",
      });
    }
  }
  return unique;
}

export function describeCause(error: unknown): string {
  if (error instanceof EndpointDownError) return error.message;
  if (error instanceof Error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code !== undefined) return cause.code;
    if (error.name === "TimeoutError") return "timed out";
    return cause?.message ?? error.message;
  }
  return String(error);
}

export function redact(url: string): string {
  // Endpoints may carry credentials (https://user:token@host/...): never print them.
  try {
    const u = new URL(url);
    if (u.username !== "" || u.password !== "") {
      u.username = "***";
      u.password = "";
    }
    return u.toString().replace(/\/$/, "");
  } catch {
    return url;
  }
}

export class EndpointPool {
  readonly #endpoints: EndpointState[];
  readonly #options: EndpointPoolOptions;
  #nextId = 1;

  constructor(urls: readonly string[], options: EndpointPoolOptions) {
    this.#options = options;
    this.#endpoints = parseEndpoints(urls, options.endpointsSource).map((url) => ({ url }));
  }

  /** The endpoints in order, and whether each is currently considered up. */
  health(): EndpointHealth[] {
    return this.#endpoints.map((e) => ({
      url: e.url,
      up: e.downSince === undefined,
      lastError: e.lastError,
    }));
  }

  find(url: string): EndpointState {
    return this.#endpoints.find((e) => e.url === url) as EndpointState;
  }

  /** Healthy endpoints first (in configured order), then those down longest, as a last resort. */
  order(): EndpointState[] {
    const now = Date.now();
    const retry = (e: EndpointState) =>
      e.downSince === undefined || now - e.downSince >= this.#options.retryDownAfterMs;
    return [
      ...this.#endpoints.filter(retry),
      ...this.#endpoints
        .filter((e) => !retry(e))
        .sort((a, b) => (a.downSince ?? 0) - (b.downSince ?? 0)),
    ];
  }

  markDown(endpoint: EndpointState, reason: string): void {
    endpoint.downSince = Date.now();
    endpoint.lastError = reason;
    this.#options.onDown?.(redact(endpoint.url), reason);
  }

  markUp(endpoint: EndpointState): void {
    endpoint.downSince = undefined;
  }

  allDown(failures: string[]): ChainError {
    return new ChainError(`no node of network ${this.#options.networkName} answers`, {
      details: failures.join("; "),
      hint: `check that at least one node is running; endpoints come from ${this.#options.endpointsSource ?? "the network configuration"}`,
    });
  }

  /** A JSON-RPC request object with a fresh id. */
  payload(method: string, params: unknown[]): JsonRpcPayload {
    return { id: this.#nextId++, jsonrpc: "2.0", method, params };
  }

  /** Sends one JSON-RPC request to one specific endpoint (no failover); an error answer throws. */
  async request(url: string, method: string, params: unknown[]): Promise<unknown> {
    const [response] = await this.post(url, this.payload(method, params));
    if ("error" in response) {
      const error = new Error(response.error.message) as Error & { code: number; data?: unknown };
      error.code = response.error.code;
      error.data = response.error.data;
      throw error;
    }
    return response.result;
  }

  async post<P extends JsonRpcPayload | JsonRpcPayload[]>(
    url: string,
    payload: P,
    timeoutMs = this.#options.requestTimeoutMs,
  ): Promise<(JsonRpcResult | JsonRpcError)[]> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new EndpointDownError(url, describeCause(error), { cause: error });
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new EndpointDownError(url, `HTTP ${response.status}, unreadable body`, {
        cause: error,
      });
    }
    if (!response.ok && (typeof body !== "object" || body === null || !("jsonrpc" in body))) {
      throw new EndpointDownError(url, `HTTP ${response.status}`);
    }
    return (Array.isArray(body) ? body : [body]) as (JsonRpcResult | JsonRpcError)[];
  }
}
