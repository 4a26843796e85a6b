/**
 * The check: a party's own instruction matched with the ticket it decrypted and verified, its
 * positions checked, and a proposed decision — OK, or NG with every reason found.
 *
 * A result is plain data with a canonical JSON form (RFC 8785), bound to the ticket key, the
 * version and the trade commitment it was made for: passed back to approve or reject, a result
 * made for another ticket, version or trade is refused ({@link verifyCheckBinding}), so what was
 * checked is what is decided.
 */
import { createHash } from "node:crypto";

import * as z from "zod";

import { canonicalJson } from "../crypto/canonical.js";
import { QUALIFIERS } from "../reasons.js";
import { isCanonicalTicketId } from "../ticket/id.js";
import type { Trade } from "../ticket/schema.js";
import { checkBalances, shortfall, type BalanceReport } from "./balance.js";
import { CheckResultError } from "./errors.js";
import { matchInstruction, type MatchRow } from "./match.js";
import type { PositionSource } from "./positions.js";
import { SIDES, type Side } from "./rules.js";

export const CHECK_FORMAT = "sr-check/1";
/** sese.024 `AddtlRsnInf` is Max210Text: a reason's narrative is cut to fit. */
export const MAX_REASON_NARRATIVE = 210;

/** What a check is bound to: the ticket, its version and the trade that version commits to. */
export interface CheckBinding {
  readonly id: string;
  /** 0x-hex 32-byte on-chain ticket key. */
  readonly ticketKey: string;
  readonly version: number;
  /** 0x-hex 32-byte trade commitment of that version. */
  readonly tradeCommitment: string;
}

export interface CheckReason {
  readonly qualifier: keyof typeof QUALIFIERS;
  readonly code: string;
  readonly meaning: string;
  /** The ticket fields or positions it concerns. */
  readonly fields: readonly string[];
  /** One line for the reader of the status advice, at most 210 characters. */
  readonly narrative: string;
}

export interface CheckResult {
  readonly format: typeof CHECK_FORMAT;
  readonly binding: CheckBinding;
  /** Who checked, as the caller names the party (e.g. `custodian-bank`). */
  readonly party: string;
  readonly instruction: { readonly senderReference: string; readonly side: Side };
  readonly matched: boolean;
  readonly rows: readonly MatchRow[];
  /** Absent when no positions were given (e.g. a CSD checks the match only). */
  readonly balances?: BalanceReport;
  readonly proposal: "OK" | "NG";
  readonly reasons: readonly CheckReason[];
}

export interface CheckInput {
  readonly binding: CheckBinding;
  readonly party: string;
  /** The ticket's trade, as decrypted and verified. */
  readonly trade: Trade;
  /** The party's own instruction for the trade. */
  readonly own: Trade;
  readonly side: Side;
  readonly positions?: PositionSource;
}

function cut(text: string): string {
  return text.length <= MAX_REASON_NARRATIVE ? text : `${text.slice(0, MAX_REASON_NARRATIVE - 1)}…`;
}

/**
 * Runs the check. Throws `OtherTradeError` when `own` is for another trade, `PositionError` when
 * the positions give a bad balance; otherwise returns OK or NG with every reason.
 */
export async function runCheck(input: CheckInput): Promise<CheckResult> {
  const report = matchInstruction(input.trade, input.own, input.side);
  const balances =
    input.positions === undefined ? undefined : await checkBalances(input.own, input.positions);

  // One reason block per code (the standard repeats the block per reason, not per field): two
  // differing agents are one ICAG naming both fields.
  const byCode = new Map<
    string,
    {
      qualifier: CheckReason["qualifier"];
      code: string;
      meaning: string;
      fields: string[];
      parts: string[];
    }
  >();
  const add = (
    qualifier: CheckReason["qualifier"],
    code: string,
    meaning: string,
    field: string,
    part: string,
  ) => {
    const key = `${qualifier}/${code}`;
    const entry = byCode.get(key) ?? { qualifier, code, meaning, fields: [], parts: [] };
    entry.fields.push(field);
    entry.parts.push(part);
    byCode.set(key, entry);
  };
  for (const m of report.mismatches) {
    add(m.qualifier, m.code, m.meaning, m.field, `${m.field}: ticket ${m.ticket}, ours ${m.own}`);
  }
  for (const line of balances?.lines ?? []) {
    if (line.reason === undefined) continue;
    add(
      line.reason.qualifier,
      line.reason.code,
      line.reason.meaning,
      line.kind === "cash" ? `cash.${line.what}` : `securities.${line.what}`,
      `${line.what}: need ${line.required}, hold ${line.available} (short ${shortfall(line)})`,
    );
  }
  const reasons: CheckReason[] = [...byCode.values()].map((r) => ({
    qualifier: r.qualifier,
    code: r.code,
    meaning: r.meaning,
    fields: r.fields,
    narrative: cut(r.parts.join("; ")),
  }));
  return {
    format: CHECK_FORMAT,
    binding: {
      ...input.binding,
      ticketKey: input.binding.ticketKey.toLowerCase(),
      tradeCommitment: input.binding.tradeCommitment.toLowerCase(),
    },
    party: input.party,
    instruction: { senderReference: input.own.senderReference, side: input.side },
    matched: report.matched,
    rows: report.rows,
    ...(balances === undefined ? {} : { balances }),
    proposal: reasons.length === 0 ? "OK" : "NG",
    reasons,
  };
}

