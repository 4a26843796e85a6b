/**
 * The durable outbox: one JSON file per (set, recipient) not yet accepted by the recipient's
 * store, in the sender's private data folder (files 0600 in 0700 folders: an entry names the
 * ticket key and the recipient, so it is as private as the party index). File names are a hash,
 * not the ticket key. Written to a temporary file, flushed, then renamed, so a crash leaves either
 * the old entry or the new one, never half of one.
 */
import { createHash, randomBytes } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";

import { getAddress } from "ethers";

import { StoreError } from "../errors.js";
import type { SetKind } from "../crypto/read-token.js";
import { PUSH_FORMAT, type PushV2 } from "../store/read-protocol.js";

export const OUTBOX_FORMAT = "sr-outbox/2";

export interface OutboxEntry {
  format: typeof OUTBOX_FORMAT;
  sender: string;
  recipient: string;
  kind: SetKind;
  ticketKey: string;
  version: number;
  /** The whole set, as pushed. */
  envelopes: PushV2["envelopes"];
  createdAt: string;
  attempts: number;
  lastAttemptAt?: string;
  lastError?: string;
  /** The store refused the set (4xx): retrying will not help until something changes. */
  refused?: boolean;
}

export function outboxDir(
  dataDir: string,
  chainId: bigint,
  registry: string,
  sender: string,
): string {
  return join(
    dataDir,
    "outbox",
    `${chainId}-${registry.slice(2, 10).toLowerCase()}`,
    getAddress(sender).toLowerCase(),
  );
}

export function entryName(
  e: Pick<OutboxEntry, "ticketKey" | "kind" | "version" | "recipient">,
): string {
  const what = `${e.ticketKey.toLowerCase()}|${e.kind}|${e.version}|${getAddress(e.recipient)}`;
  return `${createHash("sha256").update(what).digest("hex").slice(0, 32)}.json`;
}

/** The push of an entry; a return names its sender (`../store/server.ts` says why). */
export function pushBodyOf(e: OutboxEntry): PushV2 {
  return {
    format: PUSH_FORMAT,
    kind: e.kind,
    ticketKey: e.ticketKey,
    version: e.version,
    ...(e.kind === "return" ? { sender: e.sender } : {}),
    envelopes: e.envelopes,
  };
}

export class Outbox {
  constructor(readonly dir: string) {}

  /** Writes (or replaces) an entry atomically. */
  async save(entry: OutboxEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
    const target = join(this.dir, entryName(entry));
    const temp = join(this.dir, `.tmp-${randomBytes(8).toString("hex")}`);
    try {
      const handle = await open(temp, "wx", 0o600);
      try {
        await handle.writeFile(JSON.stringify(entry));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw new StoreError(`cannot write the outbox entry ${target}`, {
        details: (error as Error).message,
        hint: "check that the data folder is writable",
        cause: error,
      });
    }
  }

  async remove(entry: OutboxEntry): Promise<void> {
    await rm(join(this.dir, entryName(entry)), { force: true });
  }

  /** Every pending entry, oldest first. A corrupt file is reported, not skipped silently. */
  async list(): Promise<OutboxEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const out: OutboxEntry[] = [];
    for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
      const path = join(this.dir, name);
      let entry: OutboxEntry;
      try {
        entry = JSON.parse(await readFile(path, "utf8")) as OutboxEntry;
        if (entry.format !== OUTBOX_FORMAT) throw new Error(`format ${String(entry.format)}`);
      } catch (error) {
        throw new StoreError(`the outbox entry ${path} is unreadable`, {
          details: (error as Error).message,
          hint: "move it aside and re-deliver the ticket from a replica (store:recover on the recipient)",
        });
      }
      out.push(entry);
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }
}
