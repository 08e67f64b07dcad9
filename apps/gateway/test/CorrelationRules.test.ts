/**
 * An organization's correlation rules over real HTTP and real stores: admins upload a rule in SpiderFoot's YAML
 * format (others are refused, audited), a malformed one is refused naming its line and reason, each organization
 * sees its own, and an uploaded rule produces findings on the organization's scans (not on another's).
 */
import { HttpClientRequest } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { exampleRule } from "@mirage/domain/api/CorrelationRulesApi"
import { CollectionResult } from "@mirage/domain/CollectionTask"
import { Entity, resultHash } from "@mirage/domain/Entity"
import { deriveUuid, ModuleId, resultIdFor, ScanId, taskIdFor } from "@mirage/domain/Ids"
import type { OrganizationId } from "@mirage/domain/Ids"
import * as Correlator from "@mirage/runtime/monitoring/correlation/Correlator"
import * as RuleStorePostgres from "@mirage/runtime/monitoring/correlation/RuleStore/Postgres"
import { ResultStore } from "@mirage/runtime/scans/ResultStore"
import { DateTime, Effect, Layer, Logger, LogLevel } from "effect"
import * as Gateway from "./Gateway.js"
import type { Caller } from "./Gateway.js"

const TestLayer = Gateway.layer.pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Error)))

const upload = (yaml: string, caller: Caller) => Gateway.post("/correlation-rules", { yaml }, caller)
const del = (id: string, caller: Caller) =>
  Gateway.send(Gateway.as(caller)(HttpClientRequest.del(`/correlation-rules/${id}`)))

interface Problem {
  readonly status: number
  readonly errors: ReadonlyArray<{ readonly field: string; readonly message: string }>
}

/** A port a scan of `organization` found, and the findings its node's correlator makes of it. */
const findingsOn = (organization: OrganizationId, n: number) =>
  Effect.gen(function*() {
    const scanId = ScanId.make(deriveUuid("correlation-rules-test", organization, String(n)))
    const target = new Entity({ type: "DOMAIN", value: "example.com" })
    const hash = resultHash("OPEN_PORT", "192.0.2.7:22")
    const port = new CollectionResult({
      id: resultIdFor(scanId, hash),
      task_id: taskIdFor(scanId, "192.0.2.7", "port_scan_tcp"),
      scan_id: scanId,
      module_id: ModuleId.make("port_scan_tcp"),
      data_type: "OPEN_PORT",
      data: "192.0.2.7:22",
      source_data: {},
      confidence: 0.9,
      collected_at: DateTime.unsafeMake(Date.parse("2026-06-01T00:00:00Z")),
      metadata: {},
      hash,
      parent: null
    })
    // Stored, then observed, as a scan actor's result sink does.
    yield* Effect.orDie((yield* ResultStore).insert(scanId, [port]))
    // The node's correlator with no rules of its own: only what organizations uploaded.
    const correlator = yield* Correlator.make([]).pipe(Effect.provide(RuleStorePostgres.layer))
    return yield* correlator.observe({ scan_id: scanId, organization_id: organization, targets: [target] }, [port])
  })

