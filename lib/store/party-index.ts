/**
 * A party's own index: ticket ID → on-chain ticket key, and the party's own references. It is how
 * a person typing `T-7KQ4-M2XD-9PWA` reaches the ticket: the envelope store and the chain know
 * neither the ID nor the reference. Filled from the party's notifications (each opened envelope
 * gives the ID) and its own creates; it lives in the party's own data folder, never beside a
 * shared store.
 *
 *   <data folder>/index.sqlite    0600, folder 0700
 *   CREATE TABLE ticket (id TEXT PRIMARY KEY, ticket_key TEXT NOT NULL UNIQUE, reference TEXT)
 */
import { join } from "node:path";

import { InputError, StoreConflictError } from "../errors.js";
import { openPrivateDatabase, type Database } from "./sqlite.js";

export const PARTY_INDEX_DATABASE = "index.sqlite";

export interface IndexedTicket {
  /** Canonical ticket ID (`T-XXXX-XXXX-XXXX`). */
  id: string;
  /** The on-chain record key, lower-case 0x-hex. */
  ticketKey: string;
  /** The party's own reference for it (e.g. its sender reference), if any. */
  reference?: string;
}

const KEY = /^0x[0-9a-f]{64}$/;

export class PartyIndex {
  readonly path: string;
  private readonly db: Database;

  private constructor(folder: string) {
    this.path = join(folder, PARTY_INDEX_DATABASE);
    this.db = openPrivateDatabase(folder, PARTY_INDEX_DATABASE);
    this.db.exec(`CREATE TABLE IF NOT EXISTS ticket (
      id TEXT PRIMARY KEY,
      ticket_key TEXT NOT NULL UNIQUE,
      reference TEXT
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ticket_by_reference ON ticket (reference)`);
  }

  /** Opens the index in the party's data folder (created 0700; the file 0600). */
  static open(dataFolder: string): PartyIndex {
    return new PartyIndex(dataFolder);
  }

  /**
   * Records a ticket (idempotent). The same ID with another key, or the same key with another
   * ID, is a {@link StoreConflictError}; a reference is added if none was recorded.
   */
  remember(entry: IndexedTicket): void {
    const ticketKey = entry.ticketKey.toLowerCase();
    if (!KEY.test(ticketKey)) throw new InputError("ticket key: expected 32 bytes as 0x-hex");
    if (
      entry.reference !== undefined &&
      (entry.reference.length === 0 || entry.reference.length > 64)
    ) {
      throw new InputError("reference: must be 1 to 64 characters");
    }
    const held = this.byId(entry.id) ?? this.byTicketKey(ticketKey);
    if (held !== undefined && (held.id !== entry.id || held.ticketKey !== ticketKey)) {
      throw new StoreConflictError(
        `the index already maps ${held.id} to ${held.ticketKey}; refusing ${entry.id} → ${ticketKey}`,
        {
          hint: "a ticket ID names one on-chain record; check the notification that gave this one",
        },
      );
    }
    this.db
      .prepare(
        `INSERT INTO ticket (id, ticket_key, reference) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET reference = coalesce(ticket.reference, excluded.reference)`,
      )
      .run(entry.id, ticketKey, entry.reference ?? null);
  }

  byId(id: string): IndexedTicket | undefined {
    return this.row(this.db.prepare("SELECT * FROM ticket WHERE id = ?").get(id));
  }

  byTicketKey(ticketKey: string): IndexedTicket | undefined {
    return this.row(
      this.db.prepare("SELECT * FROM ticket WHERE ticket_key = ?").get(ticketKey.toLowerCase()),
    );
  }

  /** Every ticket the party filed under `reference`. */
  byReference(reference: string): IndexedTicket[] {
    return this.db
      .prepare("SELECT * FROM ticket WHERE reference = ? ORDER BY id")
      .all(reference)
      .map((r) => this.row(r)!);
  }

  all(): IndexedTicket[] {
    return this.db
      .prepare("SELECT * FROM ticket ORDER BY id")
      .all()
      .map((r) => this.row(r)!);
  }

  private row(r: unknown): IndexedTicket | undefined {
    if (r === undefined) return undefined;
    const { id, ticket_key, reference } = r as {
      id: string;
      ticket_key: string;
      reference: string | null;
    };
    return { id, ticketKey: ticket_key, ...(reference === null ? {} : { reference }) };
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
