/**
 * The embedded envelope store (format 2): one SQLite database on Node's built-in `node:sqlite`.
 *
 *   <folder>/envelopes.sqlite    (and its -wal and -shm files)
 *   CREATE TABLE envelope (locator BLOB PRIMARY KEY, bytes BLOB NOT NULL) WITHOUT ROWID
 *
 * One row per envelope, keyed by its locator and nothing else: no ticket ID, key, version, kind,
 * recipient or time is stored or used in a name, and every row has the same size (the CHECKs
 * refuse anything else). A whole set is written in one transaction (WAL, synchronous FULL): it is
 * durable when `putSet` returns, and a crash or a conflict leaves none of it. An entry is never
 * replaced by other bytes.
 *
 * The file's layout must not give the write order away either (a copy of a store, aligned with
 * the order of the chain's events, would otherwise say which tickets its party is on). Three
 * measures, each against one way SQLite records order, measured by test/security/linkage.ts:
 * 64 KiB pages, so that no entry has overflow pages (allocated at the end of the file as entries
 * arrive); a reserve of random entries written when the store is created, so that the first real
 * entries do not fill the first pages in order; and a checkpoint that empties the write-ahead log
 * after each write (the log holds pages in commit order). What remains: within one leaf page,
 * entries written since the page was last split sit in reverse write order (see docs/store.md).
 *
 * The folder is 0700 and the files 0600 (SQLite gives its -wal and -shm files the database
 * file's mode). `DatabaseSync` blocks the event loop for each commit; a server with many writers
 * would move it to a worker thread.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, fchmodSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import { InputError, StoreConflictError, StoreError } from "../errors.js";
import { LOCATOR_V2_PATTERN } from "../crypto/read-token.js";
import {
  decoyCiphertext,
  decoyProof,
  ENVELOPE_SIZE,
  joinEnvelope,
} from "../crypto/sealed-envelope.js";
import type { EnvelopeStore, PutResult, StoreEntry } from "../ticket/store.js";

type SqliteModule = typeof import("node:sqlite");
export type Database = InstanceType<SqliteModule["DatabaseSync"]>;

let sqlite: SqliteModule | undefined;

/**
 * `node:sqlite`, loaded once with its one-time ExperimentalWarning silenced (only that warning:
 * every other warning still reaches the process's handlers).
 */
export function nodeSqlite(): SqliteModule {
  if (sqlite !== undefined) return sqlite;
  const emit = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    const text = typeof warning === "string" ? warning : warning.message;
    const type = typeof rest[0] === "string" ? rest[0] : (rest[0] as { type?: string })?.type;
    if (type === "ExperimentalWarning" && /SQLite/i.test(text)) return;
    return (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    sqlite = createRequire(import.meta.url)("node:sqlite") as SqliteModule;
  } finally {
    process.emitWarning = emit;
  }
  return sqlite;
}

/** Creates `folder` (0700) if needed and tightens it to 0700 if it exists. */
export function privateFolder(folder: string): void {
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    chmodSync(folder, 0o700);
  } catch (error) {
    throw new StoreError(`cannot create the private folder ${folder}`, {
      details: (error as Error).message,
      hint: "the data folder must belong to the user that runs the tools",
      cause: error,
    });
  }
}

/**
 * Opens (creating if needed) a database file that only its owner can read: the file is created
 * 0600 before SQLite opens it, so it never exists with looser permissions.
 */
export function openPrivateDatabase(
  folder: string,
  file: string,
  options: { pageSize?: number } = {},
): Database {
  privateFolder(folder);
  const path = join(folder, file);
  try {
    const fd = openSync(path, "a", 0o600);
    try {
      if ((fstatSync(fd).mode & 0o777) !== 0o600) fchmodSync(fd, 0o600);
    } finally {
      closeSync(fd);
    }
    for (const side of ["-wal", "-shm"]) {
      try {
        chmodSync(path + side, 0o600);
      } catch {
        // not there yet: SQLite creates it with the database file's mode
      }
    }
    const { DatabaseSync } = nodeSqlite();
    const db = new DatabaseSync(path);
    // The page size takes effect only before the first table (and before WAL) is set up.
    if (options.pageSize !== undefined) db.exec(`PRAGMA page_size = ${options.pageSize}`);
    db.exec(`
      PRAGMA busy_timeout = 10000;
      PRAGMA journal_mode = WAL;
      PRAGMA synchronous = FULL;
      PRAGMA secure_delete = ON;
      PRAGMA trusted_schema = OFF;
    `);
    return db;
  } catch (error) {
    throw new StoreError(`cannot open the database ${path}`, {
      details: (error as Error).message,
      hint: "check the folder's owner and free space; another program may hold it",
      cause: error,
    });
  }
}

/** Runs `body` in one `BEGIN IMMEDIATE` transaction: all of it commits, or none of it. */
export function transaction<T>(db: Database, body: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = body();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}