layer(TestLayer, { excludeTestServices: true, timeout: "60 seconds" })("Correlation rules API", (it) => {
  it.effect("admins upload, list and delete their organization's rules; others are refused, all audited", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const analyst = yield* Gateway.sameOrganization(admin, "analyst")
      const viewer = yield* Gateway.sameOrganization(admin, "viewer")
      const stranger = yield* Gateway.newCaller("admin")

      const created = yield* upload(exampleRule, admin)
      expect(created.status, created.text).toBe(201)
      expect(created.body).toMatchObject({
        id: "remote_admin_open",
        organization_id: admin.organization_id,
        name: "Remote administration port open",
        risk: "HIGH",
        yaml: exampleRule
      })
      expect((yield* upload(exampleRule, analyst)).status).toBe(403)
      expect((yield* upload(exampleRule, viewer)).status).toBe(403)

      // The same id again replaces the rule.
      const replaced = yield* upload(exampleRule.replace("risk: HIGH", "risk: MEDIUM"), admin)
      expect(replaced.status, replaced.text).toBe(201)
      const listed = yield* Gateway.get("/correlation-rules", viewer)
      expect(listed.status, listed.text).toBe(200)
      expect((listed.body as { items: Array<{ id: string; risk: string }> }).items.map((r) => [r.id, r.risk]))
        .toEqual([["remote_admin_open", "MEDIUM"]])
      expect(((yield* Gateway.get("/correlation-rules", stranger)).body as { items: Array<unknown> }).items)
        .toEqual([])

      expect((yield* del("remote_admin_open", analyst)).status).toBe(403)
      expect((yield* del("remote_admin_open", stranger)).status).toBe(404)
      expect((yield* del("remote_admin_open", admin)).status).toBe(204)
      expect((yield* del("remote_admin_open", admin)).status).toBe(404)
      expect((yield* del("Not-An-Id", admin)).status).toBe(400)

      const audit = (yield* Gateway.get("/audit", admin)).body as {
        items: ReadonlyArray<{ action: string; outcome: string; status: number }>
      }
      const entries = audit.items
        .filter((item) => item.action.startsWith("correlation_rule."))
        .map((item) => `${item.action} ${item.outcome} ${item.status}`)
      expect(entries).toEqual(expect.arrayContaining([
        "correlation_rule.upload success 201",
        "correlation_rule.upload denied 403",
        "correlation_rule.delete success 204",
        "correlation_rule.delete failure 404"
      ]))
    }))

  it.effect("a malformed rule is refused with the line and the reason", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const refusals = [
        // A method SpiderFoot's format does not have, on line 12.
        [exampleRule.replace("      - method: regex", "      - method: glob"), 12, "collections.0.collect.1"],
        // Not YAML a rule can be: a key given twice, the second on line 7.
        [exampleRule.replace("  risk: HIGH", "  risk: HIGH\n  risk: LOW"), 7, "unique"],
        // A field that is not one, on line 13.
        [exampleRule.replace("field: data", "field: payload"), 13, "not a field: payload"],
        // No collections at all: reported on the top level.
        ["id: empty\nversion: 1\nmeta: { name: E, description: E, risk: LOW }\nheadline: E\n", 1, "collections"]
      ] as const
      for (const [yaml, line, reason] of refusals) {
        const answer = yield* upload(yaml, admin)
        expect(answer.status, answer.text).toBe(400)
        const problem = answer.body as Problem
        expect(problem.errors[0]!.field).toBe("yaml")
        expect(problem.errors[0]!.message).toMatch(new RegExp(`^line ${line}: `))
        expect(problem.errors[0]!.message).toContain(reason)
      }
      // An alias bomb is refused, not expanded.
      const row = (name: string, of: string) => `${name}: &${name} [${Array(10).fill(of).join(", ")}]`
      const bomb = [row("a", "x"), row("b", "*a"), row("c", "*b"), row("d", "*c"), "e: [*d, *d, *d, *d]"].join("\n")
      const exploded = yield* upload(bomb, admin)
      expect(exploded.status, exploded.text).toBe(400)
      expect((exploded.body as Problem).errors[0]!.message).toMatch(/alias/i)
      expect(((yield* Gateway.get("/correlation-rules", admin)).body as { items: Array<unknown> }).items).toEqual([])
    }))

  it.effect("an uploaded rule finds on the organization's scans, and only on them", () =>
    Effect.gen(function*() {
      const admin = yield* Gateway.newCaller("admin")
      const stranger = yield* Gateway.newCaller("admin")
      expect(yield* findingsOn(admin.organization_id, 1)).toEqual([])
      expect((yield* upload(exampleRule, admin)).status).toBe(201)
      const found = yield* findingsOn(admin.organization_id, 2)
      expect(found.map((result) => [result.data_type, result.data, result.metadata["rule_id"]])).toEqual([
        ["CORRELATION", "Remote administration port open: 192.0.2.7:22", "remote_admin_open"]
      ])
      expect(found[0]!.metadata["risk"]).toBe("HIGH")
      expect(yield* findingsOn(stranger.organization_id, 3)).toEqual([])
    }))
})
