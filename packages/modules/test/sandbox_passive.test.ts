/**
 * The sandbox's emulations of the passive sources, keyless and keyed (with the world's test keys):
 * every such module, configured as a sandbox scan runs it, finds the sandbox's names (and addresses,
 * URLs, ASes and people) from its emulated source, and never the look-alikes and other companies'
 * names those sources also hold.
 */
import { describe, expect, it } from "@effect/vitest"
import type { Module } from "@mirage/modules/Module"
import { anubisdb } from "@mirage/modules/modules/anubisdb"
import { bevigil } from "@mirage/modules/modules/bevigil"
import { binaryedge } from "@mirage/modules/modules/binaryedge"
import { bufferover } from "@mirage/modules/modules/bufferover"
import { builtwith } from "@mirage/modules/modules/builtwith"
import { c99 } from "@mirage/modules/modules/c99"
import { censys } from "@mirage/modules/modules/censys"
import { certificatedetails } from "@mirage/modules/modules/certificatedetails"
import { chaos } from "@mirage/modules/modules/chaos"
import { columbus } from "@mirage/modules/modules/columbus"
import { commoncrawl } from "@mirage/modules/modules/commoncrawl"
import { dnsbl } from "@mirage/modules/modules/dnsbl"
import { dockerhub } from "@mirage/modules/modules/dockerhub"
import { emailrep } from "@mirage/modules/modules/emailrep"
import { fullhunt } from "@mirage/modules/modules/fullhunt"
import { githubOrg } from "@mirage/modules/modules/github_org"
import { gitlabProjects } from "@mirage/modules/modules/gitlab_projects"
import { gravatar } from "@mirage/modules/modules/gravatar"
import { hackertargetDnslookup } from "@mirage/modules/modules/hackertarget_dnslookup"
import { hackertargetReverseip } from "@mirage/modules/modules/hackertarget_reverseip"
import { hunterIo } from "@mirage/modules/modules/hunter_io"
import { ipApi } from "@mirage/modules/modules/ip_api"
import { ipinfo } from "@mirage/modules/modules/ipinfo"
import { leakix } from "@mirage/modules/modules/leakix"
import { microsoftTenant } from "@mirage/modules/modules/microsoft_tenant"
import { myssl } from "@mirage/modules/modules/myssl"
import { netlas } from "@mirage/modules/modules/netlas"
import { otxReputation } from "@mirage/modules/modules/otx_reputation"
import { otxUrlList } from "@mirage/modules/modules/otx_url_list"
import { passivetotal } from "@mirage/modules/modules/passivetotal"
import { peeringdb } from "@mirage/modules/modules/peeringdb"
import { pgpKeyserver } from "@mirage/modules/modules/pgp_keyserver"
import { rapiddns } from "@mirage/modules/modules/rapiddns"
import { robtex } from "@mirage/modules/modules/robtex"
import { securitytrails } from "@mirage/modules/modules/securitytrails"
import { sitedossier } from "@mirage/modules/modules/sitedossier"
import { skymem } from "@mirage/modules/modules/skymem"
import { subdomainCenter } from "@mirage/modules/modules/subdomain_center"
import { teamCymruAsn } from "@mirage/modules/modules/team_cymru_asn"
import { threatminer } from "@mirage/modules/modules/threatminer"
import { urlhausHost } from "@mirage/modules/modules/urlhaus_host"
import { whatsmyname } from "@mirage/modules/modules/whatsmyname"
import { whoisxmlSubdomains } from "@mirage/modules/modules/whoisxml_subdomains"
import { zoomeye } from "@mirage/modules/modules/zoomeye"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import { contextFor, worldWithContext } from "./support.js"

/** The module's findings from the sandbox's emulated sources, and those sources (to see what they were asked). */
const collectFrom = (module: Module, target: Target, key?: string) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const { ctx } = yield* contextFor(module.id, { dnsServers: [], ...intel.endpoints }, key)
    const session = yield* module.open({}, ctx)
    const findings = yield* session.collect({ target })
    for (const absent of IntelWorld.expectedIntel.absent) expect(findings.map((f) => f.value)).not.toContain(absent)
    return { found: findings.map((f) => `${f.type} ${f.value}`), intel }
  })

type Target = {
  readonly type: "DOMAIN" | "IP" | "ASN" | "EMAIL" | "USERNAME" | "ORGANIZATION"
  readonly value: string
}

const collect = (module: Module, target: Target, key?: string) =>
  Effect.map(collectFrom(module, target, key), (run) => run.found)

const domain = { type: "DOMAIN" as const, value: IntelWorld.domain }
const hosts = [
  "DOMAIN api.mirage-sandbox.test",
  "DOMAIN mail.mirage-sandbox.test",
  "DOMAIN mirage-sandbox.test",
  "DOMAIN vpn.mirage-sandbox.test",
  "DOMAIN www.mirage-sandbox.test"
]

