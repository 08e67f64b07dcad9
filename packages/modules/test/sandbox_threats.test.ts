/**
 * The sandbox's emulations of the reputation, threat and vulnerability sources (with the world's
 * test keys): the VPN endpoint's bad standing, the forgotten host's phishing, the staging host's
 * Jenkins CVE enriched from the NVD, CISA's catalog and FIRST's EPSS, and nothing about the sandbox's clean addresses.
 */
import { describe, expect, it } from "@effect/vitest"
import type { EntityType } from "@mirage/domain/Entity"
import type { Module } from "@mirage/modules/Module"
import { abuseipdb } from "@mirage/modules/modules/abuseipdb"
import { censysHosts } from "@mirage/modules/modules/censys_hosts"
import { cisaKev } from "@mirage/modules/modules/cisa_kev"
import { crowdsecCti } from "@mirage/modules/modules/crowdsec_cti"
import { epss } from "@mirage/modules/modules/epss"
import { googleSafebrowsing } from "@mirage/modules/modules/google_safebrowsing"
import { greynoiseCommunity } from "@mirage/modules/modules/greynoise_community"
import { ipapiIs } from "@mirage/modules/modules/ipapi_is"
import { nvdCve } from "@mirage/modules/modules/nvd_cve"
import { onyphe } from "@mirage/modules/modules/onyphe"
import { openphish } from "@mirage/modules/modules/openphish"
import { shodanFavicon } from "@mirage/modules/modules/shodan_favicon"
import { spamhausDrop } from "@mirage/modules/modules/spamhaus_drop"
import { threatfox } from "@mirage/modules/modules/threatfox"
import { virustotalIp } from "@mirage/modules/modules/virustotal_ip"
import { zoomeyeHosts } from "@mirage/modules/modules/zoomeye_hosts"
import * as FixtureWorld from "@mirage/testkit/FixtureWorld"
import * as IntelWorld from "@mirage/testkit/IntelWorld"
import { Effect } from "effect"
import { contextFor } from "./support.js"

const keys = IntelWorld.threatKeys

/** The module's findings from the sandbox's emulated sources, as `TYPE value`, with their metadata. */
const collectFrom = (module: Module, target: { readonly type: EntityType; readonly value: string }, key?: string) =>
  Effect.gen(function*() {
    const intel = yield* IntelWorld.make
    const { ctx } = yield* contextFor(module.id, { dnsServers: [], ...intel.endpoints }, key)
    const session = yield* module.open({}, ctx)
    const findings = yield* session.collect({ target })
    return { found: findings.map((f) => `${f.type} ${f.value}`), findings, intel }
  })
const collect = (module: Module, target: { readonly type: EntityType; readonly value: string }, key?: string) =>
  Effect.map(collectFrom(module, target, key), (run) => run.found)

const vpn = { type: "IP" as const, value: "203.0.113.5" }
const www = { type: "IP" as const, value: "192.0.2.11" }

