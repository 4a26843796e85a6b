/**
 * Several parties' dashboards in one process, over one connection to the chain: the demo on
 * several screens and the browser tests. (In production each organisation runs its own, with
 * `npx hardhat ui --as <party>`.)
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs, type App } from "../../lib/app/context.js";
import { openApp } from "../../lib/app/hardhat.js";
import { createAdapter } from "./adapter.js";
import { buildAssets } from "./bundle.js";
import { startDashboard, type Dashboard } from "./server.js";

export interface PartyDashboards {
  app: App;
  byName: Record<string, Dashboard>;
  close(): Promise<void>;
}

export async function startPartyDashboards(
  hre: HardhatRuntimeEnvironment,
  options: { parties: readonly string[]; dataDir: string; registry: string; pollMs?: number },
): Promise<PartyDashboards> {
  const app = await openApp(hre, {
    dataDir: options.dataDir,
    registry: options.registry,
  });
  const assets = await buildAssets();
  const byName: Record<string, Dashboard> = {};
  const close = async () => {
    for (const d of Object.values(byName)) await d.close();
    app.provider.destroy();
  };
  try {
    for (const name of options.parties) {
      const actor = await actAs(app, name);
      byName[name] = await startDashboard({
        port: createAdapter(app, actor, { pollMs: options.pollMs }),
        assets,
        title: `Settlement registry (${app.networkName})`,
      });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { app, byName, close };
}
