/**
 * The store server's wire format 2, and its client. Bounded both ways: the server takes bodies of
 * at most a few kilobytes beyond one set, and the client never reads more than the exact size an
 * answer can have.
 *
 *   POST /v2/sets     push one set: {format, kind, ticketKey, version, sender?, envelopes: [9 × {locator, bytes}]}
 *                     (`sender`: the directory address of a return's author, which the chain's
 *                     one-time address does not tell; it only selects the keys to try)
 *   POST /v2/read     {format, tokens: [1..9 read tokens]} → n × (1 flag byte ‖ ENVELOPE_SIZE bytes)
 *   GET  /v2/health   {format, party}
 *
 * A read names tokens, never locators: the server hashes each to its locator
 * (`../crypto/read-token.ts`). The answer has the same status and length whatever the store holds;
 * an envelope the store does not hold comes back as flag 0 and zeros. Someone without a token
 * (a locator read from a copy of a store is not one) learns nothing from asking.
 */
import { z } from "zod";

import { InputError, StoreError } from "../errors.js";
import { LOCATOR_V2_PATTERN, READ_TOKEN_PATTERN, SET_KINDS } from "../crypto/read-token.js";
import { ENVELOPE_SIZE, SET_SIZE } from "../crypto/sealed-envelope.js";

export const PUSH_FORMAT = "sr-push/2";
export const READ_FORMAT = "sr-read/2";
export const HEALTH_V2_FORMAT = "sr-store/2";

/** Tokens one read may name: a set's worth. */
export const MAX_READ_TOKENS = SET_SIZE;
/** One answer slot: a flag byte (1 held, 0 not) and an envelope's bytes (zeros if not held). */
export const READ_SLOT_SIZE = 1 + ENVELOPE_SIZE;
/** A pushed envelope in base64. */
const BASE64_ENVELOPE = Math.ceil(ENVELOPE_SIZE / 3) * 4;
/** Request body caps: a set in base64 with room for the JSON around it, and a read's tokens. */
export const PUSH_BODY_LIMIT = 64 * 1024;
export const READ_BODY_LIMIT = 2 * 1024;
/** The most a client reads of any JSON answer (results and errors). */
export const MAX_JSON_ANSWER = 4 * 1024;

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const PushV2Schema = z.strictObject({
  format: z.literal(PUSH_FORMAT),
  kind: z.enum(SET_KINDS as [string, ...string[]]),
  ticketKey: z.string().regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes as lower-case 0x-hex"),
  version: z.number().int().min(1).max(0xffffffff),
  sender: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, "must be an address")
    .optional(),
  envelopes: z
    .array(
      z.strictObject({
        locator: z.string().regex(LOCATOR_V2_PATTERN, "must be 32 lower-case hex characters"),
        bytes: z
          .string()
          .length(BASE64_ENVELOPE, `must be one envelope (${ENVELOPE_SIZE} bytes) in base64`)
          .regex(base64, "must be base64"),
      }),
    )
    .length(SET_SIZE, `a set has exactly ${SET_SIZE} envelopes`)
    .refine((l) => new Set(l.map((e) => e.locator)).size === l.length, "locators must be distinct"),
});
export type PushV2 = z.infer<typeof PushV2Schema> & { kind: (typeof SET_KINDS)[number] };

export const ReadV2Schema = z.strictObject({
  format: z.literal(READ_FORMAT),
  tokens: z
    .array(z.string().regex(READ_TOKEN_PATTERN, "must be 64 lower-case hex characters"))
    .min(1)
    .max(MAX_READ_TOKENS),
});
export type ReadV2 = z.infer<typeof ReadV2Schema>;

export interface PushV2Result {
  stored: number;
  existing: number;
}

/** An answer slot for each token: the envelope, or `undefined` (the same for missing and unknown). */
export function encodeReadAnswer(envelopes: readonly (Uint8Array | undefined)[]): Buffer {
  const out = Buffer.alloc(envelopes.length * READ_SLOT_SIZE);
  envelopes.forEach((e, i) => {
    if (e === undefined) return;
    out[i * READ_SLOT_SIZE] = 1;
    out.set(e, i * READ_SLOT_SIZE + 1);
  });
  return out;
}

export function decodeReadAnswer(answer: Uint8Array, count: number): (Uint8Array | undefined)[] {
  if (answer.length !== count * READ_SLOT_SIZE) {
    throw new StoreError(`the store answered ${answer.length} bytes for ${count} tokens`, {
      details: `expected exactly ${count * READ_SLOT_SIZE}`,
      hint: "the store runs another format version, or a proxy changed the answer",
    });
  }
  return Array.from({ length: count }, (_, i) => {
    const at = i * READ_SLOT_SIZE;
    if (answer[at] === 0) return undefined;
    if (answer[at] !== 1) throw new StoreError("the store answered a malformed slot");
    return new Uint8Array(answer.subarray(at + 1, at + READ_SLOT_SIZE));
  });
}

// ---------------------------------------------------------------------------------------- client

