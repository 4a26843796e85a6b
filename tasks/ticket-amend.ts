import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { amendTicket } from "../lib/app/tickets.js";
import { runTask } from "../lib/cli/output.js";
import { appFor, required, type CommonArgs } from "../lib/cli/task-args.js";
import { readTradeFile } from "../lib/ticket/file.js";

export default async function (
  args: CommonArgs & { id: string; file: string },
  hre: HardhatRuntimeEnvironment,
) {
  return runTask(async () => {
    const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
    const trade = await readTradeFile(
      required(args.file, "file", "examples/dvp-japanese-equity-buy.json"),
    );
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const result = await amendTicket(app, actor, id, trade);
    app.out.ok(
      `ticket ${result.id} resubmitted as version ${result.version}; approvals restart with ${result.next?.name}`,
    );
    app.out.result(result);
    return result;
  });
}
