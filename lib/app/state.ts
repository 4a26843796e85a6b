/**
 * A party's small local state (ticket index, watch cursor, create journal): JSON files written
 * atomically (temp file, fsync, rename) so that a crash leaves either the old or the new content,
 * and readable by their owner only (0600): the index maps ticket IDs to their on-chain keys and
 * the journal holds a ticket's secret.
 */
import { open, readFile, rename, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";

import { StoreError } from "../errors.js";

export async function readJson<T>(path: string, fallback: T): Promise<T> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return fallback;
    throw new StoreError(`cannot read ${path}`, { details: (e as Error).message, cause: e });
  }
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new StoreError(`local state file ${path} is corrupt`, {
      hint: "delete it; it is rebuilt from the chain",
      cause,
    });
  }
}

export async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(JSON.stringify(value, null, 2) + "\n");
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
