/** The catalogue's coverage of the schema: every entity type is produced by two modules or more and consumed by one. */
import { describe, expect, it } from "@effect/vitest"
import { entityTypes } from "@mirage/domain/Entity"
import { builtinTemplates } from "@mirage/domain/Template"
import { modules } from "@mirage/modules/Registry"

describe("entity coverage", () => {
  it("every entity type is produced by at least two modules and consumed by at least one", () => {
    // CORRELATION findings come from the correlation rules over a scan's results, not from a module.
    const gaps = entityTypes.filter((type) => type !== "CORRELATION").flatMap((type) => {
      const producers = modules.filter((module) => module.output_types.includes(type)).length
      const consumers = modules.filter((module) => module.input_types.includes(type)).length
      return [
        ...(producers < 2 ? [`${type} is produced by ${producers} module(s)`] : []),
        ...(consumers < 1 ? [`${type} is consumed by no module`] : [])
      ]
    })
    expect(gaps).toEqual([])
  })

  it("a module that enriches its input lists the input's type among its outputs", () => {
    // An enrichment is a finding of the task's own entity: a module that makes them must say it outputs that type.
    for (
      const id of ["phone", "numverify", "dnsbl", "epss", "nvd_cve", "cisa_kev", "hibp_breach", "certificate_analysis"]
    ) {
      const module = modules.find((m) => m.id === id)
      expect(module, id).toBeDefined()
      expect(module!.input_types.some((type) => module!.output_types.includes(type)), id).toBe(true)
    }
  })

  it("built-in templates name installed modules; only cloud-exposure guesses buckets, so that stays opt-in", () => {
    const ids = new Set(modules.map((module) => module.id as string))
    for (const template of builtinTemplates) {
      expect(template.modules.filter((id) => !ids.has(id)), template.id).toEqual([])
      // A scan refuses a module listed twice.
      expect(new Set(template.modules).size, template.id).toBe(template.modules.length)
    }
    const buckets = builtinTemplates.filter((template) => template.modules.includes("storage_buckets" as never))
    expect(buckets.map((template) => template.id)).toEqual(["cloud-exposure"])
    // Nor does a selection by flags pick it: it is neither passive nor safe.
    expect(modules.find((m) => m.id === "storage_buckets")?.flags).toEqual(["active", "aggressive"])
    const infrastructure = builtinTemplates.find((template) => template.id === "ip-infrastructure-mapping")!
    expect(infrastructure.modules).toEqual(expect.arrayContaining(["netblock_ptr_sweep", "tls_summary", "dnsbl"]))
  })

  it("every reputation and threat module is in a built-in template, each where its input is found", () => {
    const threats = [
      "dnsbl",
      "spamhaus_drop",
      "greynoise_community",
      "otx_reputation",
      "openphish",
      "urlhaus_host",
      "threatfox",
      "google_safebrowsing",
      "abuseipdb",
      "crowdsec_cti",
      "nvd_cve",
      "cisa_kev",
      "epss"
    ]
    const named = (id: string) =>
      builtinTemplates.find((template) => template.id === id)!.modules as ReadonlyArray<string>
    expect(named("threat-reputation")).toEqual(expect.arrayContaining(threats))
    expect(named("full-domain-footprint")).toEqual(expect.arrayContaining(threats))
    // From an address: the address and network lists, and the CVEs found on it; not the URL and phishing lists.
    expect(named("ip-infrastructure-mapping")).toEqual(
      expect.arrayContaining(["spamhaus_drop", "greynoise_community", "abuseipdb", "crowdsec_cti", "cisa_kev", "epss"])
    )
    expect(named("ip-infrastructure-mapping")).not.toContain("openphish")
    // Each template reaches the threat modules it names: one of the template's targets or modules yields their input.
    for (const template of builtinTemplates) {
      const reachable = new Set<string>(template.target_types)
      for (let round = 0; round < 4; round++) {
        for (const id of template.modules) {
          const module = modules.find((m) => m.id === id)!
          if (module.input_types.some((type) => reachable.has(type))) {
            for (const type of module.output_types) reachable.add(type)
          }
        }
      }
      for (const id of template.modules.filter((m) => threats.includes(m))) {
        const module = modules.find((m) => m.id === id)!
        expect(module.input_types.some((type) => reachable.has(type)), `${template.id}: ${id}`).toBe(true)
      }
    }
  })
})
