/** Authentication and authorization over real HTTP: bearer keys, revocation, roles, public endpoints. */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { ApiKeys } from "@mirage/runtime/tenancy/ApiKeys"
import { Effect, Layer, Logger, LogLevel, Redacted } from "effect"
import * as Gateway from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)))

const expectProblem = (answer: Gateway.Answer, status: number) => {
  expect(answer.status).toBe(status)
  expect(answer.headers["content-type"]).toContain("application/problem+json")
  expect(answer.body).toMatchObject({ status, type: expect.any(String), title: expect.any(String) })
  expect(typeof (answer.body as { detail: unknown }).detail).toBe("string")
}

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Auth", (it) => {
  it.effect("answers /health without a key", () =>
    Effect.gen(function*() {
      const answer = yield* Gateway.get("/health")
      expect(answer.status).toBe(200)
      // No node runs here: alive, with the cluster's state.
      expect(answer.body).toMatchObject({ status: "degraded", live_nodes: 0 })
    }))

  it.effect("serves /openapi.json and /docs without a key", () =>
    Effect.gen(function*() {
      expect((yield* Gateway.get("/openapi.json")).status).toBe(200)
      const docs = yield* Gateway.get("/docs")
      expect(docs.status).toBe(200)
      expect(docs.headers["content-type"]).toContain("text/html")
    }))

  it.effect("refuses a request without a key: 401 problem with a Bearer challenge", () =>
    Effect.gen(function*() {
      const answer = yield* Gateway.get("/scans")
      expectProblem(answer, 401)
      expect(answer.headers["www-authenticate"]).toMatch(/^Bearer /)
    }))

  it.effect("refuses an unknown key and a malformed Authorization header", () =>
    Effect.gen(function*() {
      const unknown = yield* Gateway.send(
        HttpClientRequest.get("/scans").pipe(HttpClientRequest.bearerToken("mk_not_a_key_of_anyone_0000000000000"))
      )
      expectProblem(unknown, 401)
      expect(unknown.headers["www-authenticate"]).toContain(`error="invalid_token"`)
      const basic = yield* Gateway.send(
        HttpClientRequest.get("/scans").pipe(HttpClientRequest.basicAuth("user", "password"))
      )
      expectProblem(basic, 401)
    }))

  it.effect("refuses a revoked key", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("analyst")
      expect((yield* Gateway.get("/scans", caller)).status).toBe(200)
      expect(yield* Effect.flatMap(ApiKeys, (keys) => keys.revoke(caller.key_id))).toBe(true)
      const answer = yield* Gateway.get("/scans", caller)
      expectProblem(answer, 401)
      expect(answer.text).not.toContain(Redacted.value(caller.key))
    }))

  it.effect("lets a viewer read but not write (403)", () =>
    Effect.gen(function*() {
      const viewer = yield* Gateway.newCaller("viewer")
      expect((yield* Gateway.get("/scans", viewer)).status).toBe(200)
      const before = yield* Gateway.count("scans")
      const answer = yield* Gateway.post("/scans", Gateway.domainScan("by a viewer"), viewer)
      expectProblem(answer, 403)
      expect(yield* Gateway.count("scans")).toBe(before)
    }))

  it.effect("bootstraps the admin key idempotently", () =>
    Effect.gen(function*() {
      const keys = yield* ApiKeys
      const key = Redacted.make("mk_bootstrap_key_for_tests_0123456789abcdef")
      const first = yield* keys.bootstrap(key)
      const second = yield* keys.bootstrap(key)
      expect(second).toEqual(first)
      expect(first.role).toBe("admin")
      expect(yield* keys.bootstrapped).toBe(true)
      const admin: Gateway.Caller = { key, ...first }
      const created = yield* Gateway.post("/scans", Gateway.domainScan("by the admin"), admin)
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ organization_id: first.organization_id, user_id: first.user_id })
    }))

  it.effect("refuses a weak bootstrap key", () =>
    Effect.gen(function*() {
      const keys = yield* ApiKeys
      const error = yield* Effect.flip(keys.bootstrap(Redacted.make("short")))
      expect(error._tag).toBe("WeakKey")
      expect(String(error.message)).not.toContain("short")
    }))

  it.effect("stores keys only as hashes", () =>
    Effect.gen(function*() {
      const caller = yield* Gateway.newCaller("admin")
      const rows = yield* Gateway.keyRows
      const value = Redacted.value(caller.key)
      expect(value).toMatch(/^mk_[A-Za-z0-9_-]{43}$/)
      const row = rows.find((r) => r.id === caller.key_id)
      expect(row).toBeDefined()
      expect(row?.prefix).toBe(value.slice(0, 10))
      expect(row?.key_hash).toMatch(/^[0-9a-f]{64}$/)
      expect(JSON.stringify(rows)).not.toContain(value)
    }))
})
