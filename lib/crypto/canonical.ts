/**
 * Canonical JSON (RFC 8785, JSON Canonicalization Scheme): the same value gives the same bytes
 * whatever the key order or whitespace of its source.
 */
import { createRequire } from "node:module";

import { CryptoError } from "../errors.js";

// The package is CommonJS whose typings declare an ES default export; under `node16` resolution
// TypeScript then types the default import as the module object, so load it the CommonJS way.
const canonicalize = createRequire(import.meta.url)("canonicalize") as (
  input: unknown,
) => string | undefined;

/** RFC 8785 text of `value`. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new CryptoError("value cannot be canonicalised as JSON");
  return text;
}

/** RFC 8785 bytes (UTF-8) of `value`. */
export function canonicalBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalJson(value));
}
