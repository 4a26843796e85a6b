/**
 * The status advices of a ticket's history (`statusAdvices`): a return's several sealed reasons,
 * ISO and proprietary, in one NG advice; a return whose envelope did not open gives no advice.
 */
import { expect } from "chai";

import { statusAdvices } from "../../lib/app/export.js";
import { shownReason } from "../../lib/app/history.js";
import type { TicketView } from "../../lib/app/tickets.js";
import { parseSese024 } from "../../lib/iso20022/sese024.js";

const ZERO = `0x${"00".repeat(32)}`;
const place = (block: number) => ({ block, tx: ZERO, logIndex: 0 });
const registered = {
  tradeCommitment: ZERO,
  envelopeCommitment: ZERO,
  route: [],
  ephemeralKey: ZERO,
  viewTags: "0x0000000000000000",
};
const returned = (version: number, reasons?: string[], note?: string) => {
  const shown = reasons?.map(shownReason);
  return {
    kind: "returned" as const,
    ...place(version * 10 + 1),
    by: "0x0000000000000000000000000000000000000001",
    byName: "csd",
    version,
    step: 2,
    reasonCommitment: ZERO,
    note,
    ...(shown === undefined ? {} : { reasons: shown }),
  };
};

function view(history: TicketView["history"], version: number): TicketView {
  return {
    id: "T-7KQ4-M2XD-9PWA",
    version,
    trade: { senderReference: "AM-20240513-001" },
    history,
  } as unknown as TicketView;
}

describe("app: status advices of a ticket's history", function () {
  it("gives a return's several reasons, ISO and proprietary, in one NG advice", function () {
    const [advice] = statusAdvices(
      view(
        [
          { kind: "created", ...place(1), by: ZERO, version: 1, ...registered },
          returned(1, ["NMAT/DDAT", "PEND/MONY", "REJT/JASDEC/X001"], "settles on 2024-05-16"),
        ],
        1,
      ),
    );
    expect(advice.status).to.equal("NG");
    if (!("xml" in advice)) throw new Error("no advice");
    const parsed = parseSese024(advice.xml);
    // In the order of the status blocks: processing, matching, settlement.
    expect(parsed.reasons.map((r) => [r.qualifier, r.scheme, r.code])).to.deep.equal([
      ["REJT", "JASDEC", "X001"],
      ["NMAT", undefined, "DDAT"],
      ["PEND", undefined, "MONY"],
    ]);
    expect(parsed.reasons[1].narrative).to.equal(
      "Version 1 returned by csd at step 3: settles on 2024-05-16",
    );
  });

  it("gives no advice for a return whose reasons could not be read, and says why", function () {
    const advices = statusAdvices(
      view(
        [
          { kind: "created", ...place(1), by: ZERO, version: 1, ...registered },
          returned(1, undefined, "(reasons unreadable: damaged envelope)"),
          { kind: "revised", ...place(20), version: 2, ...registered },
        ],
        2,
      ),
    );
    expect(advices).to.deep.equal([
      { version: 1, status: "returned", note: "(reasons unreadable: damaged envelope)" },
      { version: 2, status: "open", note: "the route has not decided yet" },
    ]);
  });
});
