import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * Deploys the SettlementRegistry. The consortium admin defaults to the deploying account;
 * override it with `--parameters '{"SettlementRegistryModule":{"admin":"0x..."}}'`.
 */
export default buildModule("SettlementRegistryModule", (m) => {
  const admin = m.getParameter("admin", m.getAccount(0));
  const registry = m.contract("SettlementRegistry", [admin]);
  return { registry };
});
