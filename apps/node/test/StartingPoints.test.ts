/**
 * Scans that start from something other than a domain, through the built-in templates made for them, in the sandbox
 * world: each completes, and finds entities of several types from its starting point.
 */
import { describe, expect, layer as withLayer } from "@effect/vitest"
import type { EntityType } from "@mirage/domain/Entity"
import { IntelWorld } from "@mirage/testkit"
import { Effect } from "effect"
import { newCaller, post } from "../../gateway/test/Gateway.js"
import { allResults, layer, startAndWait, startNode, World, worldExecutor } from "./Stack.js"

const scanFrom = (template: string, type: EntityType, value: string, recursion_depth?: number) =>
  Effect.gen(function*() {
    const caller = yield* newCaller("analyst")
    const created = yield* post("/scans", {
      name: `${template} from ${type}`,
      target: { type, value },
      template_id: template,
      configuration: {
        max_results: 10_000,
        max_duration: 120,
        ...(recursion_depth === undefined ? {} : { recursion_depth })
      }
    }, caller)
    const { id, status } = yield* startAndWait(created, caller)
    const results = yield* allResults(id, caller)
    return { status, types: new Set(results.map((r) => r.data_type)), results }
  })

describe("starting points", () => {
  withLayer(layer, { timeout: 180_000, excludeTestServices: true })((it) => {
    it.scoped("an AS: its prefixes, its peering record and the organization behind it", () =>
      Effect.gen(function*() {
        yield* startNode("starts-asn")
        const asn = `AS${IntelWorld.autonomousSystems[0]!.asn}`
        const { status, types } = yield* scanFrom("organization-footprint", "ASN", asn)
        expect(status).toBe("COMPLETED")
        expect(types.size).toBeGreaterThanOrEqual(3)
        expect([...types].sort()).toEqual(expect.arrayContaining(["NETBLOCK", "ORGANIZATION", "URL"]))
      }))

    it.scoped("an email address: its public profile, the accounts it names and the sites they lead to", () =>
      Effect.gen(function*() {
        yield* startNode("starts-email")
        const { status, types, results } = yield* scanFrom(
          "person-investigation",
          "EMAIL",
          IntelWorld.profiles[0]!.email
        )
        expect(status).toBe("COMPLETED")
        expect(types.size).toBeGreaterThanOrEqual(3)
        expect(types.has("USERNAME")).toBe(true)
        // The user name the profile names was followed to the code hosts.
        expect(results.some((r) => r.module_id === "github_org" || r.module_id === "gitlab_projects")).toBe(true)
      }))

    it.scoped("an organization's account name: its repositories, projects and images, its public members and the domains they prove", () =>
      Effect.gen(function*() {
        yield* startNode("starts-org")
        const account = IntelWorld.codeAccounts[0]!
        const { status, types, results } = yield* scanFrom("organization-footprint", "ORGANIZATION", account.login)
        expect(status).toBe("COMPLETED")
        expect(types.size).toBeGreaterThanOrEqual(3)
        expect([...types]).toEqual(expect.arrayContaining(["URL", "USERNAME", "DOMAIN"]))
        const members = results.filter((r) => r.data_type === "USERNAME").map((r) => r.data)
        expect(members).toEqual(expect.arrayContaining([...account.members]))
        // A member followed to Keybase: the company domain he proves.
        expect(results.some((r) => r.module_id === "keybase" && r.data === "mirage-sandbox.test")).toBe(true)
      }))

    it.scoped("an address: its names, its network and who runs it", () =>
      Effect.gen(function*() {
        yield* startNode("starts-ip")
        const { status, types } = yield* scanFrom("ip-infrastructure-mapping", "IP", "192.0.2.10")
        expect(status).toBe("COMPLETED")
        expect(types.size).toBeGreaterThanOrEqual(3)
        expect(types.has("DOMAIN")).toBe(true)
      }))

    it.scoped("a netblock: swept for names, the addresses they lead to and what runs there", () =>
      Effect.gen(function*() {
        yield* startNode("starts-netblock")
        const { results, status, types } = yield* scanFrom("ip-infrastructure-mapping", "NETBLOCK", "192.0.2.8/29", 2)
        expect(status).toBe("COMPLETED")
        expect(types.size).toBeGreaterThanOrEqual(3)
        expect(results.some((r) => r.module_id === "netblock_ptr_sweep" && r.data === "www.mirage-sandbox.test"))
          .toBe(true)
      }))

    it.scoped("a user name: the accounts it holds and proves, and the domains it proves", () =>
      Effect.gen(function*() {
        yield* startNode("starts-username")
        const { results, status, types } = yield* scanFrom(
          "person-investigation",
          "USERNAME",
          IntelWorld.keybaseUsers[0]!.username
        )
        expect(status).toBe("COMPLETED")
        expect(types.size).toBeGreaterThanOrEqual(3)
        expect(results.some((r) => r.module_id === "keybase" && r.data_type === "DOMAIN")).toBe(true)
      }))

    it.scoped("a phone number: what it is, who carries it, and the domains registered with it", () =>
      Effect.gen(function*() {
        const world = yield* World
        const keys = { numverify: [IntelWorld.keys.numverify], whoisxml_reverse: [IntelWorld.keys.whoisxml_reverse] }
        yield* startNode("starts-phone", worldExecutor(world, keys))
        const phone = IntelWorld.sandboxPhone
        const { results, status, types } = yield* scanFrom("person-investigation", "PHONE", `+${phone.number}`)
        expect(status).toBe("COMPLETED")
        expect(types.size).toBeGreaterThanOrEqual(3)
        expect([...types]).toEqual(expect.arrayContaining(["DOMAIN", "ORGANIZATION"]))
        // Both pages of the reverse WHOIS search were read.
        const registered = results.filter((r) => r.module_id === "whoisxml_reverse_phone").map((r) => r.data).sort()
        expect(registered).toEqual([...phone.domains].sort())
        expect(results.some((r) => r.module_id === "numverify" && r.data === phone.carrier)).toBe(true)
      }))
  })
})
