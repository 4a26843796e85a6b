/**
 * Zero downtime in the task layer on anvil (test/tasks/watching.ts): two proxies in front of one
 * anvil node stand in for two consortium nodes; one dies mid-scenario.
 */
import { startPrivateChain } from "../../lib/testing/anvil.js";
import { watchAcrossFailover } from "./watching.js";

watchAcrossFailover(
  "tasks: ticket:watch and decisions when one of two endpoints dies",
  async () => {
    const chain = await startPrivateChain();
    return { urls: [chain.node.url], registry: chain.registry, stop: () => chain.stop() };
  },
);
