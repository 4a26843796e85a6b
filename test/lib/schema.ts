import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { expect } from "chai";

import { InputError, TicketValidationError } from "../../lib/errors.js";
import { readTradeFile } from "../../lib/ticket/file.js";
import { parseTrade, type Trade } from "../../lib/ticket/schema.js";
import { dvpTrade, fopTrade } from "./fixtures.js";

function issuesOf(json: unknown): string[] {
  try {
    parseTrade(json);
  } catch (error) {
    expect(error).to.be.instanceOf(TicketValidationError);
    return [...(error as TicketValidationError).issues];
  }
  return [];
}

describe("lib/ticket/schema", function () {
  let dvp: Trade;
  beforeEach(async () => {
    dvp = await dvpTrade();
  });
  const withField = (path: string, value: unknown): Record<string, unknown> => {
    const copy = structuredClone(dvp) as Record<string, unknown>;
    const parts = path.split(".");
    let at = copy as Record<string, unknown>;
    for (const p of parts.slice(0, -1)) at = at[p] as Record<string, unknown>;
    if (value === undefined) delete at[parts[parts.length - 1]];
    else at[parts[parts.length - 1]] = value;
    return copy;
  };
  const expectOnly = (json: unknown, issue: string) =>
    expect(issuesOf(json)).to.deep.equal([issue]);

  it("accepts the examples (DvP and free of payment)", async function () {
    expect(issuesOf(dvp)).to.deep.equal([]);
    expect(issuesOf(await fopTrade())).to.deep.equal([]);
  });

  it("is stable under key order", function () {
    const reversed = Object.fromEntries(Object.entries(dvp).reverse());
    expect(parseTrade(reversed)).to.deep.equal(parseTrade(dvp));
  });

  const valid: [string, unknown][] = [
    ["isin", "US0378331005"],
    ["isin", "JP3435000009"],
    ["deliveringAgent", "DEUTDEFFXXX"],
    ["tradeDate", "2024-02-29"],
    ["settlementDate", "2024-05-13"],
    ["quantity.amount", "0.5"],
    ["quantity.type", "FAMT"],
    ["senderReference", "A"],
    ["settlementAmount", { amount: "1234.56", currency: "USD" }],
    ["dealPrice", { type: "PRCT", amount: "101.25" }],
    ["placeOfTrade", undefined],
    ["commonReference", undefined],
    ["settlementParameters", { transactionType: "REPU", hold: true }],
    ["function", "PREA"],
  ];
  for (const [path, value] of valid) {
    it(`accepts ${path} = ${JSON.stringify(value)}`, function () {
      expect(issuesOf(withField(path, value))).to.deep.equal([]);
    });
  }

  const invalid: [string, unknown, string][] = [
    ["isin", "JP3633400000", 'isin: "JP3633400000" fails its check digit'],
    [
      "isin",
      "JP36334",
      'isin: "JP36334" is not an ISIN (2 letters, 9 letters or digits, 1 check digit)',
    ],
    ["isin", 3633400001, "isin: must be a string, not number 3633400001"],
    ["isin", undefined, "isin: is required"],
    [
      "deliveringAgent",
      "NOMU JPJT",
      'deliveringAgent: "NOMU JPJT" is not a BIC (8 or 11 upper-case letters and digits)',
    ],
    [
      "receivingAgent",
      "BOTKQQJT",
      'receivingAgent: "BOTKQQJT" is not a valid BIC (unknown country code)',
    ],
    ["receivingAgent", "NOMUJPJT", 'receivingAgent: "NOMUJPJT" is also the delivering agent'],
    [
      "placeOfSettlement",
      "JJSDJPJ",
      'placeOfSettlement: "JJSDJPJ" is not a BIC (8 or 11 upper-case letters and digits)',
    ],
    ["tradeDate", "2024-02-30", 'tradeDate: "2024-02-30" is not a calendar date'],
    ["tradeDate", "13/05/2024", 'tradeDate: "13/05/2024" is not an ISO date (YYYY-MM-DD)'],
    [
      "settlementDate",
      "2024-05-12",
      'settlementDate: "2024-05-12" is before the trade date "2024-05-13"',
    ],
    ["quantity.amount", "0", 'quantity.amount: "0" must be greater than zero'],
    [
      "quantity.amount",
      "-5",
      'quantity.amount: "-5" is not a decimal number as a string (digits, optional . and fraction)',
    ],
    [
      "quantity.amount",
      "1e3",
      'quantity.amount: "1e3" is not a decimal number as a string (digits, optional . and fraction)',
    ],
    ["quantity.amount", 1000, "quantity.amount: must be a string, not number 1000"],
    [
      "quantity.amount",
      "123456789012345",
      'quantity.amount: "123456789012345" has more than 14 digits',
    ],
    ["quantity.type", "SHAR", 'quantity.type: "SHAR" must be one of FAMT, UNIT'],
    [
      "settlementAmount.amount",
      "3405000.5",
      'settlementAmount.amount: "3405000.5" must be a whole number: JPY has no minor unit',
    ],
    [
      "settlementAmount.currency",
      "YEN",
      'settlementAmount.currency: "YEN" is not an ISO 4217 currency code',
    ],
    [
      "settlementAmount",
      undefined,
      "settlementAmount: is required when payment is APMT (against payment)",
    ],
    [
      "dealPrice.currency",
      undefined,
      "dealPrice.currency: is required when the price type is ACTU",
    ],
    [
      "dealPrice.type",
      "PRCT",
      "dealPrice.currency: must be absent when the price type is PRCT (a percentage)",
    ],
    ["payment", "DVP", 'payment: "DVP" must be one of APMT, FREE'],
    ["function", "NEW", 'function: "NEW" must be one of NEWM, CANC, PREA'],
    ["direction", undefined, "direction: is required"],
    [
      "senderReference",
      "/AM1",
      'senderReference: "/AM1" must not start or end with "/" or contain "//"',
    ],
    [
      "senderReference",
      "AM-2024-05-13-0001",
      'senderReference: "AM-2024-05-13-0001" must be 1 to 16 characters',
    ],
    [
      "senderReference",
      "AM_1",
      'senderReference: "AM_1" contains characters outside the SWIFT set',
    ],
    [
      "commonReference",
      "A//B",
      'commonReference: "A//B" must not start or end with "/" or contain "//"',
    ],
    ["safekeepingAccount", "", 'safekeepingAccount: "" must be 1 to 35 characters'],
    ["placeOfTrade", "TSE", 'placeOfTrade: "TSE" is not a 4-character MIC'],
    [
      "settlementParameters.transactionType",
      "BUY",
      'settlementParameters.transactionType: "BUY" must be one of TRAD, REPU, RVPO, SECB, SECL, BSBK, SBBK, COLI, COLO, PAIR, TURN, OWNI, OWNE, PORT, SUBS, REDM, ISSU, CORP, NETT, CLAI',
    ],
    [
      "settlementParameters.partialSettlement",
      "YES",
      'settlementParameters.partialSettlement: "YES" must be one of NPAR, PART, PARC, PARQ',
    ],
    ["settlementParameters.hold", "yes", 'settlementParameters.hold: must be a boolean, not "yes"'],
    ["quantity.extra", 1, "quantity.extra: is not a known field"],
    ["price", "1", "price: is not a known field"],
    ["instrumentDescription", " ", 'instrumentDescription: " " must be 1 to 140 characters'],
  ];
  for (const [path, value, issue] of invalid) {
    it(`refuses ${path} = ${JSON.stringify(value)}`, function () {
      expectOnly(withField(path, value), issue);
    });
  }

  it("refuses a settlement amount on a free-of-payment instruction", async function () {
    const fop = { ...(await fopTrade()), settlementAmount: { amount: "1", currency: "JPY" } };
    expectOnly(fop, "settlementAmount: must be absent when payment is FREE (free of payment)");
  });

  it("refuses what is not an object", function () {
    expectOnly([], "ticket: must be an object, not an array");
    expectOnly(null, "ticket: must be an object, not null");
  });

  it("lists every issue at once, one line each", async function () {
    let error: TicketValidationError | undefined;
    try {
      await readTradeFile("examples/invalid/bad-fields.json");
    } catch (e) {
      error = e as TicketValidationError;
    }
    expect(error).to.be.instanceOf(TicketValidationError);
    expect(error!.issues).to.deep.equal([
      'senderReference: "AM//20240513" must not start or end with "/" or contain "//"',
      'isin: "JP3633400000" fails its check digit',
      'quantity.amount: "0" must be greater than zero',
      'receivingAgent: "BOTK JPJT" is not a BIC (8 or 11 upper-case letters and digits)',
      'settlementDate: "2024-05-10" is before the trade date "2024-05-13"',
      'settlementAmount.amount: "3405000.5" must be a whole number: JPY has no minor unit',
    ]);
    expect(error!.oneLine()).to.match(/^senderReference: .* \(and 5 more\)/);
    expect(error!.details).to.include("examples/invalid/bad-fields.json");
  });

  describe("readTradeFile", function () {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), "sr-trade-"));
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    it("names the file and the JSON position of a syntax error", async function () {
      const path = join(dir, "broken.json");
      await writeFile(path, '{\n  "isin": "JP3633400001"\n  "function": "NEWM"\n}\n');
      try {
        await readTradeFile(path);
        expect.fail("no error");
      } catch (error) {
        expect(error).to.be.instanceOf(InputError);
        expect((error as InputError).shortMessage).to.equal(
          `${path}: not valid JSON at line 3, column 3`,
        );
      }
    });

    it("finds the position where V8 reports none (an unexpected token)", async function () {
      const path = join(dir, "token.json");
      await writeFile(path, '{\n  "senderReference": "AM-1",\n  "isin": ,\n}\n');
      const error = await readTradeFile(path).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(InputError);
      expect((error as InputError).shortMessage).to.equal(
        `${path}: not valid JSON at line 3, column 11`,
      );
    });

    it("names the file when it is missing, empty or a directory", async function () {
      const empty = join(dir, "empty.json");
      await writeFile(empty, "");
      for (const [path, message] of [
        [join(dir, "missing.json"), "no such file"],
        [dir, "is a directory"],
        [empty, "not valid JSON at line 1, column 1 (unexpected end)"],
      ]) {
        try {
          await readTradeFile(path);
          expect.fail("no error");
        } catch (error) {
          expect(error).to.be.instanceOf(InputError);
          expect((error as InputError).shortMessage).to.equal(`${path}: ${message}`);
        }
      }
    });
  });
});
