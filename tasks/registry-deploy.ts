import { currentNetworkName, rememberDeployment } from "../lib/app/hardhat.js";
import { deployRegistry } from "../lib/chain/deployment.js";
import { resolveChainSettings } from "../lib/chain/node.js";
import { plainTask } from "../lib/cli/task.js";
import type { CommonArgs } from "../lib/cli/task-args.js";

export default plainTask(async (args: CommonArgs & { deploymentId: string }, out, hre) => {
  const networkName = currentNetworkName(hre);
  const config = hre.config.networks[networkName];
  // On a node network, deploy through the first endpoint, at the network's gas price.
  const settings =
    config?.type === "http" ? await resolveChainSettings(hre, networkName) : undefined;
  const connection =
    settings !== undefined
      ? await hre.network.create({
          network: networkName,
          override: { url: settings.endpoints[0], gasPrice: settings.gasPrice },
        })
      : await hre.network.getOrCreate();
  const admin = args.as === "" ? undefined : args.as;
  const deployed = await deployRegistry(hre, connection, {
    admin,
    deploymentId: args.deploymentId === "" ? undefined : args.deploymentId,
  });
  rememberDeployment(networkName, BigInt(deployed.chainId), deployed.address);
  if (deployed.staleRecord !== undefined) {
    out.line(
      `  the earlier record named ${deployed.staleRecord.address}, which holds no code (the chain was reset): moved to ${deployed.staleRecord.movedTo}`,
    );
  }
  out.ok(
    `SettlementRegistry deployed at ${deployed.address} on chain ${deployed.chainId} (network ${networkName})`,
  );
  out.line(
    `  bytecode needs ${deployed.evm.required}; recorded under ignition/deployments/${deployed.deploymentId}`,
  );
  out.result(deployed);
  return deployed;
});
