/** netblock_ptr_sweep against a local DNS server: a /28 swept, names found, a range too large refused. */
import { describe, expect, it } from "@effect/vitest"
import { addressesIn, netblockPtrSweep } from "@mirage/modules/modules/netblock_ptr_sweep"
import * as DnsServer from "@mirage/testkit/DnsServer"
import { Effect } from "effect"
import { contextFor } from "./support.js"

const zone: DnsServer.Zone = {
  [DnsServer.reverseName("192.0.2.1")]: { PTR: ["gw.example.test"] },
  [DnsServer.reverseName("192.0.2.5")]: { PTR: ["mail.example.test", "mx.example.test"] },
  [DnsServer.reverseName("192.0.2.9")]: { PTR: ["mail.example.test"] }
}
const netblock = (value: string) => ({ target: { type: "NETBLOCK" as const, value } })

describe("netblock_ptr_sweep", () => {
  it("lists a block's addresses, IPv4 and IPv6, or only its size past the limit", () => {
    expect(addressesIn("192.0.2.0/30", 256).addresses).toEqual(["192.0.2.0", "192.0.2.1", "192.0.2.2", "192.0.2.3"])
    expect(addressesIn("10.0.0.255/32", 256).addresses).toEqual(["10.0.0.255"])
    expect(addressesIn("2001:db8::/126", 256).addresses).toEqual([
      "2001:db8:0:0:0:0:0:0",
      "2001:db8:0:0:0:0:0:1",
      "2001:db8:0:0:0:0:0:2",
      "2001:db8:0:0:0:0:0:3"
    ])
    expect(addressesIn("10.0.0.0/8", 256)).toEqual({ addresses: [], size: 16777216n })
  })

  it.scoped("asks every address's PTR once; each named address is an IP, each name a DOMAIN once", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone)
      const { ctx } = yield* contextFor("netblock_ptr_sweep", { dnsServers: [server.address] })
      const findings = yield* (yield* netblockPtrSweep.open({}, ctx)).collect(netblock("192.0.2.0/28"))
      expect(server.questions().filter((q) => q.type === "PTR")).toHaveLength(16)
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "IP 192.0.2.1",
        "DOMAIN gw.example.test",
        "IP 192.0.2.5",
        "DOMAIN mail.example.test",
        "DOMAIN mx.example.test",
        "IP 192.0.2.9"
      ])
      expect(findings[2]?.metadata).toEqual({
        netblock: "192.0.2.0/28",
        record_type: "PTR",
        ptr: ["mail.example.test", "mx.example.test"]
      })
    }))

  it.scoped("a range larger than max_addresses is not swept: no lookup, a note", () =>
    Effect.gen(function*() {
      const server = yield* DnsServer.make(zone)
      const { ctx } = yield* contextFor("netblock_ptr_sweep", { dnsServers: [server.address] })
      const findings = yield* (yield* netblockPtrSweep.open({ max_addresses: 8 }, ctx)).collect(
        netblock("192.0.2.0/28")
      )
      expect(findings).toEqual([])
      expect(server.questions()).toEqual([])
      expect((yield* ctx.notes.summary).skip_reason).toContain("16 addresses")
    }))
})
