/**
 * The interface is the specification: every custom error the registry can revert with (its ABI,
 * OpenZeppelin's included) is decoded by the client into its own sentence and listed in
 * docs/errors.md. A new error in the contract fails this test until both know it.
 */
import { readFile } from "node:fs/promises";

import { expect } from "chai";
import { AbiCoder, Interface, type ErrorFragment, type ParamType } from "ethers";

import { REGISTRY_ABI, RegistryClient } from "../../lib/chain/registry.js";
import { ContractError } from "../../lib/errors.js";

/** A plausible value of each Solidity type, to build revert data. */
function sample(param: ParamType): unknown {
  if (param.baseType === "address") return "0x000000000000000000000000000000000000bEEF";
  if (param.baseType === "bool") return true;
  if (param.baseType.startsWith("uint") || param.baseType.startsWith("int")) return 1;
  if (param.baseType === "string") return "x";
  if (param.baseType === "bytes") return "0x01";
  const fixed = /^bytes(\d+)$/.exec(param.baseType);
  if (fixed !== null) return "0x4e" + "00".repeat(Number(fixed[1]) - 1);
  if (param.baseType === "array") return [];
  throw new Error(`no sample for ${param.type}`);
}

describe("the registry's custom errors", function () {
  const iface = new Interface(REGISTRY_ABI);
  const errors: ErrorFragment[] = [];
  iface.forEachError((e) => errors.push(e));
  const client = new RegistryClient("0x000000000000000000000000000000000000dEaD", null as never);

  it("are all read from the compiled ABI", function () {
    expect(errors.map((e) => e.name)).to.include.members([
      "SettlementRegistryDirectoryFull",
      "SettlementRegistryNotNextApprover",
      "EnforcedPause",
    ]);
  });

  it("are each decoded into their own sentence", async function () {
    const generic: string[] = [];
    for (const fragment of errors) {
      const args = fragment.inputs.map(sample);
      const data =
        fragment.selector + AbiCoder.defaultAbiCoder().encode(fragment.inputs, args).slice(2);
      const decoded = await client.decode(Object.assign(new Error("reverted"), { data }));
      expect(decoded, fragment.name).to.be.instanceOf(ContractError);
      expect((decoded as ContractError).errorName, fragment.name).to.equal(fragment.name);
      if ((decoded as ContractError).shortMessage.startsWith("the registry refused:"))
        generic.push(fragment.name);
    }
    expect(generic, "errors the client only names, without a sentence").to.deep.equal([]);
  });

  it("are each listed in docs/errors.md", async function () {
    const doc = await readFile("docs/errors.md", "utf8");
    const missing = errors.map((e) => e.name).filter((name) => !doc.includes(`\`${name}(`));
    expect(missing, "errors missing from docs/errors.md").to.deep.equal([]);
  });
});
