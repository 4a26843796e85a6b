import { network } from "hardhat";
import { expect } from "chai";

describe("smoke gas", () => {
  it("measures", async () => {
    const { ethers } = await network.create();
    const [admin, am, cb, sf, csd] = await ethers.getSigners();
    const reg = await ethers.deployContract("SettlementRegistry", [admin.address]);
    const names = ["am", "cb", "sf", "csd"];
    const ps = [am, cb, sf, csd];
    for (let i = 0; i < 4; i++) {
      await reg.admitParty(ps[i].address, ethers.encodeBytes32String(names[i]));
      await reg.connect(ps[i]).registerEncryptionKey(ethers.id("k" + i));
    }
    const key = ethers.id("t1");
    const r1 = await (
      await reg
        .connect(am)
        .createTicket(key, ethers.id("a"), ethers.id("b"), [cb.address, sf.address, csd.address])
    ).wait();
    const r2 = await (await reg.connect(cb).approve(key)).wait();
    const r3 = await (await reg.connect(sf).approve(key)).wait();
    const r4 = await (
      await reg
        .connect(csd)
        .reject(key, ethers.toUtf8Bytes("REJT"), ethers.toUtf8Bytes("DDAT"), ethers.ZeroHash)
    ).wait();
    const r5 = await (await reg.connect(am).amend(key, ethers.id("c"), ethers.id("d"))).wait();
    console.log({
      create: r1!.gasUsed,
      approve: r2!.gasUsed,
      approve2: r3!.gasUsed,
      reject: r4!.gasUsed,
      amend: r5!.gasUsed,
    });
    expect((await reg.getTicket(key)).version).to.equal(2n);
  });
});
