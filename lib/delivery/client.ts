/**
 * HTTP client of the store server: push a set, read an envelope by locator, check health.
 * Every call is bounded by a timeout, so an unreachable store never blocks the caller for long.
 */
import { StoreError } from "../errors.js";
import {
  type ErrorBody,
  type HealthBody,
  type PushBody,
  type PushResult,
} from "../store/protocol.js";

export const DEFAULT_TIMEOUT_MS = 5_000;

/** A store refused the request (4xx): retrying the same bytes will not help. */
export class StoreRefusal extends StoreError {
  override name = "StoreRefusal";
  constructor(
    message: string,
    readonly status: number,
    hint?: string,
  ) {
    super(message, { hint });
  }
}

function base(url: string): string {
  return url.replace(/\/+$/, "");
}

async function call(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    const why =
      (error as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? (error as Error).message);
    throw new StoreError(`cannot reach the store at ${new URL(url).origin}`, {
      details: why,
      hint: "the envelopes stay in the outbox; retry later with store:flush",
      cause: error,
    });
  }
}

async function refusal(response: Response, what: string): Promise<StoreError> {
  let message = `${what}: HTTP ${response.status}`;
  let hint: string | undefined;
  try {
    const body = (await response.json()) as ErrorBody;
    if (typeof body?.error?.message === "string") message = `${what}: ${body.error.message}`;
    hint = body?.error?.hint;
  } catch {
    // not JSON: keep the status line
  }
  if (
    response.status >= 400 &&
    response.status < 500 &&
    response.status !== 404 &&
    response.status !== 408 &&
    response.status !== 429
  ) {
    return new StoreRefusal(message, response.status, hint);
  }
  return new StoreError(message, { hint });
}

export async function pushSet(
  url: string,
  body: PushBody,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<PushResult> {
  const response = await call(
    `${base(url)}/v1/sets`,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    timeoutMs,
  );
  if (!response.ok)
    throw await refusal(response, `the store at ${new URL(url).origin} refused the set`);
  return (await response.json()) as PushResult;
}

/** The envelope stored under `locator`, or undefined if the store does not hold it. */
export async function getEnvelope(
  url: string,
  locator: string,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<Uint8Array | undefined> {
  const response = await call(`${base(url)}/v1/envelopes/${locator}`, { method: "GET" }, timeoutMs);
  if (response.status === 404) {
    await response.arrayBuffer().catch(() => undefined);
    return undefined;
  }
  if (!response.ok) throw await refusal(response, `the store at ${new URL(url).origin} failed`);
  return new Uint8Array(await response.arrayBuffer());
}

export async function health(url: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<HealthBody> {
  const response = await call(`${base(url)}/v1/health`, { method: "GET" }, timeoutMs);
  if (!response.ok)
    throw await refusal(response, `the store at ${new URL(url).origin} is unhealthy`);
  return (await response.json()) as HealthBody;
}
