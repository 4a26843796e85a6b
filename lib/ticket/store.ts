/**
 * The off-chain envelope store as the ticket floor needs it: envelopes of one size under their
 * locators and nothing else. No ticket ID, key, version or kind reaches a store; a reader finds its
 * envelope by computing the locator (`../crypto/read-token.ts`). An entry is written once and never
 * replaced by other bytes; a set is written whole or not at all.
 */

/** One stored envelope: its locator (32 lower-case hex characters) and its bytes. */
export interface StoreEntry {
  locator: string;
  bytes: Uint8Array;
}

export interface PutResult {
  /** Envelopes newly written. */
  stored: number;
  /** Envelopes already held, byte for byte. */
  existing: number;
}

export interface EnvelopeStore {
  /**
   * Writes a set in one durable transaction. An entry held with other bytes is a
   * `StoreConflictError` and nothing of the set is written.
   */
  putSet(entries: readonly StoreEntry[]): PutResult | Promise<PutResult>;
  /** The envelope under `locator`, or `undefined`. */
  get(locator: string): Uint8Array | undefined | Promise<Uint8Array | undefined>;
  /** Removes the entries holding exactly these bytes (orphans of a failed transaction). */
  removeSet(entries: readonly StoreEntry[]): number | Promise<number>;
}
