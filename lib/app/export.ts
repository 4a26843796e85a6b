/**
 * A ticket's history as ISO 20022 status advices (sese.024): one per version that was decided,
 * OK when the route completed it, NG with its reasons when a route party returned it, with the
 * narrative the reading party can decrypt. A version still open, or cancelled, has no advice yet.
 */
import { buildSese024, type AdviceReason, type StatusAdvice } from "../iso20022/sese024.js";
import type { Qualifier } from "../reasons.js";
import type { Actor, App } from "./context.js";
import { showTicket, type TicketView } from "./tickets.js";

export type VersionAdvice =
  | {
      version: number;
      status: "OK" | "NG";
      /** The party that completed (last approver) or returned the version. */
      by: string;
      advice: StatusAdvice;
      /** The sese.024 message. */
      xml: string;
    }
  | {
      version: number;
      /** "returned" here: returned, but its sealed reasons could not be read. */
      status: "open" | "cancelled" | "returned";
      /** Why there is no advice. */
      note: string;
    };

type Entry = TicketView["history"][number];

/**
 * The reasons of a return, as its author sealed them for the route (the chain holds only their
 * commitment); none if the reader could not open the return's envelope.
 */
function reasonsOf(entry: Extract<Entry, { kind: "returned" }>): AdviceReason[] {
  return (entry.reasons ?? []).map((r) => ({
    qualifier: r.qualifier as Qualifier,
    code: r.code,
    ...(r.scheme === undefined ? {} : { scheme: r.scheme }),
  }));
}

/** The status advice of every version of `view`, oldest first. */
export function statusAdvices(view: TicketView): VersionAdvice[] {
  const advices: VersionAdvice[] = [];
  // Every advice carries the current version's sender's reference (the history holds no older trade).
  const senderReference = view.trade.senderReference;
  for (let version = 1; version <= view.version; version++) {
    const entries = view.history.filter((h) => h.version === version);
    const returned = entries.find((h) => h.kind === "returned");
    const completed = entries.some((h) => h.kind === "completed");
    const approvers = entries
      .filter((h) => h.kind === "approved")
      .map((h) => ("byName" in h && h.byName !== undefined ? h.byName : h.by));
    let advice: StatusAdvice;
    let by: string;
    if (returned !== undefined && returned.kind === "returned") {
      by = returned.byName ?? returned.by;
      const reasons = reasonsOf(returned);
      if (reasons.length === 0) {
        // An NG advice needs its reasons; the envelope that holds them did not open for this reader.
        advices.push({ version, status: "returned", note: returned.note ?? "reasons unreadable" });
        continue;
      }
      const note = returned.note === undefined ? "" : `: ${returned.note}`;
      advice = {
        senderReference,
        ticketId: view.id,
        status: "NG",
        reasons,
        narrative: `Version ${version} returned by ${by} at step ${returned.step + 1}${note}`,
      };
    } else if (completed) {
      by = approvers.at(-1) ?? "";
      advice = {
        senderReference,
        ticketId: view.id,
        status: "OK",
        reasons: [],
        narrative: `Version ${version} approved by ${approvers.join(", ")}`,
      };
    } else {
      const cancelled = entries.some((h) => h.kind === "cancelled");
      advices.push({
        version,
        status: cancelled ? "cancelled" : "open",
        note: cancelled
          ? "cancelled by the originator before the route decided"
          : "the route has not decided yet",
      });
      continue;
    }
    advices.push({ version, status: advice.status, by, advice, xml: buildSese024(advice) });
  }
  return advices;
}

/** Opens and verifies ticket `id` for `actor` and gives the status advice of each version. */
export async function exportStatusAdvices(
  app: App,
  actor: Actor,
  id: string,
): Promise<{ view: TicketView; advices: VersionAdvice[] }> {
  const view = await showTicket(app, actor, id);
  return { view, advices: statusAdvices(view) };
}
