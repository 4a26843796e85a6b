/**
 * The mission scenario through the role tasks (test/tasks/mission.ts), against anvil configured
 * like a free-gas Besu chain. Once with a block per transaction, once with a one-second block
 * period.
 */
import { startAnvil } from "../../lib/testing/anvil.js";
import { mission, type MissionChain } from "./mission.js";

/** anvil with the repository's Besu-style genesis, one endpoint. */
function anvil(blockTime?: number): () => Promise<MissionChain> {
  return async () => {
    const node = await startAnvil({ genesis: true, blockTime });
    return { urls: [node.url], stop: () => node.stop() };
  };
}

describe("tasks: the mission scenario on a separate node (privnet)", function () {
  // What each party types as a real `hardhat --network privnet` subprocess; the cross-checks
  // (the other parties' views, repeated watches) run the same tasks in this process.
  mission(
    "with a block per transaction",
    anvil(),
    new Set([
      "deploy",
      "create",
      "watch-created-csd",
      "show-csd",
      "approve-1",
      "reject",
      "show-returned-securities-firm",
      "watch-returned",
      "outsider",
      "amend",
      "re-approve-3",
    ]),
  );
  // The same steps with a one-second block period, like a QBFT chain: the decisions and the
  // outsider's attempt as subprocesses.
  mission("with a one-second block period", anvil(1), new Set(["create", "reject", "outsider"]));
});