/** The canonical JSON text (RFC 8785) of a result: what is written to a file and hashed. */
export function checkResultJson(result: CheckResult): string {
  return canonicalJson(result);
}

/** SHA-256 of the canonical JSON, 0x-hex: names one exact result (e.g. in an approval note). */
export function checkDigest(result: CheckResult): string {
  return "0x" + createHash("sha256").update(checkResultJson(result)).digest("hex");
}

const Hex32 = z.string().regex(/^0x[0-9a-f]{64}$/, "must be 0x and 64 lower-case hex digits");
const Qualifier = z.enum(
  Object.keys(QUALIFIERS) as [keyof typeof QUALIFIERS, ...(keyof typeof QUALIFIERS)[]],
);
const Row = z.strictObject({
  field: z.string(),
  tag: z.string(),
  ticket: z.string().optional(),
  own: z.string().optional(),
  status: z.enum(["match", "within-tolerance", "mismatch", "not-compared"]),
  code: z.string(),
  note: z.string().optional(),
});
const Balances = z.strictObject({
  source: z.string(),
  asOf: z.string(),
  sufficient: z.boolean(),
  lines: z.array(
    z.strictObject({
      kind: z.enum(["cash", "securities"]),
      what: z.string(),
      required: z.string(),
      available: z.string(),
      sufficient: z.boolean(),
      reason: z
        .strictObject({
          qualifier: z.enum(["PEND", "PENF"]),
          code: z.enum(["MONY", "LACK"]),
          meaning: z.string(),
        })
        .optional(),
    }),
  ),
});
const CheckResultSchema = z.strictObject({
  format: z.literal(CHECK_FORMAT),
  binding: z.strictObject({
    id: z.string().refine(isCanonicalTicketId, "must be a canonical ticket ID"),
    ticketKey: Hex32,
    version: z.number().int().positive(),
    tradeCommitment: Hex32,
  }),
  party: z.string().min(1),
  instruction: z.strictObject({
    senderReference: z.string(),
    side: z.enum(SIDES as [Side, ...Side[]]),
  }),
  matched: z.boolean(),
  rows: z.array(Row),
  balances: Balances.optional(),
  proposal: z.enum(["OK", "NG"]),
  reasons: z.array(
    z.strictObject({
      qualifier: Qualifier,
      code: z.string().regex(/^[A-Z0-9]{4}$/),
      meaning: z.string(),
      fields: z.array(z.string()),
      narrative: z.string().max(MAX_REASON_NARRATIVE),
    }),
  ),
});

/**
 * Validates a parsed check result (e.g. from `--checked <file>`); throws a
 * {@link CheckResultError} naming the first bad member. It does not check what the result is
 * bound to: call {@link verifyCheckBinding} with the ticket being decided.
 */
export function parseCheckResult(json: unknown, source = "check result"): CheckResult {
  const parsed = CheckResultSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join(".") || "result";
    throw new CheckResultError(`${source}: ${path}: ${issue.message}`, {
      hint: "pass the file that the check wrote, unchanged",
    });
  }
  const result = parsed.data as CheckResult;
  if ((result.proposal === "OK") !== (result.reasons.length === 0)) {
    throw new CheckResultError(
      `${source}: proposal ${result.proposal} disagrees with its ${result.reasons.length} reasons`,
      {
        hint: "pass the file that the check wrote, unchanged",
      },
    );
  }
  return result;
}

/**
 * Refuses a result made for another ticket, another version or another trade than `expected`
 * (the ticket being approved or rejected, as read from the chain).
 */
export function verifyCheckBinding(result: CheckResult, expected: CheckBinding): void {
  const got = result.binding;
  const hint = "run the check again on the current version, then decide";
  if (got.ticketKey !== expected.ticketKey.toLowerCase() || got.id !== expected.id) {
    throw new CheckResultError(`the check result is for ticket ${got.id}, not ${expected.id}`, {
      hint,
    });
  }
  if (got.version !== expected.version) {
    throw new CheckResultError(
      `the check result is for version ${got.version} of ${got.id}; the current version is ${expected.version}`,
      { hint },
    );
  }
  if (got.tradeCommitment !== expected.tradeCommitment.toLowerCase()) {
    throw new CheckResultError(
      `the check result was made for another trade than version ${expected.version} of ${got.id} commits to`,
      { hint },
    );
  }
}
