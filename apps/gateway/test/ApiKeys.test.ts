/**
 * Revoking API keys keeps an organization's way in, under concurrency too: two admins revoking each other at the same
 * moment leave exactly one admin key, every time (the check and the revocation are one transaction in PostgreSQL).
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { ApiKeys } from "@mirage/runtime/tenancy/ApiKeys"
import { Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.None)))

const tries = 25

const revoke = (caller: Gateway.Caller, id: string) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.del(`/api-keys/${id}`)))

layer(TestLayer, { excludeTestServices: true, timeout: "120 seconds" })("API keys", (it) => {
  it.effect("two admins revoking each other at once leave exactly one admin key, every time", () =>
    Effect.gen(function*() {
      const keys = yield* ApiKeys
      const outcomes: Array<string> = []
      for (let i = 0; i < tries; i++) {
        const first = yield* Gateway.newCaller("admin")
        const second = yield* Gateway.sameOrganization(first, "admin")
        const [a, b] = yield* Effect.all([revoke(first, second.key_id), revoke(second, first.key_id)], {
          concurrency: "unbounded"
        })
        outcomes.push([a.status, b.status].sort().join("/"))
        const live = (yield* keys.list(first.organization_id)).filter((k) =>
          k.role === "admin" && k.revoked_at === null
        )
        expect(live, `try ${i}: ${a.status} ${a.text} / ${b.status} ${b.text}`).toHaveLength(1)
      }
      // One of each pair won and the other was refused (or found its own key gone).
      for (const outcome of outcomes) expect(["204/409", "204/401"]).toContain(outcome)
    }))

  it.effect("an admin revokes a colleague's key and any analyst key; an unknown or revoked key is 404", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const analyst = yield* Gateway.sameOrganization(admin, "analyst")
      const colleague = yield* Gateway.sameOrganization(admin, "admin")
      expect((yield* revoke(admin, analyst.key_id)).status).toBe(204)
      expect((yield* revoke(admin, analyst.key_id)).status).toBe(404)
      expect((yield* revoke(admin, colleague.key_id)).status).toBe(204)
      // The one admin key left cannot go: it is the caller's own.
      expect((yield* revoke(admin, admin.key_id)).status).toBe(409)
      const stranger = yield* Gateway.newCaller("admin")
      expect((yield* revoke(admin, stranger.key_id)).status).toBe(404)
      expect((yield* revoke(admin, admin.key_id.toUpperCase())).status).toBe(409)
    }))
})
