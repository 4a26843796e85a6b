/**
 * The dashboard's port over lib/app, without a chain: how the library's typed errors become the
 * answers the page shows (kind, HTTP status, the field each problem concerns).
 */
import { expect } from "chai";

import {
  ChainError,
  ContractError,
  InputError,
  NotAPartyError,
  TicketValidationError,
} from "../../lib/errors.js";
import { toPortError } from "../../web/server/adapter.js";
import { PortError } from "../../web/server/port.js";

const port = (error: unknown) => toPortError(error) as PortError;

describe("dashboard port errors", function () {
  it("says a decision the chain refused for its version is stale, naming the version", function () {
    const e = port(
      new ContractError(
        "ticket T-7KQ4-M2XD-9PWA is at version 2 now, not 1: re-open it (ticket:show) and decide on version 2",
        "SettlementRegistryStaleVersion",
      ),
    );
    expect(e.kind).to.equal("stale");
    expect(e.message).to.include("version 2 now, not 1");
  });

  it("keeps other refusals of the registry as not allowed", function () {
    const e = port(new ContractError("not your turn yet", "SettlementRegistryNotNextApprover"));
    expect(e.kind).to.equal("not-allowed");
  });

  it("puts each trade problem on its field, in the library's words", function () {
    const e = port(
      new TicketValidationError([
        'isin: "JP3633400000" fails its check digit',
        'settlementAmount.currency: "JPX" is not an ISO 4217 currency code',
      ]),
    );
    expect(e.kind).to.equal("invalid");
    expect(e.fields).to.deep.equal({
      isin: ['"JP3633400000" fails its check digit'],
      "settlementAmount.currency": ['"JPX" is not an ISO 4217 currency code'],
    });
  });

  it("names an option's field, tells nothing to a stranger, and reports an outage", function () {
    expect(port(new InputError("--route is empty")).fields).to.have.key("route");
    const stranger = port(new NotAPartyError("not a party to this ticket"));
    expect([stranger.kind, stranger.message]).to.deep.equal([
      "not-a-party",
      "not a party to this ticket",
    ]);
    expect(port(new ChainError("no node answers")).kind).to.equal("unavailable");
  });

  it("rethrows what is not one of the library's errors", function () {
    const bug = new TypeError("x is undefined");
    expect(toPortError(bug)).to.equal(bug);
  });
});