export interface ClientOptions {
  /** Whole-request timeout; default 10 s. */
  timeoutMs?: number;
}

/**
 * Reads a response body, refusing (and aborting) as soon as it would exceed `limit` bytes: a
 * store published on-chain is not trusted to bound its own answers.
 */
export async function readBounded(
  response: Response,
  limit: number,
  what: string,
): Promise<Buffer> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  const tooLarge = () =>
    new StoreError(`the store's ${what} is larger than ${limit} bytes`, {
      hint: "the endpoint is not a settlement store of this version; check its URL",
    });
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (reader === undefined) return Buffer.alloc(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

async function call(
  url: string,
  path: string,
  body: unknown,
  options: ClientOptions,
): Promise<Response> {
  try {
    return await fetch(new URL(path, url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      redirect: "error",
    });
  } catch (error) {
    throw new StoreError(`the store at ${url} cannot be reached`, {
      details: (error as Error).message,
      hint: "check that the store runs and its URL is right; the set waits in the outbox",
      cause: error,
    });
  }
}

/**
 * A store refused a request for good (a 4xx other than 404, 408 and 429): sending the same bytes
 * again will not help until something changes.
 */
export class StoreRefusal extends StoreError {
  override name = "StoreRefusal";
  constructor(
    message: string,
    readonly status: number,
    details?: string,
  ) {
    super(message, { details });
  }
}

const final = (status: number) =>
  status >= 400 && status < 500 && ![404, 408, 429].includes(status);

async function refusal(url: string, response: Response): Promise<StoreError> {
  const text = (
    await readBounded(response, MAX_JSON_ANSWER, "error").catch(() => Buffer.alloc(0))
  ).toString("utf8");
  let message = `HTTP ${response.status}`;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === "string") message = parsed.error.message.slice(0, 300);
  } catch {
    // not JSON: keep the status
  }
  const retry = response.headers.get("retry-after");
  const said = `the store at ${url} refused: ${message}`;
  const details = retry === null ? undefined : `retry after ${retry.slice(0, 10)} s`;
  return final(response.status)
    ? new StoreRefusal(said, response.status, details)
    : new StoreError(said, { details });
}

/** Pushes one set; the store's result, or a {@link StoreError} with its reason. */
export async function pushSetV2(
  url: string,
  push: PushV2,
  options: ClientOptions = {},
): Promise<PushV2Result> {
  const response = await call(url, "/v2/sets", push, options);
  if (response.status !== 200 && response.status !== 201) throw await refusal(url, response);
  const text = (await readBounded(response, MAX_JSON_ANSWER, "answer")).toString("utf8");
  let result: Partial<PushV2Result> | null;
  try {
    result = JSON.parse(text) as Partial<PushV2Result> | null;
  } catch {
    result = null;
  }
  if (!Number.isInteger(result?.stored) || !Number.isInteger(result?.existing)) {
    throw new StoreError(
      `the store at ${url} answered a push with something else than its result`,
      {
        hint: "the endpoint is not a settlement store of this version; check its URL",
      },
    );
  }
  return { stored: result!.stored!, existing: result!.existing! };
}

/** Reads envelopes by read token (hex), in order; `undefined` where the store holds none. */
export async function readEnvelopesV2(
  url: string,
  tokens: readonly string[],
  options: ClientOptions = {},
): Promise<(Uint8Array | undefined)[]> {
  if (tokens.length === 0 || tokens.length > MAX_READ_TOKENS) {
    throw new InputError(`tokens: a read names 1 to ${MAX_READ_TOKENS} tokens`);
  }
  const response = await call(url, "/v2/read", { format: READ_FORMAT, tokens }, options);
  if (response.status !== 200) throw await refusal(url, response);
  const answer = await readBounded(response, tokens.length * READ_SLOT_SIZE, "answer");
  return decodeReadAnswer(answer, tokens.length);
}

export interface HealthV2 {
  format: typeof HEALTH_V2_FORMAT;
  party?: string;
}

/** The store's health answer: its format and party. */
export async function storeHealth(url: string, options: ClientOptions = {}): Promise<HealthV2> {
  let response: Response;
  try {
    response = await fetch(new URL("/v2/health", url), {
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      redirect: "error",
    });
  } catch (error) {
    throw new StoreError(`the store at ${url} cannot be reached`, {
      details: (error as Error).message,
      cause: error,
    });
  }
  if (response.status !== 200) throw await refusal(url, response);
  const text = (await readBounded(response, MAX_JSON_ANSWER, "answer")).toString("utf8");
  let body: Partial<HealthV2> | null = null;
  try {
    body = JSON.parse(text) as Partial<HealthV2> | null;
  } catch {
    // not JSON: refused below
  }
  if (body?.format !== HEALTH_V2_FORMAT) {
    throw new StoreError(`the endpoint at ${url} is not a settlement store of this version`, {
      hint: "start it with `npx hardhat store:serve`",
    });
  }
  return {
    format: HEALTH_V2_FORMAT,
    ...(typeof body.party === "string" ? { party: body.party } : {}),
  };
}
