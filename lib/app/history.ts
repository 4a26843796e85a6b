/**
 * A ticket's history as the use cases show it: the chain's events, with each one-time address
 * named by the slot table of its version, and each return with the reasons read from its sealed
 * note and their meaning from the reason vocabulary.
 */
import type { HistoryEntry as ChainEntry } from "../chain/events.js";
import { describeReason } from "../reasons.js";

/** One reason of a return, as sealed (`QUALIFIER/CODE` or `QUALIFIER/SCHEME/CODE`). */
export interface ShownReason {
  qualifier: string;
  scheme?: string;
  code: string;
  meaning: string;
}

export type HistoryEntry =
  | Exclude<ChainEntry, { kind: "returned" }>
  | (Extract<ChainEntry, { kind: "returned" }> & {
      /** The reasons, when the reader could open the return's envelope. */
      reasons?: ShownReason[];
      /** The first reason's qualifier, code and meaning (for one-line displays). */
      qualifier?: string;
      reason?: string;
      meaning?: string;
    });

/** A sealed reason string split into its parts, with its meaning. */
export function shownReason(text: string): ShownReason {
  const parts = text.split("/");
  const [qualifier, scheme, code] =
    parts.length === 3 ? parts : [parts[0], undefined, parts[1] ?? ""];
  return {
    qualifier,
    ...(scheme === undefined ? {} : { scheme }),
    code,
    meaning: describeReason(qualifier, code, scheme),
  };
}

/** A return entry completed with its reasons. */
export function withReasons(
  entry: ChainEntry,
  reasons: readonly string[] | undefined,
): HistoryEntry {
  if (entry.kind !== "returned" || reasons === undefined || reasons.length === 0) return entry;
  const shown = reasons.map(shownReason);
  return {
    ...entry,
    reasons: shown,
    qualifier: shown[0].qualifier,
    reason: shown[0].code,
    meaning: shown[0].meaning,
  };
}

/** `NMAT/DDAT settlement date differs; PEND/MONY insufficient money` */
export function reasonsText(reasons: readonly ShownReason[]): string {
  return reasons
    .map(
      (r) => `${r.qualifier}/${r.scheme === undefined ? "" : `${r.scheme}/`}${r.code} ${r.meaning}`,
    )
    .join("; ");
}
