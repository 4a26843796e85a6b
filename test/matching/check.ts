import { expect } from "chai";

import {
  checkDigest,
  checkResultJson,
  parseCheckResult,
  runCheck,
  verifyCheckBinding,
  type CheckBinding,
} from "../../lib/matching/check.js";
import { CheckResultError } from "../../lib/matching/errors.js";
import { readPositionFile, type PositionSource } from "../../lib/matching/positions.js";
import type { Side } from "../../lib/matching/rules.js";
import type { Trade } from "../../lib/ticket/schema.js";
import { EXAMPLES, positions, scenario, varied, type Scenario } from "./fixtures.js";

const BINDING: CheckBinding = {
  id: "T-7KQ4-M2XD-9PWA",
  ticketKey: "0x" + "ab".repeat(32),
  version: 2,
  tradeCommitment: "0x" + "cd".repeat(32),
};

describe("the check: match, balances, proposed decision", function () {
  let s: Scenario;
  before(async function () {
    s = await scenario();
  });

  /** The check of `own` against the scenario ticket by `party`. */
  const check = (party: string, own: Trade, side: Side, positions?: PositionSource) =>
    runCheck({ binding: BINDING, party, trade: s.ticket, own, side, positions });
  const filePositions = (party: string) => readPositionFile(`${EXAMPLES}positions/${party}.json`);

  it("custodian: matches, enough cash, proposes OK", async function () {
    const result = await check(
      "custodian-bank",
      s.custodian,
      "same-side",
      await filePositions("custodian-bank"),
    );
    expect(result.proposal).to.equal("OK");
    expect(result.reasons).to.deep.equal([]);
    expect(result.matched).to.equal(true);
    expect(result.balances?.sufficient).to.equal(true);
  });

  it("securities firm: matches, enough securities, proposes OK", async function () {
    const result = await check(
      "securities-firm",
      s.securitiesFirm,
      "counterparty",
      await filePositions("securities-firm"),
    );
    expect(result.proposal).to.equal("OK");
  });

  it("CSD: proposes NG with NMAT/DDAT from the real mismatch, no balances", async function () {
    const result = await check("csd", s.csd, "counterparty");
    expect(result.proposal).to.equal("NG");
    expect(result.balances).to.equal(undefined);
    expect(result.reasons).to.deep.equal([
      {
        qualifier: "NMAT",
        code: "DDAT",
        meaning: "settlement date differs",
        fields: ["settlementDate"],
        narrative: "settlementDate: ticket 2024-05-15, ours 2024-05-16",
      },
    ]);
  });

  it("gives every reason: a mismatch and a cash shortfall together, one block per code", async function () {
    const own = varied(s.custodian, {
      settlementDate: "2024-05-16",
      deliveringAgent: "MHCBJPJT",
      receivingAgent: "SMBCJPJT",
    });
    const result = await check(
      "custodian-bank",
      own,
      "same-side",
      positions({ cash: { JPY: "1000000" } }),
    );
    expect(result.proposal).to.equal("NG");
    expect(result.reasons.map((r) => `${r.qualifier}/${r.code}`)).to.deep.equal([
      "NMAT/DDAT",
      "NMAT/ICAG",
      "PEND/MONY",
    ]);
    expect(result.reasons[1].fields).to.deep.equal(["deliveringAgent", "receivingAgent"]);
    expect(result.reasons[2].narrative).to.equal("JPY: need 3405000, hold 1000000 (short 2405000)");
  });

  it("has a canonical JSON form that parses back to the same result and digest", async function () {
    const result = await check("csd", s.csd, "counterparty");
    const json = checkResultJson(result);
    const back = parseCheckResult(JSON.parse(json));
    expect(checkResultJson(back)).to.equal(json);
    expect(checkDigest(back))
      .to.equal(checkDigest(result))
      .and.to.match(/^0x[0-9a-f]{64}$/);
  });

  describe("a result passed back is refused when it is not for this decision", function () {
    let json: unknown;
    before(async function () {
      const result = await check("csd", s.csd, "counterparty");
      json = JSON.parse(checkResultJson(result));
    });

    it("accepts the same ticket, version and trade (hex case aside)", function () {
      verifyCheckBinding(parseCheckResult(json), {
        ...BINDING,
        ticketKey: BINDING.ticketKey.toUpperCase().replace("0X", "0x"),
      });
    });

    it("another ticket", function () {
      expect(() =>
        verifyCheckBinding(parseCheckResult(json), {
          ...BINDING,
          id: "T-0000-0000-0000",
          ticketKey: "0x" + "11".repeat(32),
        }),
      ).to.throw(
        CheckResultError,
        "the check result is for ticket T-7KQ4-M2XD-9PWA, not T-0000-0000-0000",
      );
    });

    it("another version", function () {
      expect(() => verifyCheckBinding(parseCheckResult(json), { ...BINDING, version: 3 })).to.throw(
        CheckResultError,
        "the check result is for version 2 of T-7KQ4-M2XD-9PWA; the current version is 3",
      );
    });

    it("another trade under the same version", function () {
      expect(() =>
        verifyCheckBinding(parseCheckResult(json), {
          ...BINDING,
          tradeCommitment: "0x" + "ee".repeat(32),
        }),
      ).to.throw(CheckResultError, /made for another trade than version 2/);
    });

    it("an edited result: OK with reasons, an unknown member, a bad key", function () {
      const edited = structuredClone(json) as Record<string, unknown>;
      edited.proposal = "OK";
      expect(() => parseCheckResult(edited, "c.json")).to.throw(
        CheckResultError,
        "c.json: proposal OK disagrees with its 1 reasons",
      );
      expect(() => parseCheckResult({ ...(json as object), extra: 1 }, "c.json")).to.throw(
        CheckResultError,
        /c\.json: result: Unrecognized key/,
      );
      const badKey = structuredClone(json) as { binding: { ticketKey: string } };
      badKey.binding.ticketKey = "0x12";
      expect(() => parseCheckResult(badKey, "c.json")).to.throw(
        CheckResultError,
        /c\.json: binding\.ticketKey: must be 0x and 64/,
      );
    });
  });
});