describe("the sandbox's passive sources", () => {
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

  it.scoped("certificatedetails.com lists the sandbox's CT-logged certificates and the names on them", () =>
    Effect.gen(function*() {
      // The emulation links each certificate by the SHA-256 of its issuance id; the other company's is not listed.
      const certificates = IntelWorld.issuances.filter((issuance) => issuance.id !== "9211000007")
        .map((issuance) => `CERTIFICATE ${createHash("sha256").update(issuance.id).digest("hex")}`).sort()
      expect(yield* collect(certificatedetails, domain)).toEqual([
        "DOMAIN api.mirage-sandbox.test",
        "DOMAIN mail.mirage-sandbox.test",
        "DOMAIN mirage-sandbox.test",
        "DOMAIN staging.mirage-sandbox.test",
        "DOMAIN vpn.mirage-sandbox.test",
        "DOMAIN www.mirage-sandbox.test",
        ...certificates
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

  it.scoped("the keyed subdomain sources answer the sandbox's names to their test keys", () =>
    Effect.gen(function*() {
      const withShop = [...hosts, "DOMAIN shop.mirage-sandbox.test"].sort()
      const below = withShop.filter((f) => f !== "DOMAIN mirage-sandbox.test")
      const keyed: ReadonlyArray<readonly [Module, string, ReadonlyArray<string>]> = [
        [securitytrails, IntelWorld.keys.securitytrails, below],
        [chaos, IntelWorld.keys.chaos, below],
        [fullhunt, IntelWorld.keys.fullhunt, withShop],
        [netlas, IntelWorld.keys.netlas, below],
        [bevigil, IntelWorld.keys.bevigil, below],
        [builtwith, IntelWorld.keys.builtwith, withShop],
        [whoisxmlSubdomains, IntelWorld.keys.whoisxml, below],
        [leakix, IntelWorld.keys.leakix, below],
        [c99, IntelWorld.keys.c99, withShop],
        [zoomeye, IntelWorld.keys.zoomeye, withShop]
      ]
      for (const [module, key, expected] of keyed) expect(yield* collect(module, domain, key)).toEqual(expected)
      // Censys answers from the CT-logged certificates.
      expect(yield* collect(censys, domain, IntelWorld.keys.censys)).toEqual([
        "DOMAIN api.mirage-sandbox.test",
        "DOMAIN mail.mirage-sandbox.test",
        "DOMAIN mirage-sandbox.test",
        "DOMAIN staging.mirage-sandbox.test",
        "DOMAIN vpn.mirage-sandbox.test",
        "DOMAIN www.mirage-sandbox.test"
      ])
    }))

  it.scoped("ip-api and IPinfo locate the sandbox's addresses in its ASes; PeeringDB names an AS's operator", () =>
    Effect.gen(function*() {
      const www = { type: "IP" as const, value: "192.0.2.11" }
      expect(yield* collect(ipApi, www)).toEqual(
        expect.arrayContaining(["ASN AS64500", "ORGANIZATION Mirage Sandbox Ltd"])
      )
      expect(yield* collect(ipinfo, www)).toEqual(
        expect.arrayContaining(["ASN AS64500", "DOMAIN www.mirage-sandbox.test"])
      )
      expect(yield* collect(ipinfo, { type: "IP", value: "198.18.0.7" })).toEqual([])
      expect(yield* collect(peeringdb, { type: "ASN", value: "AS64500" })).toEqual([
        "ORGANIZATION Mirage Sandbox Ltd",
        "URL https://mirage-sandbox.test/"
      ])
    }))

  it.scoped("the keyserver, Skymem (paged), Gravatar and EmailRep give the sandbox's people and their standing", () =>
    Effect.gen(function*() {
      const people = ["EMAIL devops@mirage-sandbox.test", "EMAIL hostmaster@mirage-sandbox.test"]
      expect(yield* collect(pgpKeyserver, domain)).toEqual(people)
      const skymemRun = yield* collectFrom(skymem, domain)
      expect(skymemRun.found).toEqual(people)
      expect(skymemRun.intel.skymem.requests()).toBe(2)
      expect(yield* collect(gravatar, { type: "EMAIL", value: "hostmaster@mirage-sandbox.test" })).toEqual(
        expect.arrayContaining(["USERNAME mirage-hostmaster", "URL https://github.com/mirage-sandbox"])
      )
      expect(yield* collect(gravatar, { type: "EMAIL", value: "devops@mirage-sandbox.test" })).toEqual([])
      const reputation = yield* collectFrom(emailrep, { type: "EMAIL", value: "hostmaster@mirage-sandbox.test" })
      expect(reputation.found).toEqual(["DOMAIN mirage-sandbox.test"])
      expect(yield* collect(emailrep, { type: "EMAIL", value: "someone@freemail.example" })).toEqual([])
    }))

  it.scoped("the company's tenant, its code and image accounts (paged) and Hunter's addresses of its people", () =>
    Effect.gen(function*() {
      const tenant = yield* collectFrom(microsoftTenant, domain)
      expect(tenant.found).toEqual(["ORGANIZATION Mirage Sandbox Ltd"])
      expect(yield* collect(microsoftTenant, { type: "DOMAIN", value: "other-company.test" })).toEqual([])
      const organization = { type: "ORGANIZATION" as const, value: "Mirage-Sandbox" }
      const github = yield* collectFrom(githubOrg, organization)
      expect(github.found).toEqual([
        "URL https://github.com/mirage-sandbox/infra",
        "URL https://github.com/mirage-sandbox/website",
        "URL https://github.com/mirage-sandbox/api-gateway",
        "USERNAME mirage-hostmaster"
      ])
      expect(github.intel.github_api.requests()).toBe(3)
      expect(yield* collect(githubOrg, { type: "USERNAME", value: "mirage-hostmaster" })).toEqual([
        "URL https://github.com/mirage-hostmaster/dotfiles"
      ])
      const gitlab = yield* collectFrom(gitlabProjects, organization)
      expect(gitlab.found).toEqual([
        "URL https://gitlab.com/mirage-sandbox/infra",
        "URL https://gitlab.com/mirage-sandbox/website",
        "URL https://gitlab.com/mirage-sandbox/api-gateway",
        "URL https://gitlab.com/mirage-sandbox/nginx"
      ])
      expect(gitlab.intel.gitlab.requests()).toBe(2)
      const images = yield* collectFrom(dockerhub, { type: "USERNAME", value: "mirage-sandbox" })
      expect(images.found).toEqual([
        "URL https://hub.docker.com/r/mirage-sandbox/infra",
        "URL https://hub.docker.com/r/mirage-sandbox/website",
        "URL https://hub.docker.com/r/mirage-sandbox/api-gateway"
      ])
      expect(images.intel.dockerhub.requests()).toBe(2)
      expect(yield* collect(dockerhub, { type: "USERNAME", value: "nobody-here" })).toEqual([])
      expect(yield* collect(hunterIo, domain, IntelWorld.keys.hunter_io)).toEqual([
        "ORGANIZATION Mirage Sandbox Ltd",
        "EMAIL hostmaster@mirage-sandbox.test",
        "EMAIL devops@mirage-sandbox.test"
      ])
    }))

  it.scoped("URLhaus (a form POST with its Auth-Key) and OTX's pulses know the malware once on the forgotten host", () =>
    Effect.gen(function*() {
      const legacy = { type: "DOMAIN" as const, value: "legacy.mirage-sandbox.test" }
      const run = yield* collectFrom(urlhausHost, legacy, IntelWorld.keys.urlhaus)
      expect(run.found).toEqual(["URL http://legacy.mirage-sandbox.test/old.php?id=1"])
      expect(run.intel.urlhaus.received().map((request) => [request.method, request.body])).toEqual([
        ["POST", "host=legacy.mirage-sandbox.test"]
      ])
      expect(yield* collect(urlhausHost, domain, IntelWorld.keys.urlhaus)).toEqual([])
      expect(yield* collect(otxReputation, legacy, IntelWorld.keys.otx)).toEqual([
        "URL https://otx.alienvault.com/pulse/6601a2b3c4d5e6f708192a3b"
      ])
      expect(yield* collect(otxReputation, { type: "IP", value: "192.0.2.10" })).toEqual(["ASN AS64500"])
    }))

  it.scoped("Team Cymru's zones on the sandbox's DNS server map its addresses to their ASes", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext(teamCymruAsn.id)
      const session = yield* teamCymruAsn.open({}, ctx)
      const found = (yield* session.collect({ target: { type: "IP", value: "198.51.100.25" } }))
        .map((f) => `${f.type} ${f.value}`)
      expect(found).toEqual(["ASN AS64501", "NETBLOCK 198.51.100.0/24"])
      const holder = yield* session.collect({ target: { type: "ASN", value: "AS64501" } })
      expect(holder.map((f) => `${f.type} ${f.value}`)).toEqual(["ORGANIZATION Example Hosting GmbH"])
    }))

  it.scoped("the blocklists' zones on the sandbox's DNS server list the development host and the VPN range", () =>
    Effect.gen(function*() {
      const { ctx } = yield* worldWithContext(dnsbl.id)
      const session = yield* dnsbl.open({}, ctx)
      const dev = yield* session.collect({ target: { type: "IP", value: "198.51.100.30" } })
      expect(dev.map((f) => [f.value, f.metadata["blocklists"]])).toEqual([
        ["198.51.100.30", ["zen.spamhaus.org", "bl.spamcop.net"]]
      ])
      const vpn = yield* session.collect({ target: { type: "IP", value: "203.0.113.5" } })
      expect(vpn[0]?.metadata["listings"]).toMatchObject([{ list: "PBL", code: "127.0.0.11" }])
      expect(yield* session.collect({ target: { type: "IP", value: "192.0.2.10" } })).toEqual([])
    }))

  it.scoped("the username sites stand in on loopback: the humans.txt handles' profiles", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext(whatsmyname.id)
      const session = yield* whatsmyname.open({ sites: ["GitHub (User)", "GitLab", "Reddit"] }, ctx)
      const found = yield* Effect.forEach(
        world.expected.usernames,
        (value) => session.collect({ target: { type: "USERNAME", value } })
      )
      expect(found.flat().map((f) => f.value).sort()).toEqual([...world.expected.profiles].sort())
      expect(yield* ctx.notes.summary).toMatchObject({ rows_skipped: 0, warnings: [] })
    }))
})
