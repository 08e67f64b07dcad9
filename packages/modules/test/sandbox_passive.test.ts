/**
 * The sandbox's emulations of the keyless passive sources: every such module, configured as a sandbox
 * scan runs it, finds the sandbox's names (and addresses and URLs) from its emulated source, and
 * never the look-alikes and other companies' names those sources also hold.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Module } from "@mirage/modules/Module"
import { anubisdb } from "@mirage/modules/modules/anubisdb"
import { binaryedge } from "@mirage/modules/modules/binaryedge"
import { bufferover } from "@mirage/modules/modules/bufferover"
import { certificatedetails } from "@mirage/modules/modules/certificatedetails"
import { columbus } from "@mirage/modules/modules/columbus"
import { commoncrawl } from "@mirage/modules/modules/commoncrawl"
import { hackertargetDnslookup } from "@mirage/modules/modules/hackertarget_dnslookup"
import { hackertargetReverseip } from "@mirage/modules/modules/hackertarget_reverseip"
import { myssl } from "@mirage/modules/modules/myssl"
import { otxUrlList } from "@mirage/modules/modules/otx_url_list"
import { passivetotal } from "@mirage/modules/modules/passivetotal"
import { rapiddns } from "@mirage/modules/modules/rapiddns"
import { robtex } from "@mirage/modules/modules/robtex"
import { sitedossier } from "@mirage/modules/modules/sitedossier"
import { subdomainCenter } from "@mirage/modules/modules/subdomain_center"
import { threatminer } from "@mirage/modules/modules/threatminer"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect } from "effect"
import { contextFor } from "./support.js"

/** The module's findings from the sandbox's emulated sources, and those sources (to see what they were asked). */
const collectFrom = (
  module: Module,
  target: { readonly type: "DOMAIN" | "IP"; readonly value: string },
  key?: string
) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const { ctx } = yield* contextFor(module.id, { dnsServers: [], ...intel.endpoints }, key)
    const session = yield* module.open({}, ctx)
    const findings = yield* session.collect({ target })
    for (const absent of IntelWorld.expectedIntel.absent) expect(findings.map((f) => f.value)).not.toContain(absent)
    return { found: findings.map((f) => `${f.type} ${f.value}`), intel }
  })

const collect = (module: Module, target: { readonly type: "DOMAIN" | "IP"; readonly value: string }, key?: string) =>
  Effect.map(collectFrom(module, target, key), (run) => run.found)

const domain = { type: "DOMAIN" as const, value: IntelWorld.domain }
const hosts = [
  "DOMAIN api.mirage-sandbox.test",
  "DOMAIN mail.mirage-sandbox.test",
  "DOMAIN mirage-sandbox.test",
  "DOMAIN vpn.mirage-sandbox.test",
  "DOMAIN www.mirage-sandbox.test"
]

describe("the sandbox's keyless passive sources", () => {
  it.scoped("name sources answer the sandbox's names, the loose ones their look-alike too (dropped)", () =>
    Effect.gen(function*() {
      const withShop = [...hosts, "DOMAIN shop.mirage-sandbox.test"].sort()
      expect(yield* collect(anubisdb, domain)).toEqual(withShop)
      expect(yield* collect(subdomainCenter, domain)).toEqual(withShop)
      // Columbus answers labels, the apex's being empty.
      expect(yield* collect(columbus, domain)).toEqual(withShop.filter((f) => f !== "DOMAIN mirage-sandbox.test"))
      expect(yield* collect(bufferover, domain, IntelWorld.keys.bufferover)).toEqual(
        expect.arrayContaining([...withShop, "IP 192.0.2.14", "IP 203.0.113.5"])
      )
    }))

  it.scoped("SiteDossier (paged by its next link), ThreatMiner and the keyed BinaryEdge (paged) and PassiveTotal", () =>
    Effect.gen(function*() {
      const withShop = [...hosts, "DOMAIN shop.mirage-sandbox.test"].sort()
      const dossier = yield* collectFrom(sitedossier, domain)
      expect(dossier.found).toEqual(withShop)
      expect(dossier.intel.sitedossier.requestLog()).toEqual([
        "/parentdomain/mirage-sandbox.test",
        "/parentdomain/mirage-sandbox.test/5"
      ])
      expect(yield* collect(threatminer, domain)).toEqual(withShop)
      const edge = yield* collectFrom(binaryedge, domain, IntelWorld.keys.binaryedge)
      expect(edge.found).toEqual(withShop)
      expect(edge.intel.binaryedge.requests()).toBe(2)
      // PassiveTotal answers labels below the domain: the apex is not one.
      expect(yield* collect(passivetotal, domain, IntelWorld.keys.passivetotal)).toEqual(
        withShop.filter((f) => f !== "DOMAIN mirage-sandbox.test")
      )
    }))

  it.scoped("certificatedetails.com lists the names on the sandbox's CT-logged certificates", () =>
    Effect.gen(function*() {
      expect(yield* collect(certificatedetails, domain)).toEqual([
        "DOMAIN api.mirage-sandbox.test",
        "DOMAIN mail.mirage-sandbox.test",
        "DOMAIN mirage-sandbox.test",
        "DOMAIN staging.mirage-sandbox.test",
        "DOMAIN vpn.mirage-sandbox.test",
        "DOMAIN www.mirage-sandbox.test"
      ])
    }))

  it.scoped("sources with addresses give them for the sandbox's names", () =>
    Effect.gen(function*() {
      for (const module of [myssl, rapiddns]) {
        expect(yield* collect(module, domain)).toEqual(
          expect.arrayContaining(["DOMAIN www.mirage-sandbox.test", "IP 192.0.2.11"])
        )
      }
      expect(yield* collect(robtex, domain)).toEqual(["DOMAIN mirage-sandbox.test", "IP 192.0.2.10"])
      expect(yield* collect(hackertargetDnslookup, domain)).toEqual(["IP 192.0.2.10"])
      expect(yield* collect(hackertargetReverseip, { type: "IP", value: "192.0.2.12" })).toEqual([
        "DOMAIN api.mirage-sandbox.test"
      ])
    }))

  it.scoped("Common Crawl's index and OTX's URL list give the sandbox's crawled URLs, paged", () =>
    Effect.gen(function*() {
      const urls = [
        "URL http://legacy.mirage-sandbox.test/old.php?id=1",
        "URL https://shop.mirage-sandbox.test/cart",
        "URL https://www.mirage-sandbox.test/",
        "URL https://www.mirage-sandbox.test/login?next=%2Fdashboard"
      ]
      const names = [
        "DOMAIN legacy.mirage-sandbox.test",
        "DOMAIN shop.mirage-sandbox.test",
        "DOMAIN www.mirage-sandbox.test"
      ]
      expect(yield* collect(commoncrawl, domain)).toEqual([...names, ...urls])
      expect(yield* collect(otxUrlList, domain)).toEqual([...names, "IP 192.0.2.11", ...urls])
    }))
})
