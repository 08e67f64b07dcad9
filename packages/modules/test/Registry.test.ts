/** The registry: lookups, descriptions for the API, and config validation with useful messages. */
import { describe, expect, it } from "@effect/vitest"
import * as Registry from "@mirage/modules/Registry"
import { Either, Option, Schema } from "effect"

describe("Registry", () => {
  it("finds modules by id", () => {
    expect(Option.map(Registry.findModule("crtsh"), (module) => module.id)).toEqual(Option.some("crtsh"))
    expect(Option.map(Registry.findModule("dns_resolve"), (module) => module.id)).toEqual(Option.some("dns_resolve"))
    expect(Registry.findModule("nope")).toEqual(Option.none())
  })

  it("holds each module once; 68 since the SiteDossier, certificatedetails, ThreatMiner, BinaryEdge and PassiveTotal sources", () => {
    const ids = Registry.modules.map((module) => module.id)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids.length).toBeGreaterThanOrEqual(68)
    expect(ids).toEqual(
      expect.arrayContaining(["sitedossier", "certificatedetails", "threatminer", "binaryedge", "passivetotal"])
    )
  })

  it("holds the threat, reputation and vulnerability modules: 98 modules since them", () => {
    const ids = Registry.modules.map((module) => module.id)
    expect(ids.length).toBeGreaterThanOrEqual(98)
    expect(ids).toEqual(expect.arrayContaining([
      "greynoise_community",
      "abuseipdb",
      "censys_hosts",
      "zoomeye_hosts",
      "onyphe",
      "shodan_favicon",
      "threatfox",
      "google_safebrowsing",
      "openphish",
      "cisa_kev",
      "nvd_cve",
      "ipapi_is",
      "spamhaus_drop",
      "crowdsec_cti",
      "virustotal_ip"
    ]))
    // Modules that share a source declare it identically: one key, one rate limit, one endpoint.
    const bySource = new Map<string, string>()
    for (const module of Registry.modules) {
      const declared = JSON.stringify(module.source)
      expect(bySource.get(module.source.id) ?? declared, module.id).toBe(declared)
      bySource.set(module.source.id, declared)
    }
  })

  it("rejects an unknown module, naming it", () => {
    const result = Registry.validateModuleConfig("shodan_typo", {})
    expect(Either.isLeft(result)).toBe(true)
    const available = Registry.modules.map((module) => module.id).join(", ")
    expect(available.startsWith("dns_resolve, crtsh, ")).toBe(true)
    expect(Either.getLeft(result)).toEqual(Option.some(`unknown module: shodan_typo (available: ${available})`))
  })

  it("rejects an unknown config key, naming it", () => {
    const message = Either.getLeft(Registry.validateModuleConfig("dns_resolve", { ipv6: true, bogus: 1 }))
    expect(Option.getOrNull(message)).toBe(
      "module dns_resolve: invalid config: bogus is unexpected, expected: \"ipv4\" | \"ipv6\" | \"cname\""
    )
  })

  it("rejects a value of the wrong type or out of range, naming the key", () => {
    expect(Option.getOrNull(Either.getLeft(Registry.validateModuleConfig("dns_resolve", { ipv4: "yes" })))).toBe(
      "module dns_resolve: invalid config: ipv4 Expected boolean, actual \"yes\""
    )
    const range = Option.getOrNull(
      Either.getLeft(Registry.validateModuleConfig("crtsh", { max_certificates_per_name: 1000 }))
    )
    expect(range).toContain("max_certificates_per_name")
    expect(range).toContain("between 1 and 100")
    expect(Option.getOrNull(Either.getLeft(Registry.validateModuleConfig("crtsh", [1, 2])))).toBe(
      "module crtsh: invalid config: must be a JSON object"
    )
  })

  it("accepts a partial config and fills in the defaults", () => {
    expect(Registry.validateModuleConfig("crtsh", { emails: false })).toEqual(
      Either.right({ emails: false, exclude_expired: false, max_certificates_per_name: 10 })
    )
    expect(Registry.validateModuleConfig("dns_resolve", undefined)).toEqual(
      Either.right({ ipv4: true, ipv6: true, cname: true })
    )
  })

  it("every module's default_config is what {} decodes to", () => {
    for (const module of Registry.modules) {
      expect(module.validateConfig({})).toEqual(Either.right(module.default_config))
      expect(module.validateConfig(module.default_config)).toEqual(Either.right(module.default_config))
    }
  })

  it("describes every module in the API's schema", () => {
    const described = Registry.describe()
    expect(described.map((module) => module.id)).toEqual(Registry.modules.map((module) => module.id))
    expect(described.slice(0, 2).map((module) => module.id)).toEqual(["dns_resolve", "crtsh"])
    expect(new Set(described.map((module) => module.id)).size).toBe(described.length)
    for (const description of described) {
      expect(Either.isRight(Schema.decodeUnknownEither(Registry.ModuleDescription)(description))).toBe(true)
    }
    expect(described[1]).toEqual({
      id: "crtsh",
      description: "Finds subdomains and email addresses in Certificate Transparency logs via crt.sh",
      version: "1.1.0",
      author: "Mirage Team",
      input_types: ["DOMAIN"],
      output_types: ["DOMAIN", "EMAIL"],
      flags: ["passive", "safe"],
      default_config: { emails: true, exclude_expired: false, max_certificates_per_name: 10 },
      source: {
        id: "crtsh",
        name: "crt.sh Certificate Transparency search",
        baseUrl: "https://crt.sh",
        rateLimit: { requests: 1, perSeconds: 2, burst: 3 },
        requiresKey: false,
        proxy: true
      }
    })
  })

  it("every module declares passive or active, and every keyed source says so in its flags", () => {
    for (const module of Registry.modules) {
      expect(module.flags.includes("passive") !== module.flags.includes("active")).toBe(true)
      expect(module.flags.includes("needs-key")).toBe(module.source.requiresKey)
    }
  })

  it("production endpoints come from the base URLs the modules declare", () => {
    expect(Registry.productionEndpoints).toMatchObject({
      crtsh: "https://crt.sh",
      certspotter: "https://api.certspotter.com",
      rdap: "https://rdap.org",
      dnsServers: []
    })
    for (const module of Registry.modules) {
      if (module.source.baseUrl !== undefined) {
        expect(Registry.productionEndpoints[module.source.id]).toBe(module.source.baseUrl)
      }
    }
  })
})
