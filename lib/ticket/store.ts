/**
 * The off-chain envelope store, keyed by ticket ID. One entry per (ticket ID, version, locator);
 * an entry is written once and never replaced by different bytes.
 */

/** Where a locator points. */
export interface StoreLocation {
  id: string;
  version: number;
}

export interface EnvelopeStore {
  /**
   * Stores `bytes` atomically. Idempotent for identical bytes; a different existing entry (or a
   * locator already indexed elsewhere) is a `StoreConflictError`.
   */
  put(id: string, version: number, locator: string, bytes: Uint8Array): Promise<void>;
  /** The entry; a `StoreError` that says what is missing (ticket, version or envelope). */
  get(id: string, version: number, locator: string): Promise<Uint8Array>;
  /** Locators stored for a ticket version, sorted; empty if none. */
  list(id: string, version: number): Promise<string[]>;
  /** Versions stored for a ticket, ascending; empty if none. */
  versions(id: string): Promise<number[]>;
  /** Where `locator` is stored, if anywhere. */
  lookup(locator: string): Promise<StoreLocation | undefined>;
  /** Removes an entry and its index (clean-up of orphans after a failed transaction). Idempotent. */
  remove(id: string, version: number, locator: string): Promise<void>;
}
