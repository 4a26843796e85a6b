/**
 * The embedded default store: a local folder.
 *
 *   <root>/tickets/<ticket ID>/v<version>/<locator>.env   the envelope bytes
 *   <root>/locators/<locator>                             {"id":…,"version":…}
 *
 * Nothing in a path or file names a recipient: locators are pseudorandom, and every version is
 * padded with decoy envelopes (see `../ticket/envelope-set.ts`). Writes go to a temporary file in
 * the same folder, are flushed, then hard-linked into place: `link` fails if the target exists, so
 * two writers can never replace each other's entry, and a crash leaves at most a stray temp file.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, open, readdir, readFile, rm, unlink } from "node:fs/promises";
import { join } from "node:path";

import { InputError, StoreConflictError, StoreError } from "../errors.js";
import { isCanonicalTicketId, normalizeTicketId } from "../ticket/id.js";
import { LOCATOR_PATTERN } from "../crypto/locator.js";
import type { EnvelopeStore, StoreLocation } from "../ticket/store.js";

const MAX_VERSION = 0xffffffff;

function checkVersion(version: number): number {
  if (!Number.isInteger(version) || version < 1 || version > MAX_VERSION) {
    throw new InputError(`ticket version: ${String(version)} is not a positive 32-bit integer`);
  }
  return version;
}

function checkLocator(locator: string): string {
  if (typeof locator !== "string" || !LOCATOR_PATTERN.test(locator)) {
    throw new InputError(`locator: ${JSON.stringify(locator)} is not 32 lower-case hex characters`);
  }
  return locator;
}

const isErrno = (e: unknown, code: string) =>
  (e as NodeJS.ErrnoException | undefined)?.code === code;

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if (isErrno(error, "ENOENT")) return undefined;
    throw new StoreError(`cannot read ${path}`, {
      details: (error as Error).message,
      cause: error,
    });
  }
}

/** Writes `bytes` at `target` unless it exists; returns the existing bytes if it does. */
async function writeOnce(target: string, bytes: Uint8Array): Promise<Buffer | undefined> {
  const dir = join(target, "..");
  const temp = join(dir, `.tmp-${randomBytes(8).toString("hex")}`);
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, target);
      return undefined;
    } catch (error) {
      if (!isErrno(error, "EEXIST")) throw error;
      return (await readIfExists(target)) ?? Buffer.alloc(0);
    }
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`cannot write ${target}`, {
      details: (error as Error).message,
      cause: error,
    });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

export class FolderStore implements EnvelopeStore {
  readonly root: string;
  /** `mkdir` calls in flight, by folder: the nine puts of one set share one call per folder. */
  private readonly making = new Map<string, Promise<unknown>>();

  constructor(root: string) {
    this.root = root;
  }

  private ticketDir(id: string): string {
    const canonical = normalizeTicketId(id);
    // Defence in depth: only the canonical form ever reaches a path.
    if (!isCanonicalTicketId(canonical))
      throw new InputError(`ticket id: ${JSON.stringify(id)} is invalid`);
    return join(this.root, "tickets", canonical);
  }

  private versionDir(id: string, version: number): string {
    return join(this.ticketDir(id), `v${checkVersion(version)}`);
  }

  private indexPath(locator: string): string {
    return join(this.root, "locators", checkLocator(locator));
  }

  async put(id: string, version: number, locator: string, bytes: Uint8Array): Promise<void> {
    const canonical = normalizeTicketId(id);
    const dir = this.versionDir(canonical, version);
    const target = join(dir, `${checkLocator(locator)}.env`);
    const indexEntry = Buffer.from(JSON.stringify({ id: canonical, version }));
    await Promise.all([this.makeDir(dir), this.makeDir(join(this.root, "locators"))]);

    const existingIndex = await writeOnce(this.indexPath(locator), indexEntry);
    if (existingIndex !== undefined && !existingIndex.equals(indexEntry)) {
      throw new StoreConflictError(
        `locator ${locator} is already used by another ticket or version`,
        {
          details: `wanted ${canonical} v${version}`,
          hint: "locators are unique per ticket, version and recipient; seal the ticket again",
        },
      );
    }
    const existing = await writeOnce(target, bytes);
    if (existing !== undefined && !existing.equals(Buffer.from(bytes))) {
      throw new StoreConflictError(
        `the store already holds a different envelope ${locator} for ticket ${canonical} version ${version}`,
        { hint: "an entry is never overwritten; amend the ticket to publish new envelopes" },
      );
    }
  }

  /** `mkdir -p`, shared with any call for the same folder already in flight. */
  private makeDir(dir: string): Promise<unknown> {
    let pending = this.making.get(dir);
    if (pending === undefined) {
      pending = mkdir(dir, { recursive: true }).finally(() => this.making.delete(dir));
      this.making.set(dir, pending);
    }
    return pending;
  }

  async get(id: string, version: number, locator: string): Promise<Uint8Array> {
    const canonical = normalizeTicketId(id);
    const dir = this.versionDir(canonical, version);
    const bytes = await readIfExists(join(dir, `${checkLocator(locator)}.env`));
    if (bytes !== undefined) return new Uint8Array(bytes);
    const versions = await this.versions(canonical);
    const what =
      versions.length === 0
        ? `no ticket ${canonical} in the store`
        : !versions.includes(version)
          ? `ticket ${canonical} has no version ${version} in the store (it has ${versions.map((v) => `v${v}`).join(", ")})`
          : `ticket ${canonical} version ${version} has no envelope ${locator}`;
    throw new StoreError(what, {
      details: `store ${this.root}`,
      hint: "check the ticket ID and the store folder; a missing envelope can be fetched again from another replica",
    });
  }

  async list(id: string, version: number): Promise<string[]> {
    const dir = this.versionDir(id, version);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if (isErrno(error, "ENOENT")) return [];
      throw new StoreError(`cannot list ${dir}`, {
        details: (error as Error).message,
        cause: error,
      });
    }
    return names
      .filter((n) => n.endsWith(".env") && LOCATOR_PATTERN.test(n.slice(0, -4)))
      .map((n) => n.slice(0, -4))
      .sort();
  }

  async versions(id: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.ticketDir(id));
    } catch (error) {
      if (isErrno(error, "ENOENT")) return [];
      throw new StoreError(`cannot list ticket ${id}`, {
        details: (error as Error).message,
        cause: error,
      });
    }
    return names
      .filter((n) => /^v[1-9][0-9]{0,9}$/.test(n))
      .map((n) => Number(n.slice(1)))
      .sort((a, b) => a - b);
  }

  async lookup(locator: string): Promise<StoreLocation | undefined> {
    const bytes = await readIfExists(this.indexPath(locator));
    if (bytes === undefined) return undefined;
    try {
      const entry = JSON.parse(bytes.toString("utf8")) as { id: unknown; version: unknown };
      return { id: normalizeTicketId(entry.id), version: checkVersion(entry.version as number) };
    } catch {
      throw new StoreError(`the store index entry for locator ${locator} is corrupt`, {
        hint: `remove ${this.indexPath(locator)} and write the envelope again`,
      });
    }
  }

  async remove(id: string, version: number, locator: string): Promise<void> {
    const canonical = normalizeTicketId(id);
    await rm(join(this.versionDir(canonical, version), `${checkLocator(locator)}.env`), {
      force: true,
    });
    const indexed = await this.lookup(locator).catch(() => undefined);
    if (indexed === undefined || (indexed.id === canonical && indexed.version === version)) {
      await rm(this.indexPath(locator), { force: true });
    }
  }
}