function locatorBytes(locator: string): Uint8Array {
  if (typeof locator !== "string" || !LOCATOR_V2_PATTERN.test(locator)) {
    throw new InputError(
      `locator: ${JSON.stringify(String(locator).slice(0, 40))} is not 32 lower-case hex characters`,
    );
  }
  return Buffer.from(locator, "hex");
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

export const ENVELOPE_DATABASE = "envelopes.sqlite";
/**
 * Pages of 64 KiB: an entry (4,112 bytes with its key) fits a page, so no overflow page is
 * allocated per entry (overflow pages are appended in write order and would give every entry's
 * write order away), and a leaf holds about fifteen entries in key (locator) order.
 */
export const STORE_PAGE_SIZE = 65_536;
/**
 * Entries of random bytes, shaped like envelopes, written once when a store is created: the
 * first real entries land among them in key order rather than in the first pages of an empty
 * file, so a small store's layout does not give its write order away either.
 */
export const RESERVE_ENTRIES = 256;

export class SqliteEnvelopeStore implements EnvelopeStore {
  readonly path: string;
  private readonly db: Database;
  private readonly insert;
  private readonly select;
  private readonly remove;

  private constructor(folder: string) {
    this.path = join(folder, ENVELOPE_DATABASE);
    this.db = openPrivateDatabase(folder, ENVELOPE_DATABASE, { pageSize: STORE_PAGE_SIZE });
    this.db.exec(`CREATE TABLE IF NOT EXISTS envelope (
      locator BLOB PRIMARY KEY CHECK (length(locator) = 16),
      bytes BLOB NOT NULL CHECK (length(bytes) = ${ENVELOPE_SIZE})
    ) WITHOUT ROWID`);
    this.insert = this.db.prepare(
      "INSERT INTO envelope (locator, bytes) VALUES (?, ?) ON CONFLICT (locator) DO NOTHING",
    );
    this.select = this.db.prepare("SELECT bytes FROM envelope WHERE locator = ?");
    this.remove = this.db.prepare("DELETE FROM envelope WHERE locator = ? AND bytes = ?");
    this.fillReserve();
  }

  /** Writes the reserve once, in the transaction that marks the store as filled (user_version 1). */
  private fillReserve(): void {
    const version = () =>
      Number(
        (this.db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
      );
    if (version() !== 0) return;
    transaction(this.db, () => {
      if (version() !== 0) return;
      for (let i = 0; i < RESERVE_ENTRIES; i++) {
        this.insert.run(randomBytes(16), joinEnvelope(decoyCiphertext(), decoyProof()));
      }
      this.db.exec("PRAGMA user_version = 1");
    });
    this.checkpoint();
  }

  /**
   * Moves the committed pages from the write-ahead log into the database and empties the log: the
   * log keeps pages in commit order, which would say which entries were written together and when
   * relative to the others.
   */
  private checkpoint(): void {
    this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  /** Opens the store in `folder` (created 0700; the database 0600). */
  static open(folder: string): SqliteEnvelopeStore {
    return new SqliteEnvelopeStore(folder);
  }

  /**
   * Writes a set in one durable transaction. Entries already held with the same bytes count as
   * `existing`; one held with other bytes is a {@link StoreConflictError} and nothing of the set
   * is written.
   */
  putSet(entries: readonly StoreEntry[]): PutResult {
    const rows = entries.map((e) => {
      if (!(e.bytes instanceof Uint8Array) || e.bytes.length !== ENVELOPE_SIZE) {
        throw new InputError(
          `envelope ${e.locator}: is ${e.bytes?.length} bytes; every envelope is ${ENVELOPE_SIZE}`,
        );
      }
      return { locator: e.locator, key: locatorBytes(e.locator), bytes: e.bytes };
    });
    if (new Set(rows.map((r) => r.locator)).size !== rows.length) {
      throw new InputError("envelopes: a set names a locator twice");
    }
    const written = transaction(this.db, () => {
      const result: PutResult = { stored: 0, existing: 0 };
      for (const row of rows) {
        if (Number(this.insert.run(row.key, row.bytes).changes) === 1) {
          result.stored++;
          continue;
        }
        const held = this.select.get(row.key) as { bytes: Uint8Array } | undefined;
        if (held === undefined || !sameBytes(held.bytes, row.bytes)) {
          throw new StoreConflictError(
            `the store already holds other bytes under locator ${row.locator}`,
            {
              hint: "an entry is never overwritten; nothing of this set was written: seal the set again",
            },
          );
        }
        result.existing++;
      }
      return result;
    });
    this.checkpoint();
    return written;
  }

  /** The envelope under `locator`, or `undefined`. */
  get(locator: string): Uint8Array | undefined {
    const row = this.select.get(locatorBytes(locator)) as { bytes: Uint8Array } | undefined;
    return row === undefined ? undefined : new Uint8Array(row.bytes);
  }

  /**
   * Removes the entries that hold exactly these bytes (orphans of a transaction that failed), in
   * one transaction; entries with other bytes stay. Returns how many were removed.
   */
  removeSet(entries: readonly StoreEntry[]): number {
    const removed = transaction(this.db, () =>
      entries.reduce(
        (n, e) => n + Number(this.remove.run(locatorBytes(e.locator), e.bytes).changes),
        0,
      ),
    );
    this.checkpoint();
    return removed;
  }

  /** How many envelopes the store holds, the reserve not counted. */
  count(): number {
    const rows = (this.db.prepare("SELECT count(*) AS n FROM envelope").get() as { n: number }).n;
    return Number(rows) - RESERVE_ENTRIES;
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
