/**
 * The one reason vocabulary: ISO 15022 field 24B (MT548) / ISO 20022 sese.024 status reasons that
 * an approver gives when it returns (NG) a ticket, by status qualifier. The client, the matching
 * engine, the sese.024 builder, the docs and the dashboard all read this table.
 *
 * Checked against the sese.024 code sets (UnmatchedReason, PendingReason, FailingReason,
 * RejectionReason) and the MT548 24B code lists. `docs/matching.md` lists what was added and
 * what was dropped, and why.
 *
 * Field 24B is `:4!c/[8c]/4!c`: qualifier, optional data-source scheme, code. With a scheme the
 * code is the issuer's own (a CSD's proprietary code); without one it must be in this table.
 */
import { InputError } from "./errors.js";

export const QUALIFIERS = {
  NMAT: "unmatched",
  PEND: "pending (settlement still possible on the settlement date)",
  PENF: "failing (the settlement date has passed)",
  REJT: "rejected / repair",
} as const;
export type Qualifier = keyof typeof QUALIFIERS;

/** Causes of pending (PEND) and failing (PENF) settlement: the same list under both qualifiers. */
const PENDING_FAILING: Record<string, string> = {
  LACK: "not enough securities",
  MONY: "not enough money",
  CLAC: "counterparty lacks securities",
  CMON: "counterparty lacks money",
  AWMO: "securities delivered, money awaited",
  AWSH: "money delivered, securities awaited",
  BLOC: "account blocked",
  SBLO: "securities blocked",
  CAIS: "awaiting securities from a corporate action",
  PREA: "own instruction is a pre-advice or on hold",
  PRCY: "counterparty instruction is a pre-advice or on hold",
  BOTH: "both instructions on hold",
  LINK: "linked instruction pending",
  CYCL: "awaiting next settlement cycle",
  NEWI: "new issue not yet available",
  DOCY: "documents awaited from you",
  DOCC: "documents awaited from counterparty",
  LATE: "market deadline missed",
  ADEA: "account servicer's deadline missed",
  OTHR: "other (see narrative)",
};

export const REASON_CODES: Record<Qualifier, Readonly<Record<string, string>>> = {
  NMAT: {
    CMIS: "no matching instruction found",
    DDAT: "settlement date differs",
    DTRD: "trade date differs",
    DQUA: "quantity differs",
    DSEC: "instrument differs",
    DEPT: "place of settlement differs",
    DELN: "direction (deliver/receive) differs",
    DDEA: "deal price differs",
    DMON: "settlement amount differs",
    NCRR: "settlement currency differs",
    FRAP: "free vs against payment differs",
    ICAG: "counterparty's agent (depository participant) differs",
    ICUS: "client of party 1 differs",
    IEXE: "client of party 2 differs",
    SAFE: "safekeeping account differs",
    IIND: "common reference differs",
    PLCE: "place of trade differs",
    SETR: "settlement transaction type differs",
    SETS: "settlement system or method differs",
    PODU: "possible duplicate instruction",
    ACRU: "accrued interest differs",
    CPCA: "counterparty cancelled",
    CLAT: "counterparty too late for matching",
    LATE: "market deadline missed",
    ADEA: "account servicer's deadline missed",
    DTRA: "counterparty does not recognise the trade",
    NMAS: "matching not started",
    LEOG: "letter of guarantee differs",
    OTHR: "other (see narrative)",
  },
  // FUTU (awaiting the settlement date) exists only before that date: pending, never failing.
  PEND: { ...PENDING_FAILING, FUTU: "awaiting settlement date" },
  PENF: PENDING_FAILING,
  REJT: {
    SAFE: "invalid safekeeping account",
    DSEC: "invalid instrument",
    DQUA: "invalid quantity",
    DDAT: "invalid settlement date",
    DTRD: "invalid trade date",
    DMON: "invalid settlement amount",
    NCRR: "invalid currency",
    DDEA: "invalid deal price",
    DEPT: "invalid place of settlement (depository)",
    ICAG: "invalid agent (depository participant)",
    ICUS: "invalid client of party 1",
    IEXE: "invalid client of party 2",
    INVE: "invalid investor",
    IIND: "invalid common reference",
    REFE: "duplicate reference",
    SETR: "invalid settlement transaction type",
    SETS: "invalid settlement system or method",
    PHYS: "physical settlement impossible",
    PLCE: "invalid place of trade",
    CASH: "invalid cash account",
    RTGS: "RTGS system cannot be used",
    MINO: "below minimum settlement quantity",
    MUNO: "not a multiple of the settlement lot",
    LATE: "market deadline missed",
    ADEA: "account servicer's deadline missed",
    OTHR: "other (see narrative)",
  },
};

/** When a code alone is given, the qualifier it takes: the first that defines it. */
const PREFERRED: readonly Qualifier[] = ["REJT", "PEND", "NMAT"];

/** A data-source scheme (`8c`): 1 to 8 upper-case letters or digits, e.g. a CSD's short name. */
const SCHEME = /^[A-Z0-9]{1,8}$/;
/** A reason code (`4!c`). ISO codes are letters; proprietary ones may have digits. */
const CODE = /^[A-Z0-9]{4}$/;