describe("the sandbox's threat sources", () => {
  it.scoped("the VPN endpoint: scanning (GreyNoise), reported (AbuseIPDB), brute-forcing (CrowdSec), a listed C2 (ONYPHE, ThreatFox)", () =>
    Effect.gen(function*() {
      const greynoise = yield* collectFrom(greynoiseCommunity, vpn, keys.greynoise)
      expect(greynoise.found).toEqual(["IP 203.0.113.5", "URL https://viz.greynoise.io/ip/203.0.113.5"])
      expect(greynoise.findings[0]?.metadata).toMatchObject({ malicious: true })
      expect(yield* collect(abuseipdb, vpn, keys.abuseipdb)).toEqual([
        "IP 203.0.113.5",
        "ORGANIZATION Edge Transit Networks"
      ])
      expect(yield* collect(crowdsecCti, vpn, keys.crowdsec)).toEqual([
        "IP 203.0.113.5",
        "ASN AS64502",
        "NETBLOCK 203.0.113.0/24",
        "VULNERABILITY CVE-2024-6387"
      ])
      expect(yield* collect(onyphe, vpn, keys.onyphe)).toEqual([
        "IP 203.0.113.5",
        "ASN AS64502",
        "ORGANIZATION Edge Transit Networks",
        "NETBLOCK 203.0.113.0/24"
      ])
      const fox = yield* collectFrom(threatfox, vpn, keys.threatfox)
      expect(fox.found).toEqual(["IP 203.0.113.5", "OPEN_PORT 203.0.113.5:8443"])
      expect(fox.intel.threatfox.received().map((request) => [request.method, request.body])).toEqual([
        ["POST", JSON.stringify({ query: "search_ioc", search_term: "203.0.113.5" })]
      ])
      expect(yield* collect(ipapiIs, vpn)).toEqual([
        "ASN AS64502",
        "NETBLOCK 203.0.113.0/24",
        "ORGANIZATION Edge Transit Networks",
        "IP 203.0.113.5"
      ])
    }))

  it.scoped("the web server's address is clean: no verdict from any source, only its network", () =>
    Effect.gen(function*() {
      expect(yield* collect(greynoiseCommunity, www)).toEqual([])
      expect(yield* collect(abuseipdb, www, keys.abuseipdb)).toEqual(["ORGANIZATION Mirage Sandbox Ltd"])
      expect(yield* collect(crowdsecCti, www, keys.crowdsec)).toEqual([])
      expect(yield* collect(onyphe, www, keys.onyphe)).toEqual([])
      expect(yield* collect(threatfox, www, keys.threatfox)).toEqual([])
      expect(yield* collect(spamhausDrop, www)).toEqual([])
      expect(yield* collect(ipapiIs, www, keys.ipapi_is)).toEqual([
        "ASN AS64500",
        "NETBLOCK 192.0.2.0/24",
        "ORGANIZATION Mirage Sandbox Ltd"
      ])
    }))

  it.scoped("the forgotten host: a phishing kit on OpenPhish's feed, its home page on Safe Browsing; look-alikes not", () =>
    Effect.gen(function*() {
      const domain = { type: "DOMAIN" as const, value: IntelWorld.domain }
      expect(yield* collect(openphish, domain)).toEqual(["URL http://legacy.mirage-sandbox.test/secure/login.php"])
      const legacy = { type: "DOMAIN" as const, value: "legacy.mirage-sandbox.test" }
      expect(yield* collect(googleSafebrowsing, legacy, keys.google_safebrowsing)).toEqual([
        "DOMAIN legacy.mirage-sandbox.test",
        "URL http://legacy.mirage-sandbox.test/"
      ])
      expect(yield* collect(googleSafebrowsing, domain, keys.google_safebrowsing)).toEqual([])
    }))

  it.scoped("Spamhaus DROP lists a hijacked half of the hosting range: a netblock overlapping it, not the mail host", () =>
    Effect.gen(function*() {
      expect(yield* collect(spamhausDrop, { type: "NETBLOCK", value: "198.51.100.0/24" })).toEqual([
        "NETBLOCK 198.51.100.128/25",
        "URL https://check.spamhaus.org/sbl/query/SBL600001"
      ])
      expect(yield* collect(spamhausDrop, { type: "IP", value: "198.51.100.25" })).toEqual([])
    }))

  it.scoped("the staging host's Jenkins CVE: critical per the NVD, known exploited per the NVD and CISA's catalog, scored by EPSS", () =>
    Effect.gen(function*() {
      const jenkins = { type: "VULNERABILITY" as const, value: "CVE-2024-23897" }
      const nvd = yield* collectFrom(nvdCve, jenkins, keys.nvd)
      expect(nvd.found).toEqual(["VULNERABILITY CVE-2024-23897"])
      expect(nvd.findings[0]?.metadata).toMatchObject({ severity: "CRITICAL", cvss: 9.8, known_exploited: true })
      const kev = yield* collectFrom(cisaKev, jenkins)
      expect(kev.found).toEqual([
        "VULNERABILITY CVE-2024-23897",
        "TECHNOLOGY Jenkins Jenkins Command Line Interface (CLI)"
      ])
      expect(kev.findings[0]?.metadata).toMatchObject({ known_exploited: true, kev: { ransomware: true } })
      const openssh = { type: "VULNERABILITY" as const, value: "CVE-2024-6387" }
      expect((yield* collectFrom(nvdCve, openssh)).findings[0]?.metadata).toMatchObject({
        severity: "HIGH",
        known_exploited: false
      })
      expect(yield* collect(cisaKev, openssh)).toEqual([])
      // FIRST's EPSS scores both: the exploited one near certain.
      const scored = yield* collectFrom(epss, jenkins)
      expect(scored.found).toEqual(["VULNERABILITY CVE-2024-23897"])
      expect(scored.findings[0]?.metadata).toMatchObject({ epss: 0.97433, epss_percentile: 0.99965 })
      expect((yield* collectFrom(epss, openssh)).findings[0]?.metadata).toMatchObject({ epss: 0.40417 })
      expect(yield* collect(epss, { type: "VULNERABILITY", value: "CVE-2020-0001" })).toEqual([])
    }))

  it.scoped("the scanners' views of the staging host (Censys, ZoomEye) and VirusTotal's verdicts on the VPN endpoint", () =>
    Effect.gen(function*() {
      const staging = { type: "IP" as const, value: "192.0.2.20" }
      expect(yield* collect(censysHosts, staging, IntelWorld.keys.censys)).toEqual(
        expect.arrayContaining(["OPEN_PORT 192.0.2.20:8080", "TECHNOLOGY Jenkins", "ASN AS64500"])
      )
      expect(yield* collect(zoomeyeHosts, staging, IntelWorld.keys.zoomeye)).toEqual(
        expect.arrayContaining([
          "OPEN_PORT 192.0.2.20:8080",
          "TECHNOLOGY Jenkins",
          "DOMAIN staging.mirage-sandbox.test"
        ])
      )
      expect(yield* collect(virustotalIp, vpn, IntelWorld.keys.virustotal)).toEqual([
        "IP 203.0.113.5",
        "ASN AS64502",
        "NETBLOCK 203.0.113.0/24",
        "ORGANIZATION Edge Transit Networks"
      ])
      expect(yield* collect(virustotalIp, www, IntelWorld.keys.virustotal)).not.toContain("IP 192.0.2.11")
    }))

  it.scoped("the favicon pivot: the website's icon, hashed and searched on Shodan, leads to the staging host", () =>
    Effect.gen(function*() {
      const world = yield* FixtureWorld.make
      const { ctx } = yield* contextFor(shodanFavicon.id, world.moduleEndpoints, IntelWorld.keys.shodan)
      const session = yield* shodanFavicon.open(world.moduleConfig["shodan_favicon"], ctx)
      const findings = yield* session.collect({ target: { type: "DOMAIN", value: IntelWorld.domain } })
      expect(findings.map((f) => `${f.type} ${f.value}`)).toEqual([
        "IP 192.0.2.20",
        "OPEN_PORT 192.0.2.20:8080",
        "DOMAIN staging.mirage-sandbox.test"
      ])
      expect(findings[0]?.metadata).toMatchObject({ favicon_hash: IntelWorld.sandboxFaviconHash })
    }))
})
