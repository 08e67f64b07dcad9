/**
 * GET /modules and /modules/{id} over real HTTP: every module with its flags, filters by flag and input type, and
 * whether its key is configured (a Shodan key is, from the configuration the gateway reads).
 */
import { expect, layer } from "@effect/vitest"
import { modules } from "@mirage/modules/Registry"
import { ConfigProvider, Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"

const shodanKey = "shodan-test-key-0123456789"

/** The environment as the gateway reads it, with a Shodan key configured (`MIRAGE_KEY_SHODAN`). */
const withShodanKey = Layer.setConfigProvider(
  ConfigProvider.fromMap(new Map([["MIRAGE_KEY_SHODAN", shodanKey]])).pipe(
    ConfigProvider.orElse(() => ConfigProvider.fromEnv())
  )
)

const TestLayer = Gateway.layer.pipe(
  Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)),
  Layer.provide(withShodanKey)
)

interface ModuleBody {
  readonly id: string
  readonly name: string
  readonly flags: ReadonlyArray<string>
  readonly input_types: ReadonlyArray<string>
  readonly requires_key: boolean
  readonly key_configured: boolean
  readonly source: { readonly id: string; readonly base_url: string | null }
}

const items = (answer: Gateway.Answer) => (answer.body as { items: ReadonlyArray<ModuleBody> }).items

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Modules", (it) => {
  it.effect("lists every module with its source, flags and key status", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("viewer")
      const answer = yield* Gateway.get("/modules", caller)
      expect(answer.status).toBe(200)
      expect(items(answer).map((m) => m.id)).toEqual(modules.map((m) => m.id))
      const crtsh = items(answer).find((m) => m.id === "crtsh")
      expect(crtsh).toMatchObject({
        name: "crt.sh Certificate Transparency search",
        flags: ["passive", "safe"],
        requires_key: false,
        key_configured: false,
        source: { id: "crtsh", base_url: "https://crt.sh" }
      })
      const shodan = yield* Gateway.get("/modules/shodan_host", caller)
      expect(shodan.status).toBe(200)
      expect(shodan.body).toMatchObject({
        requires_key: true,
        key_configured: true,
        flags: ["passive", "safe", "needs-key"]
      })
      expect(shodan.text).not.toContain(shodanKey)
      // Every module of the Shodan source says so, and no other.
      const configured = items(answer).filter((m) => m.key_configured).map((m) => m.source.id)
      expect(new Set(configured)).toEqual(new Set(["shodan"]))
      expect(answer.text).not.toContain(shodanKey)
      expect((yield* Gateway.get("/modules/nonesuch", caller)).status).toBe(404)
    }))

  it.effect("selects by flags (all of them) and by input type; an unknown flag is a 400", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("viewer")
      const passive = items(yield* Gateway.get("/modules?flags=passive,safe", caller))
      expect(passive.length).toBeGreaterThan(5)
      expect(passive.every((m) => m.flags.includes("passive") && m.flags.includes("safe"))).toBe(true)
      expect(passive.map((m) => m.id)).not.toContain("dns_brute")
      const ipModules = items(yield* Gateway.get("/modules?input_type=IP&flags=active", caller))
      expect(ipModules.map((m) => m.id)).toEqual(
        modules.filter((m) => m.input_types.includes("IP") && m.flags.includes("active")).map((m) => m.id)
      )
      const bad = yield* Gateway.get("/modules?flags=sneaky", caller)
      expect(bad.status).toBe(400)
      expect(bad.headers["content-type"]).toContain("application/problem+json")
    }))
})