export interface Reason {
  qualifier: Qualifier;
  code: string;
  meaning: string;
  /** Data-source scheme of a proprietary code (e.g. `JASDEC`); absent for an ISO code. */
  scheme?: string;
}

/** `QUALIFIER/CODE` or `QUALIFIER/SCHEME/CODE`, as in field 24B. */
export function formatReason(reason: Pick<Reason, "qualifier" | "code" | "scheme">): string {
  return reason.scheme === undefined
    ? `${reason.qualifier}/${reason.code}`
    : `${reason.qualifier}/${reason.scheme}/${reason.code}`;
}

function unknownQualifier(qualifier: string): InputError {
  return new InputError(`reason qualifier "${qualifier}" is unknown`, {
    hint: `use one of ${Object.keys(QUALIFIERS).join(", ")}`,
  });
}

/** The ISO reason `qualifier/code`; throws an {@link InputError} naming it when the table lacks it. */
export function isoReason(qualifier: string, code: string): Reason {
  if (!(qualifier in QUALIFIERS)) throw unknownQualifier(qualifier);
  const meaning = REASON_CODES[qualifier as Qualifier][code];
  if (meaning === undefined) {
    throw new InputError(`reason code "${code}" is not an ISO ${qualifier} code`, {
      hint: `${qualifier} codes: ${Object.keys(REASON_CODES[qualifier as Qualifier]).join(", ")}; a proprietary code needs its scheme, ${qualifier}/SCHEME/${code}`,
    });
  }
  return { qualifier: qualifier as Qualifier, code, meaning };
}

/** A proprietary code under a named data-source scheme, e.g. `REJT/JASDEC/X001`. */
export function proprietaryReason(qualifier: string, scheme: string, code: string): Reason {
  if (!(qualifier in QUALIFIERS)) throw unknownQualifier(qualifier);
  if (!SCHEME.test(scheme)) {
    throw new InputError(`data-source scheme "${scheme}" is not 1 to 8 letters or digits`, {
      hint: "name the issuer of the code, e.g. JASDEC in REJT/JASDEC/X001",
    });
  }
  if (!CODE.test(code)) {
    throw new InputError(`reason code "${code}" is not 4 letters or digits`, {
      hint: "field 24B codes are four characters, e.g. REJT/JASDEC/X001",
    });
  }
  return {
    qualifier: qualifier as Qualifier,
    code,
    scheme,
    meaning: `proprietary code of ${scheme}`,
  };
}

/**
 * Parses `CODE`, `QUALIFIER/CODE` or `QUALIFIER/SCHEME/CODE` (e.g. `MONY`, `NMAT/DDAT`,
 * `REJT/JASDEC/X001`), case-insensitively. A code alone takes the first of REJT, PEND, NMAT that
 * defines it, so `MONY` is `PEND/MONY`: an approver checks before the settlement date. Give
 * `PENF/MONY` once the date has passed.
 */
export function parseReason(input: string): Reason {
  const text = input.trim().toUpperCase();
  const parts = text.split("/");
  if (parts.length === 3) return proprietaryReason(parts[0], parts[1], parts[2]);
  if (parts.length > 3 || parts.some((p) => !/^[A-Z]{4}$/.test(p))) {
    throw new InputError(`reason "${input}" is not a reason code`, {
      hint: "give a four-letter ISO code such as MONY, LACK or DDAT, QUALIFIER/CODE such as NMAT/DDAT, or QUALIFIER/SCHEME/CODE for a proprietary code",
    });
  }
  if (parts.length === 2) return isoReason(parts[0], parts[1]);
  const code = parts[0];
  for (const qualifier of PREFERRED) {
    const meaning = REASON_CODES[qualifier][code];
    if (meaning !== undefined) return { qualifier, code, meaning };
  }
  throw new InputError(`reason code "${code}" is not an ISO 15022/20022 status reason code`, {
    hint: "e.g. MONY (not enough money), LACK (not enough securities), DDAT (settlement date), SAFE (account); see docs/matching.md",
  });
}

/** Several reasons, comma-separated (the standard repeats the reason block): `NMAT/DDAT,PEND/MONY`. */
export function parseReasons(input: string): Reason[] {
  const parts = input
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "");
  if (parts.length === 0) {
    throw new InputError("no reason code given", { hint: "e.g. NMAT/DDAT or PEND/MONY,NMAT/DDAT" });
  }
  const reasons = parts.map(parseReason);
  const seen = new Set<string>();
  for (const r of reasons) {
    const key = formatReason(r);
    if (seen.has(key)) throw new InputError(`reason ${key} is given twice`);
    seen.add(key);
  }
  return reasons;
}

/** The meaning of a code under a qualifier, for display. */
export function describeReason(qualifier: string, code: string, scheme?: string): string {
  if (scheme !== undefined) return `proprietary code of ${scheme}`;
  return REASON_CODES[qualifier as Qualifier]?.[code] ?? "unknown code";
}

/**
 * PEND before or on the settlement date (settlement still possible), PENF after it (failing).
 * Dates are ISO `YYYY-MM-DD`, so they compare as strings.
 */
export function pendingOrFailing(settlementDate: string, asOf: string): "PEND" | "PENF" {
  return asOf > settlementDate ? "PENF" : "PEND";
}
