/**
 * The one way a task starts: its options checked first, then (on `open()`) the App and, for role
 * tasks, the acting party; failures printed as one line (see `runTask`).
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { actAs, type Actor, type App } from "../app/context.js";
import { Output, runTask } from "./output.js";
import { appFor, type CommonArgs } from "./task-args.js";

export interface Opened {
  app: App;
  out: Output;
}

type Action<A> = (args: A, hre: HardhatRuntimeEnvironment) => Promise<unknown>;

/** A task without an App (it still prints through an Output for `--json`). */
export function plainTask<A extends CommonArgs, T>(
  body: (args: A, out: Output, hre: HardhatRuntimeEnvironment) => Promise<T>,
): Action<A> {
  return (args, hre) => runTask(() => body(args, new Output({ json: args.json }), hre));
}

/** A task that reads or acts as the admin: `open()` gives the App and the task's Output. */
export function appTask<A extends CommonArgs, T>(
  body: (args: A, open: () => Promise<Opened>, hre: HardhatRuntimeEnvironment) => Promise<T>,
): Action<A> {
  return (args, hre) =>
    runTask(() => {
      const out = new Output({ json: args.json });
      return body(args, async () => ({ app: await appFor(hre, args, out), out }), hre);
    });
}

/** A task of one party (`--as`): `open()` gives the App, the Output and the acting party. */
export function roleTask<A extends CommonArgs, T>(
  body: (
    args: A,
    open: () => Promise<Opened & { actor: Actor }>,
    hre: HardhatRuntimeEnvironment,
  ) => Promise<T>,
): Action<A> {
  return appTask<A, T>((args, open, hre) =>
    body(
      args,
      async () => {
        const opened = await open();
        return { ...opened, actor: await actAs(opened.app, args.as) };
      },
      hre,
    ),
  );
}
