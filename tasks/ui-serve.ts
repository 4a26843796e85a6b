import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, type CommonArgs } from "../lib/cli/task-args.js";
import { createAdapter } from "../web/server/adapter.js";
import { buildAssets } from "../web/server/bundle.js";
import { startDashboard } from "../web/server/server.js";

export default async function (
  args: CommonArgs & { port: number; host: string },
  hre: HardhatRuntimeEnvironment,
) {
  return runTask(async () => {
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const dashboard = await startDashboard({
      port: createAdapter(app, actor),
      assets: await buildAssets(),
      host: args.host,
      listenPort: args.port,
      title: `Settlement registry (${app.networkName})`,
    });
    app.out.ok(`dashboard of ${actor.party.name} on ${app.networkName}: open ${dashboard.url}`);
    app.out.line(app.out.colors.dim("the address carries this session's key; Ctrl-C to stop"));
    app.out.result({ party: actor.party.name, url: dashboard.url });
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await dashboard.close();
  });
}
