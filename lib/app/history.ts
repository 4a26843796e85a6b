/**
 * A ticket's history as the use cases show it: the chain's events, each return with the meaning
 * of its reason code from the reason vocabulary.
 */
import type { HistoryEntry as ChainEntry } from "../chain/events.js";
import { describeReason } from "../reasons.js";

export type HistoryEntry =
  | Exclude<ChainEntry, { kind: "returned" }>
  | (Extract<ChainEntry, { kind: "returned" }> & { meaning: string });

export function describeEntry(entry: ChainEntry): HistoryEntry {
  return entry.kind === "returned"
    ? { ...entry, meaning: describeReason(entry.qualifier, entry.reason) }
    : entry;
}
