import { expect } from "chai";
import { runScenario } from "../../scenario/scenario.js";
import { exploreScenario } from "../../explore/explore.js";
import { runSchedule } from "../../explore/run-schedule.js";
import type { Chooser, Decision } from "../../explore/decisions.js";
import { findScenario } from "../../samples/index.js";
import { kmdfEchoDriverLockScenario, kmdfEchoScenario } from "../../samples/kmdf-echo/scenario.js";

/** Chooses the first injection whose label starts with `prefix`, at the first site matching `site`. */
function injectOnce(prefix: string, site: RegExp): Chooser {
  let done = false;
  return {
    choose(d: Decision): number {
      if (done || d.kind !== "inject" || !site.test(d.site)) return 0;
      const i = d.labels().findIndex((l) => l.startsWith(prefix));
      if (i <= 0) return 0;
      done = true;
      return i;
    },
  };
}

describe("samples/kmdf-echo: the KMDF echo driver on a root-enumerated device", function () {
  this.timeout(120_000);

  for (const s of [kmdfEchoScenario, kmdfEchoDriverLockScenario]) {
    it(`${s.name}: every check passes under the verifier — the device starts and is removed in the framework's order, the app's write is echoed, its cancelled read ends with ERROR_OPERATION_ABORTED, nothing leaks`, async () => {
      const r = await runScenario(s);
      expect(r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`)).to.deep.equal([]);
      expect(r.findings).to.deep.equal([]);
      expect(r.passed).to.equal(true);
    });
  }

  it("a surprise removal while a read is in flight: EvtDeviceSurpriseRemoval runs before the rest of the removal, the read still ends, and IRP_MN_REMOVE_DEVICE waits for the app to close its handle", async () => {
    const out = await runSchedule({ scenario: kmdfEchoScenario, options: {}, budget: { surpriseRemove: 1 } }, injectOnce("surprise-remove", /EchoEvtIoRead/), { keepResult: true });
    expect(out.injections.map((i) => i.kind)).to.deep.equal(["surpriseRemove"]);
    expect(out.failures).to.deep.equal([]);
    const r = out.result;
    const failed = r?.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
    expect(failed).to.deep.equal([]);
    const node = r?.machine.pnp?.nodes[0];
    expect(node?.history).to.deep.equal(["AddDevice → STATUS_SUCCESS", "IRP_MN_START_DEVICE → STATUS_SUCCESS", "IRP_MN_SURPRISE_REMOVAL → STATUS_SUCCESS", "IRP_MN_REMOVE_DEVICE → STATUS_SUCCESS"]);
    const device = node?.pdo.AttachedDevice?.DeviceExtension;
    expect(device).to.equal(undefined);
    r?.machine.dispose();
  });

  it("is shipped: irpsim list shows both styles", () => {
    expect(findScenario("kmdf-echo")).to.equal(kmdfEchoScenario);
    expect(findScenario("kmdf-echo-driver-lock")).to.equal(kmdfEchoDriverLockScenario);
  });

  for (const s of [kmdfEchoScenario, kmdfEchoDriverLockScenario]) {
    it(`${s.name}: every schedule with at most two injections (a cancel, the app's death, a surprise removal) and preemptions passes`, async () => {
      const r = await exploreScenario(s, { strategy: "dfs", bound: 2 });
      expect(r.statement).to.match(/^all schedules up to bound 2 explored: \d+ distinct, none failed$/);
      expect(r.schedules).to.be.greaterThan(500);
    });
  }
});

