/** Each file in examples/invalid/ for the check gives its one line, naming what is wrong. */
import { expect } from "chai";

import { describeError, InputError } from "../../lib/errors.js";
import { readInstructionFile } from "../../lib/iso20022/instruction.js";
import { matchInstruction } from "../../lib/matching/match.js";
import { readPositionFile } from "../../lib/matching/positions.js";
import { EXAMPLES, scenario } from "./fixtures.js";

async function lineOf(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (error) {
    expect(error).to.be.instanceOf(InputError);
    return describeError(error);
  }
  return expect.fail("expected an InputError");
}

describe("the invalid examples for the check", function () {
  it("positions-negative.json", async function () {
    expect(
      await lineOf(() => readPositionFile(`${EXAMPLES}invalid/positions-negative.json`)),
    ).to.match(
      /positions-negative\.json: cash\.JPY: "-3405000" is negative — balances are non-negative decimal strings/,
    );
  });

  it("other-trade.json", async function () {
    const { ticket } = await scenario();
    const { trade } = await readInstructionFile(`${EXAMPLES}invalid/other-trade.json`);
    expect(await lineOf(async () => matchInstruction(ticket, trade, "counterparty"))).to.equal(
      "instruction NMR-240520-0107 is for another trade than the ticket (AM-20240513-001) " +
        "(ISIN JP3435000009 instead of JP3633400001, and the trade date, quantity, settlement amount, common reference differ) " +
        "— give your instruction for this trade",
    );
  });

  it("sese023-unsupported-element.xml", async function () {
    expect(
      await lineOf(() => readInstructionFile(`${EXAMPLES}invalid/sese023-unsupported-element.xml`)),
    ).to.match(
      /sese023-unsupported-element\.xml: SctiesSttlmTxInstr\/Lnkgs: unsupported element: the ticket has no field for it/,
    );
  });

  it("sese023-jpy-decimals.xml", async function () {
    expect(
      await lineOf(() => readInstructionFile(`${EXAMPLES}invalid/sese023-jpy-decimals.xml`)),
    ).to.match(
      /sese023-jpy-decimals\.xml: SctiesSttlmTxInstr\/SttlmAmt\/Amt: 3405000\.5 has more decimals than JPY allows \(0\) — write the amount with at most 0 decimals/,
    );
  });
});
