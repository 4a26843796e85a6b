/**
 * The mission scenario through the role tasks (test/tasks/mission.ts) on real Geth nodes: a
 * Clique network of four sealing Geth 1.13 nodes (every endpoint listed, two confirmations), and
 * `geth --dev` of the current release (gas paid: it refuses zero-price transactions).
 */
import {
  GETH_PRIVNET_ENV,
  gethUnavailable,
  startCliqueNetwork,
  startGethDev,
} from "../../lib/testing/geth.js";
import { mission } from "../tasks/mission.js";

const unavailable = gethUnavailable();

(unavailable === undefined ? describe : describe.skip)(
  `tasks: the mission scenario on Geth${unavailable === undefined ? "" : ` (skipped: ${unavailable})`}`,
  function () {
    mission(
      "on a Clique network of four sealing Geth 1.13 nodes",
      async () => {
        const network = await startCliqueNetwork({ signers: 4 });
        return {
          urls: network.urls,
          env: GETH_PRIVNET_ENV.clique,
          stop: () => network.stop(),
        };
      },
      new Set(["deploy", "create", "reject", "outsider"]),
      600_000,
    );
    mission(
      "on geth --dev of the current release",
      async () => {
        const node = await startGethDev();
        return {
          urls: [node.url],
          env: GETH_PRIVNET_ENV.dev,
          stop: () => node.stop(),
        };
      },
      new Set(["deploy", "create", "reject", "outsider"]),
      600_000,
    );
  },
);
