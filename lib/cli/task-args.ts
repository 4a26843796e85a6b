/**
 * Options shared by every role task, and how they become an App.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import type { App } from "../app/context.js";
import { openApp } from "../app/hardhat.js";
import { InputError } from "../errors.js";
import { Output } from "./output.js";

export interface CommonArgs {
  as: string;
  dataDir: string;
  registry: string;
  json: boolean;
}

/** Apps are shared within a process so that in-process callers see one chain and one store. */
const apps = new Map<string, Promise<App>>();

/** The App of these options, its warnings printed on `out` (a new Output by default). */
export function appFor(
  hre: HardhatRuntimeEnvironment,
  args: CommonArgs,
  out = new Output({ json: args.json }),
): Promise<App> {
  const key = `${args.dataDir}|${args.registry}`;
  let app = apps.get(key);
  if (app === undefined) {
    app = openApp(hre, {
      dataDir: args.dataDir === "" ? undefined : args.dataDir,
      registry: args.registry === "" ? undefined : args.registry,
    });
    apps.set(key, app);
    app.catch(() => apps.delete(key));
  }
  return app.then((a) => ({ ...a, warn: (text: string) => out.warn(text) }));
}

/** Throws the standard error for a missing required option. */
export function required(value: string, option: string, example: string): string {
  if (value.trim() === "") {
    throw new InputError(`--${option} is required`, { hint: `e.g. --${option} ${example}` });
  }
  return value.trim();
}

/**
 * Closes the connections of every App opened in this process (in-process callers that are done
 * with the tasks, e.g. tests); the next task opens a fresh one.
 */
export async function closeApps(): Promise<void> {
  const open = [...apps.values()];
  apps.clear();
  for (const app of open) {
    const provider = await app.catch(() => undefined).then((a) => a?.provider);
    provider?.destroy();
  }
}

/** The parties of `--route a,b,c`, in order. */
export function parseRouteOption(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}
