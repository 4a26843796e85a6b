/**
 * How tickets look on a party's screen.
 */
import type { TicketView } from "../app/tickets.js";
import { reasonsText } from "../app/history.js";
import type { InboxRow } from "../app/watch.js";
import type { Output } from "./output.js";
import type { RecipientRole } from "../ticket/route.js";

const STATUS_WORDS: Record<string, string> = {
  open: "open",
  returned: "RETURNED",
  completed: "completed",
  cancelled: "cancelled",
};

export function renderTicket(out: Output, view: TicketView): void {
  const c = out.colors;
  const status =
    view.status === "returned"
      ? c.red(STATUS_WORDS.returned)
      : view.status === "completed"
        ? c.green(STATUS_WORDS.completed)
        : (STATUS_WORDS[view.status] ?? view.status);
  out.heading(`Ticket ${view.id}  version ${view.version}  ${status}`);
  const t = view.trade as Record<string, unknown>;
  const rows: Array<[string, string]> = [];
  const flat = (prefix: string, value: unknown): void => {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value as Record<string, unknown>))
        flat(prefix === "" ? k : `${prefix}.${k}`, v);
    } else {
      rows.push([prefix, Array.isArray(value) ? value.join(", ") : String(value)]);
    }
  };
  flat("", t);
  out.fields(rows);
  out.line(c.dim(`  verified against the on-chain commitments of version ${view.version}`));
  out.line();
  out.line(c.bold("Route"));
  out.table(
    ["step", "party", "address", "state"],
    [
      ["–", `${view.originator.name} (originator)`, view.originator.address, "registered"],
      ...view.route.map((s) => [
        String(s.step + 1),
        s.party.name,
        s.party.address,
        s.state === "waiting"
          ? c.yellow("waiting")
          : s.state === "returned"
            ? c.red("returned (NG)")
            : s.state === "approved"
              ? c.green("approved (OK)")
              : s.state,
      ]),
    ],
  );
  out.line(c.bold("History"));
  out.table(
    ["block", "event"],
    view.history.map((h) => [String(h.block), describeHistory(h)]),
  );
}

export function describeHistory(h: TicketView["history"][number]): string {
  const by = (name: string | undefined) => name ?? "a route party you cannot name";
  switch (h.kind) {
    case "created":
      return `created by ${h.byName} (version 1)`;
    case "approved":
      return `v${h.version} approved (OK) by ${by(h.byName)} at step ${h.step + 1}`;
    case "completed":
      return `v${h.version} completed`;
    case "returned": {
      const why = h.reasons === undefined ? "" : `: ${reasonsText(h.reasons)}`;
      const note = h.note === undefined ? "" : ` — "${h.note}"`;
      return `v${h.version} returned (NG) by ${by(h.byName)} at step ${h.step + 1}${why}${note}`;
    }
    case "revised":
      return `revised: version ${h.version}, approvals restart`;
    case "cancelled":
      return `v${h.version} cancelled`;
  }
}

/** The word people read for each role (the library says "route"; the CLI says "approver"). */
export const ROLE_LABEL: Record<RecipientRole, string> = {
  originator: "originator",
  route: "approver",
};

/** Inbox rows as the CLI shows and prints them, roles in people's words. */
export function labelRoles(rows: InboxRow[]): Array<Omit<InboxRow, "role"> & { role: string }> {
  return rows.map((r) => ({ ...r, role: ROLE_LABEL[r.role] }));
}

export function renderInbox(out: Output, rows: InboxRow[]): void {
  out.table(
    ["ticket", "my role", "status", "version", "waiting for"],
    rows.map((r) => [
      r.id ?? out.colors.dim(`(envelope not found) ${r.ticketKey.slice(0, 10)}…`),
      ROLE_LABEL[r.role],
      r.status,
      String(r.version),
      r.waitingFor === undefined ? "" : r.myTurn ? out.colors.yellow("you") : r.waitingFor.name,
    ]),
  );
}
