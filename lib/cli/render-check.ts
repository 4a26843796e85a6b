/**
 * How a check looks on the approver's screen: the match table, the balance lines and the
 * proposed decision with every reason, on one screen.
 */
import Table from "cli-table3";

import type { CheckResult } from "../matching/check.js";
import type { RowStatus } from "../matching/match.js";
import { formatReason } from "../reasons.js";
import type { TicketView } from "../app/tickets.js";
import type { Output } from "./output.js";

const STATUS_WORDS: Record<RowStatus, string> = {
  match: "match",
  "within-tolerance": "within tolerance",
  mismatch: "MISMATCH",
  "not-compared": "not compared",
};

export function renderCheck(out: Output, view: TicketView, result: CheckResult): void {
  const c = out.colors;
  const { binding } = result;
  out.heading(
    `Check of ${binding.id} version ${binding.version} by ${result.party} (${result.instruction.side} instruction ${result.instruction.senderReference})`,
  );
  out.line(c.dim(`  ticket ${view.status}, verified against the on-chain commitments`));
  // One row per rule without separators, so that the whole check fits on one screen.
  const table = new Table({
    head: ["field", "ticket", "own", "result", "ISO code"].map((h) => c.bold(h)),
    style: { head: [], border: [], compact: true },
  });
  table.push(
    ...result.rows.map((r) => {
      const word = STATUS_WORDS[r.status];
      const status = r.note === undefined ? word : `${word} (${r.note})`;
      return [
        r.field,
        r.ticket ?? c.dim("–"),
        r.own ?? c.dim("–"),
        r.status === "mismatch"
          ? c.red(status)
          : r.status === "not-compared"
            ? c.dim(status)
            : c.green(status),
        r.status === "mismatch" ? c.red(`NMAT/${r.code}`) : c.dim(r.code),
      ];
    }),
  );
  out.line(table.toString());
  if (result.balances === undefined) {
    out.line(c.dim("  balances: no positions given, not checked"));
  } else {
    const b = result.balances;
    out.line(c.bold(`Balances (${b.source}, as of ${b.asOf})`));
    if (b.lines.length === 0) out.line(c.dim("  nothing to hold for this instruction"));
    for (const l of b.lines) {
      const verdict = l.sufficient
        ? c.green("OK")
        : c.red(`short: ${l.reason === undefined ? "" : `${l.reason.qualifier}/${l.reason.code}`}`);
      out.line(`  ${l.kind} ${l.what}: need ${l.required}, hold ${l.available}  ${verdict}`);
    }
  }
  out.line();
  if (result.proposal === "OK") {
    out.line(`${c.bold("Proposed:")} ${c.green("OK")}`);
  } else {
    out.line(`${c.bold("Proposed:")} ${c.red("NG")} with ${result.reasons.length} reason(s)`);
    for (const r of result.reasons) {
      out.line(`  ${c.red(formatReason(r))} ${r.meaning} — ${r.narrative}`);
    }
  }
}
