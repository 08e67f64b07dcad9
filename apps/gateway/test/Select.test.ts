/**
 * Choosing modules by flag beyond the built-in templates: `"select": {"flags": [...], "exclude": [...]}` on POST and
 * PUT /templates and on POST /scans picks every installed module with all of the flags and none of the excluded,
 * besides the modules the request names; an unknown flag is a 400 naming the field.
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)))

interface Problem {
  readonly status: number
  readonly errors: ReadonlyArray<{ readonly field: string; readonly message: string }>
}

const ids = (body: unknown) =>
  (body as { readonly modules: ReadonlyArray<{ readonly id: string }> }).modules.map((m) => m.id)

const put = (path: string, caller: Gateway.Caller, body: unknown) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.put(path).pipe(HttpClientRequest.bodyUnsafeJson(body))))

const refused = (answer: Gateway.Answer) => {
  expect(answer.status, answer.text).toBe(400)
  return (answer.body as Problem).errors
}

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Choosing modules by flag", (it) => {
  it.effect("a template's modules: those named, then those the flags pick; on update the selection replaces them", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const created = yield* Gateway.post("/templates", {
        name: "passive and DNS",
        target_types: ["DOMAIN"],
        modules: [{ id: "dns_resolve", config: { timeout_ms: 500 } }],
        select: { flags: ["passive", "safe"], exclude: ["needs-key"] }
      }, caller)
      expect(created.status, created.text).toBe(201)
      expect(ids(created.body)).toEqual(["dns_resolve", "crtsh", "ip_asn"])
      // Chosen modules get their defaults, as named ones do.
      expect((created.body as { modules: ReadonlyArray<unknown> }).modules[1]).toEqual({
        id: "crtsh",
        enabled: true,
        config: { include_expired: false }
      })
      const onlyFlags = yield* Gateway.post("/templates", {
        name: "every passive",
        target_types: ["DOMAIN", "PHONE"],
        select: { flags: ["passive"] }
      }, caller)
      expect(onlyFlags.status, onlyFlags.text).toBe(201)
      expect(ids(onlyFlags.body)).toEqual(["crtsh", "ip_asn", "phone_lookup"])

      const path = `/templates/${(created.body as { id: string }).id}`
      const updated = yield* put(path, caller, { select: { flags: ["active"] } })
      expect(updated.status, updated.text).toBe(200)
      expect(ids(updated.body)).toEqual(["dns_resolve"])
      const renamed = yield* put(path, caller, { name: "renamed" })
      expect(ids(renamed.body)).toEqual(["dns_resolve"])
    }))

  it.effect("an unknown flag is a 400 naming it; nothing named or chosen is a 400 too", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const typo = refused(
        yield* Gateway.post("/templates", {
          name: "typo",
          target_types: ["DOMAIN"],
          select: { flags: ["passive", "pasive"] }
        }, caller)
      )
      expect(typo.map((e) => e.field)).toEqual(["select.flags[1]"])
      expect(typo[0]?.message).toContain("\"passive\"")
      const excluded = refused(
        yield* Gateway.post("/scans", {
          name: "typo",
          target: { type: "DOMAIN", value: "example.com" },
          select: { flags: ["passive"], exclude: ["noisey"] }
        }, caller)
      )
      expect(excluded.map((e) => e.field)).toEqual(["select.exclude[0]"])
      expect(
        refused(
          yield* Gateway.post("/scans", {
            name: "no flags",
            target: { type: "DOMAIN", value: "example.com" },
            select: { flags: [] }
          }, caller)
        ).map((e) => e.field)
      ).toEqual(["select.flags"])
      const empty = refused(yield* Gateway.post("/templates", { name: "empty", target_types: ["DOMAIN"] }, caller))
      expect(empty.map((e) => e.field)).toEqual(["modules"])
      const none = refused(
        yield* Gateway.post("/templates", {
          name: "none",
          target_types: ["DOMAIN"],
          select: { flags: ["aggressive"] }
        }, caller)
      )
      expect(none).toEqual([{ field: "select", message: "no installed module has the flags aggressive" }])
    }))

  it.effect("a scan takes its template's (or its own) modules and those the flags pick", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      const scan = yield* Gateway.post("/scans", {
        name: "passive footprint",
        target: { type: "DOMAIN", value: "example.com" },
        select: { flags: ["passive", "safe"], exclude: ["needs-key"] }
      }, caller)
      expect(scan.status, scan.text).toBe(201)
      expect(ids(scan.body)).toEqual(["crtsh", "ip_asn"])
      const mixed = yield* Gateway.post("/scans", {
        name: "DNS and passive",
        target: { type: "DOMAIN", value: "example.com" },
        modules: [{ id: "dns_resolve" }, { id: "crtsh", enabled: false }],
        select: { flags: ["passive"], exclude: ["needs-key"] }
      }, caller)
      expect(mixed.status, mixed.text).toBe(201)
      // A module named stays as named (here disabled), even when the flags would pick it.
      expect((mixed.body as { modules: ReadonlyArray<{ id: string; enabled: boolean }> }).modules.map((m) => [
        m.id,
        m.enabled
      ])).toEqual([["dns_resolve", true], ["crtsh", false], ["ip_asn", true]])
      const template = yield* Gateway.post("/templates", {
        name: "names only",
        target_types: ["DOMAIN"],
        modules: [{ id: "crtsh" }]
      }, caller)
      const fromTemplate = yield* Gateway.post("/scans", {
        name: "template plus active",
        target: { type: "DOMAIN", value: "example.com" },
        template_id: (template.body as { id: string }).id,
        select: { flags: ["active"] }
      }, caller)
      expect(fromTemplate.status, fromTemplate.text).toBe(201)
      expect(ids(fromTemplate.body)).toEqual(["crtsh", "dns_resolve"])
    }))

  it.effect("OpenAPI documents select on scans and templates, with an example", () =>
    Effect.gen(function*() {
      const answer = yield* Gateway.get("/openapi.json")
      expect(answer.status).toBe(200)
      const document = answer.body as {
        readonly paths: Record<
          string,
          Record<string, { requestBody?: { content: Record<string, { example?: unknown }> } }>
        >
      }
      const example = (path: string) =>
        document.paths[path]?.["post"]?.requestBody?.content["application/json"]?.example
      expect(example("/scans")).toMatchObject({ select: { flags: ["passive", "safe"] } })
      expect(example("/templates")).toMatchObject({ select: { flags: ["passive", "safe"] } })
      expect(answer.text).toContain("ModuleSelection")
    }))
})
