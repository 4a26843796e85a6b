/**
 * The store server's wire format, shared by the server and its clients.
 *
 *   POST /v1/sets            push one envelope set (JSON, below); the store verifies it on-chain
 *   GET  /v1/envelopes/:loc  one envelope's bytes by locator (application/octet-stream)
 *   GET  /v1/health          {format, party, registry, chainId}
 *
 * No route takes a ticket ID or a ticket key to read, and no response carries an ID or a proof,
 * so the server cannot be used to link an ID to its on-chain record.
 */
import { z } from "zod";

import { ENVELOPES_PER_SET } from "../ticket/route.js";
import { LOCATOR_PATTERN } from "../crypto/locator.js";

export const DELIVERY_FORMAT = "sr-delivery/1";
export const HEALTH_FORMAT = "sr-store/1";
/** Default request body limit: a set of nine envelopes is ~15 KB (tickets) to ~45 KB (notes). */
export const DEFAULT_BODY_LIMIT = 512 * 1024;

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const PushEnvelopeSchema = z.strictObject({
  locator: z.string().regex(LOCATOR_PATTERN, "must be 32 lower-case hex characters"),
  bytes: z.string().min(1).regex(base64, "must be base64"),
  proof: z.array(z.string().regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes as 0x-hex")).max(16),
});

export const PushSchema = z.strictObject({
  format: z.literal(DELIVERY_FORMAT),
  kind: z.enum(["ticket", "note"]),
  ticketKey: z.string().regex(/^0x[0-9a-f]{64}$/, "must be 32 bytes as lower-case 0x-hex"),
  version: z.number().int().min(1).max(0xffffffff),
  envelopes: z
    .array(PushEnvelopeSchema)
    .min(1)
    .max(ENVELOPES_PER_SET)
    .refine(
      (list) => new Set(list.map((e) => e.locator)).size === list.length,
      "locators must be distinct",
    ),
});

export type PushBody = z.infer<typeof PushSchema>;

export interface PushResult {
  /** Envelopes newly written. */
  stored: number;
  /** Envelopes the store already held, byte for byte. */
  existing: number;
}

export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

export interface HealthBody {
  format: typeof HEALTH_FORMAT;
  party: string;
  registry: string;
  chainId: string;
}

/** One line per failed rule: `envelopes.0.locator: must be 32 lower-case hex characters`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map(
    (i) => `${i.path.length === 0 ? "body" : i.path.join(".")}: ${i.message}`,
  );
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}
