/**
 * The checked approval, as a use case: a party opens and verifies the ticket (the one show
 * path), matches it with its own instruction and checks its positions; the result is bound to
 * the ticket key, the version and the trade commitment it was made for. Later, `--checked <file>`
 * gives the result back to approve or reject, and {@link loadCheckedResult} refuses one made for
 * another ticket, version, trade or party, so what was checked is what is decided.
 */
import { chmod, writeFile } from "node:fs/promises";

import { commitmentsByVersion, ticketHistory, type HistoryEntry } from "../chain/events.js";
import { formatReason, parseReasons } from "../reasons.js";
import { parseJsonText, readInputFile } from "../ticket/file.js";
import type { Trade } from "../ticket/schema.js";
import {
  checkResultJson,
  parseCheckResult,
  runCheck,
  verifyCheckBinding,
  type CheckBinding,
  type CheckResult,
} from "../matching/check.js";
import { CheckResultError } from "../matching/errors.js";
import { inferSide } from "../matching/match.js";
import type { PositionSource } from "../matching/positions.js";
import type { Side } from "../matching/rules.js";
import type { Actor, App } from "./context.js";
import {
  approveTicket,
  locateForActor,
  rejectTicket,
  showTicket,
  type DecisionResult,
  type TicketView,
} from "./tickets.js";

/** A check result file larger than this is refused before it is parsed (a real one is ~10 KB). */
export const MAX_CHECK_FILE_BYTES = 256 * 1024;

export interface CheckTicketInput {
  /** The party's own instruction for the trade (e.g. from `readInstructionFile`). */
  own: Trade;
  /** Its positions; without them only the match is checked (e.g. a CSD). */
  positions?: PositionSource;
  /** Whose instruction `own` is; by default inferred from the sender's reference. */
  side?: Side;
}

export interface TicketCheck {
  /** The ticket as it was opened and verified for the check. */
  view: TicketView;
  result: CheckResult;
}

/**
 * The trade commitment of `version`: the registration of that version (its `TicketCreated` or
 * `TicketRevised` event) in the ticket's history.
 */
function tradeCommitmentOf(history: HistoryEntry[], id: string, version: number): string {
  const record = commitmentsByVersion(history).get(version);
  if (record === undefined) {
    throw new CheckResultError(`no registration of version ${version} of ${id} found`, {
      hint: "the node may be out of sync; try another endpoint",
    });
  }
  return record.tradeCommitment;
}

/** What a check of `view` is bound to. */
export function bindingOf(view: TicketView): CheckBinding {
  return {
    id: view.id,
    ticketKey: view.ticketKey,
    version: view.version,
    tradeCommitment: tradeCommitmentOf(view.history, view.id, view.version),
  };
}

/**
 * Opens and verifies ticket `id` for `actor`, then checks it against the actor's own instruction
 * and positions. Throws `OtherTradeError` for an instruction of another trade and
 * `PositionError` for a bad balance; otherwise the result proposes OK or NG with every reason.
 */
export async function checkTicket(
  app: App,
  actor: Actor,
  id: string,
  input: CheckTicketInput,
): Promise<TicketCheck> {
  const view = await showTicket(app, actor, id);
  const result = await runCheck({
    binding: bindingOf(view),
    party: actor.party.name,
    trade: view.trade,
    own: input.own,
    side: input.side ?? inferSide(view.trade, input.own),
    positions: input.positions,
  });
  return { view, result };
}

/** Writes a check result as its canonical JSON, readable by its owner only (0600). */
export async function writeCheckResult(path: string, result: CheckResult): Promise<void> {
  try {
    await writeFile(path, `${checkResultJson(result)}\n`, { mode: 0o600 });
    // An existing file keeps its mode on write: make it the owner's only.
    await chmod(path, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CheckResultError(`${path}: cannot write the check result (${code ?? "error"})`, {
      hint: "give a file in a folder that exists and that you may write",
      cause: error,
    });
  }
}

/** Reads and validates a check result file, without checking what it is bound to. */
export async function readCheckResult(path: string): Promise<CheckResult> {
  const text = await readInputFile(path, {
    hint: "give the file that `ticket:check --out` wrote",
    maxBytes: MAX_CHECK_FILE_BYTES,
    what: "a check result",
    error: CheckResultError,
  });
  return parseCheckResult(parseJsonText(text, path), path);
}

/**
 * The check result in `file`, verified for deciding ticket `id` now as `actor`: made by this
 * party, for this ticket, its current version and the trade that version commits to. Throws a
 * {@link CheckResultError} (one line saying which) otherwise. Reads the chain, sends nothing.
 */
export async function loadCheckedResult(
  app: App,
  actor: Actor,
  id: string,
  file: string,
): Promise<CheckResult> {
  const result = await readCheckResult(file);
  const located = await locateForActor(app, actor, id);
  const onChain = await app.registry.ticket(located.key);
  const history = await ticketHistory(app.registry, located.key);
  verifyCheckBinding(result, {
    id: located.id,
    ticketKey: located.key,
    version: onChain.version,
    tradeCommitment: tradeCommitmentOf(history, located.id, onChain.version),
  });
  if (result.party !== actor.party.name) {
    throw new CheckResultError(
      `the check result was made by ${result.party}, not by ${actor.party.name}`,
      { hint: `run \`ticket:check --id ${located.id} --as ${actor.party.name}\` yourself` },
    );
  }
  return result;
}

/** `NMAT/DDAT, PEND/MONY` */
const codesOf = (result: CheckResult) => result.reasons.map(formatReason).join(", ");

/**
 * Approves ticket `id` on the version `checked` was made for (see {@link loadCheckedResult} or
 * {@link checkTicket}); refuses when the check proposes NG. The chain refuses a stale version.
 */
export async function approveChecked(
  app: App,
  actor: Actor,
  id: string,
  checked: CheckResult,
): Promise<DecisionResult> {
  if (checked.proposal === "NG") {
    throw new CheckResultError(`the check proposes NG (${codesOf(checked)})`, {
      hint: "reject with --checked, or approve without --checked to decide by hand",
    });
  }
  return approveTicket(app, actor, id, checked.binding.version);
}

export interface CheckedRejectInput {
  /** More reasons (`NMAT/DDAT,PEND/MONY`); required when the check proposes OK. */
  reason?: string;
  /** The note; by default the narratives of the check's reasons. */
  note?: string;
}

/**
 * Returns ticket `id` on the version `checked` was made for, with the check's reasons (and any
 * given in `input.reason`) sealed for the route. Refuses when the check proposes OK and no reason
 * is given.
 */
export async function rejectChecked(
  app: App,
  actor: Actor,
  id: string,
  checked: CheckResult,
  input: CheckedRejectInput = {},
): Promise<Awaited<ReturnType<typeof rejectTicket>>> {
  const given = input.reason?.trim() ?? "";
  const extra = given === "" ? [] : parseReasons(given);
  if (checked.proposal === "OK" && extra.length === 0) {
    throw new CheckResultError("the check proposes OK: there is no reason to return the ticket", {
      hint: "approve with --checked, or give --reason to return it anyway",
    });
  }
  const reasons = [...new Set([...checked.reasons, ...extra].map(formatReason))];
  const note =
    input.note === undefined || input.note.trim() === ""
      ? checked.reasons.map((r) => r.narrative).join("; ")
      : input.note;
  return rejectTicket(app, actor, id, {
    reason: reasons.join(","),
    note,
    version: checked.binding.version,
  });
}
