import { expect } from "chai";
import { evictionBufferBytes, parseCacheSize } from "../../bench/harness.js";

const MiB = 2 ** 20;

describe("bench harness: emptying the caches before a timed kill", () => {
  it("reads sysfs cache sizes in bytes, and nothing else", () => {
    expect(parseCacheSize("48K\n")).to.equal(48 * 1024);
    expect(parseCacheSize("491520K")).to.equal(491520 * 1024);
    expect(parseCacheSize("32M")).to.equal(32 * MiB);
    expect(parseCacheSize("1G")).to.equal(2 ** 30);
    expect(parseCacheSize("4096")).to.equal(4096);
    expect(parseCacheSize("")).to.equal(null);
    expect(parseCacheSize("12 KB")).to.equal(null);
  });

  it("sizes the buffer at twice the last-level cache, within 64 MiB, 1 GiB and an eighth of memory", () => {
    const big = 64 * 2 ** 30;
    expect(evictionBufferBytes(32 * MiB, big)).to.equal(64 * MiB);
    expect(evictionBufferBytes(105 * MiB, big)).to.equal(210 * MiB);
    expect(evictionBufferBytes(8 * MiB, big)).to.equal(64 * MiB);
    expect(evictionBufferBytes(480 * MiB, big)).to.equal(960 * MiB);
    expect(evictionBufferBytes(1024 * MiB, big)).to.equal(1024 * MiB);
    expect(evictionBufferBytes(null, big)).to.equal(256 * MiB);
    expect(evictionBufferBytes(480 * MiB, 2 * 2 ** 30)).to.equal(256 * MiB);
    expect(evictionBufferBytes(32 * MiB, 1000 * MiB + 5) % 64).to.equal(0);
  });
});
