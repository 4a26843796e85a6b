/**
 * ISO 15022 field 24B / ISO 20022 sese.024 status reason codes that an approver can give when it
 * returns (NG) a ticket, grouped by status qualifier.
 */
import { InputError } from "./errors.js";

export const QUALIFIERS = {
  NMAT: "unmatched",
  PENF: "pending / failing",
  REJT: "rejected / repair",
} as const;
export type Qualifier = keyof typeof QUALIFIERS;

export const REASON_CODES: Record<Qualifier, Record<string, string>> = {
  NMAT: {
    CMIS: "no matching instruction found",
    DDAT: "settlement date differs",
    DQUA: "quantity differs",
    DSEC: "instrument differs",
    DEPT: "place of settlement differs",
    DELN: "direction (deliver/receive) differs",
    DDEA: "deal price differs",
    DMON: "settlement amount differs",
    NCRR: "settlement currency differs",
    IIND: "common reference differs",
    INVE: "investor differs",
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
  PENF: {
    LACK: "not enough securities",
    MONY: "not enough money",
    CLAC: "counterparty lacks securities",
    CMON: "counterparty lacks money",
    AWMO: "securities delivered, money awaited",
    AWSH: "securities awaited from counterparty",
    BLOC: "account blocked",
    SBLO: "securities blocked",
    CAIS: "awaiting a corporate action",
    PREA: "own instruction on hold",
    PRCY: "counterparty instruction on hold",
    BOTH: "both instructions on hold",
    LINK: "linked instruction pending",
    CYCL: "awaiting next settlement cycle",
    FUTU: "awaiting settlement date",
    NEWI: "new issue not yet available",
    DOCY: "documents awaited from you",
    DOCC: "documents awaited from counterparty",
  },
  REJT: {
    SAFE: "invalid safekeeping account",
    DSEC: "invalid instrument",
    DQUA: "invalid quantity",
    DDAT: "invalid settlement date",
    DTRD: "invalid trade date",
    DMON: "invalid settlement amount",
    NCRR: "invalid currency",
    DDEA: "invalid deal price",
    IIND: "invalid common reference",
    REFE: "duplicate reference",
    ULNK: "unknown linked reference",
    NRGN: "instruction not found",
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

/** When a code alone is given, the qualifier it most often travels with. */
const PREFERRED: readonly Qualifier[] = ["REJT", "PENF", "NMAT"];

export interface Reason {
  qualifier: Qualifier;
  code: string;
  meaning: string;
}

/**
 * Parses `CODE` or `QUALIFIER/CODE` (e.g. `MONY`, `NMAT/DDAT`), case-insensitively.
 * A code alone takes the qualifier that defines it (REJT first where several do).
 */
export function parseReason(input: string): Reason {
  const text = input.trim().toUpperCase();
  const parts = text.split("/");
  if (parts.length > 2 || parts.some((p) => !/^[A-Z]{4}$/.test(p))) {
    throw new InputError(`reason "${input}" is not a reason code`, {
      hint: "give a four-letter ISO code such as MONY, LACK or DDAT, or QUALIFIER/CODE such as NMAT/DDAT",
    });
  }
  if (parts.length === 2) {
    const [qualifier, code] = parts;
    if (!(qualifier in QUALIFIERS)) {
      throw new InputError(`reason qualifier "${qualifier}" is unknown`, {
        hint: `use one of ${Object.keys(QUALIFIERS).join(", ")}`,
      });
    }
    const meaning = REASON_CODES[qualifier as Qualifier][code];
    if (meaning === undefined) {
      throw new InputError(`reason code "${code}" is not an ISO ${qualifier} code`, {
        hint: `${qualifier} codes: ${Object.keys(REASON_CODES[qualifier as Qualifier]).join(", ")}`,
      });
    }
    return { qualifier: qualifier as Qualifier, code, meaning };
  }
  const code = parts[0];
  for (const qualifier of PREFERRED) {
    const meaning = REASON_CODES[qualifier][code];
    if (meaning !== undefined) return { qualifier, code, meaning };
  }
  throw new InputError(`reason code "${code}" is not an ISO 15022/20022 status reason code`, {
    hint: "e.g. MONY (not enough money), LACK (not enough securities), DDAT (settlement date), SAFE (account); see docs/errors.md",
  });
}

/** The meaning of a code under a qualifier, for display. */
export function describeReason(qualifier: string, code: string): string {
  return REASON_CODES[qualifier as Qualifier]?.[code] ?? "unknown code";
}
