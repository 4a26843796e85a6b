import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs } from "../lib/app/context.js";
import { showTicket } from "../lib/app/tickets.js";
import { runTask } from "../lib/cli/output.js";
import { renderTicket } from "../lib/cli/render.js";
import { appFor, required, type CommonArgs } from "../lib/cli/task-args.js";

export default async function (args: CommonArgs & { id: string }, hre: HardhatRuntimeEnvironment) {
  return runTask(async () => {
    const id = required(args.id, "id", "T-7KQ4-M2XD-9PWA");
    const app = await appFor(hre, args);
    const actor = await actAs(app, args.as);
    const view = await showTicket(app, actor, id);
    renderTicket(app.out, view);
    app.out.result(view);
    return view;
  });
}
