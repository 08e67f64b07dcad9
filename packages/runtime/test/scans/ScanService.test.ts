/**
 * The scan and template use cases over memory twins: the ids they draw come from Effect's Random, so a seeded run
 * creates the same scan, command and template ids every time (and the creation's checks still name every problem).
 */
import { describe, expect, it } from "@effect/vitest"
import { ApiKeyId, Principal } from "@mirage/domain/api/Authentication"
import { Entity } from "@mirage/domain/Entity"
import { ModuleId, OrganizationId, TemplateId, UserId } from "@mirage/domain/Ids"
import { CreateScanRequest, ScanModule } from "@mirage/domain/Scan"
import { CreateTemplateRequest } from "@mirage/domain/Template"
import { describe as describeModules } from "@mirage/modules/Registry"
import * as RepliesMemory from "@mirage/runtime/cluster/Replies/Memory"
import * as ShardInboxMemory from "@mirage/runtime/cluster/ShardInbox/Memory"
import * as CredentialsMemory from "@mirage/runtime/collection/Credentials/Memory"
import * as ModuleCatalog from "@mirage/runtime/collection/ModuleCatalog"
import * as Tracing from "@mirage/runtime/platform/Tracing"
import { ScanDependencies } from "@mirage/runtime/scans/Chaining"
import { EventStore } from "@mirage/runtime/scans/EventStore"
import * as EventStoreMemory from "@mirage/runtime/scans/EventStore/Memory"
import { ScanQuotas } from "@mirage/runtime/scans/Quotas"
import * as ResultStoreMemory from "@mirage/runtime/scans/ResultStore/Memory"
import * as ScanReadModelMemory from "@mirage/runtime/scans/ScanReadModel/Memory"
import * as ScanService from "@mirage/runtime/scans/ScanService"
import * as TemplatesMemory from "@mirage/runtime/scans/Templates/Memory"
import * as TemplateService from "@mirage/runtime/scans/TemplateService"
import * as WebhooksMemory from "@mirage/runtime/scans/Webhooks/Memory"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer, Option, Random } from "effect"

const principal = Principal.make({
  key_id: ApiKeyId.make("00000000-0000-4000-8000-00000000000c"),
  user_id: UserId.make("00000000-0000-4000-8000-00000000000b"),
  organization_id: OrganizationId.make("00000000-0000-4000-8000-00000000000a"),
  role: "admin"
})

const catalog = ModuleCatalog.layerMemory([
  { id: ModuleId.make("dns_resolve"), input_types: ["DOMAIN"], output_types: ["IP"], default_config: {} }
])

/** Creation reaches neither quotas nor chaining without dependencies. */
const unused = () => Effect.dieMessage("not used by a creation without dependencies")
const stubs = Layer.mergeAll(
  Layer.succeed(
    ScanQuotas,
    ScanQuotas.of({
      limits: unused,
      overrides: unused,
      override: unused,
      admit: unused,
      position: unused,
      unstarted: unused,
      release: unused
    })
  ),
  Layer.succeed(
    ScanDependencies,
    ScanDependencies.of({
      stage: unused,
      sync: unused,
      discard: unused,
      staged: unused,
      dependents: unused,
      reaches: unused
    })
  )
)

/** The service over fresh memory twins; the event store too, to read back what creation appended. */
const fresh = (modules: Layer.Layer<ModuleCatalog.ModuleCatalog> = catalog) =>
  Layer.mergeAll(
    ScanService.layerPorts({ commandWaitMs: 50, projectionWaitMs: 50 }),
    TemplateService.layerPorts
  ).pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        modules,
        EventStoreMemory.layerFresh,
        ShardInboxMemory.layer(ShardInboxMemory.makeStore(4)),
        RepliesMemory.layer(RepliesMemory.makeMemoryHub()),
        ScanReadModelMemory.layer(ScanReadModelMemory.makeStore()),
        ResultStoreMemory.layerFresh,
        TemplatesMemory.layer,
        WebhooksMemory.layerStore,
        stubs
      )
    )
  )

const request = CreateScanRequest.make({
  name: "example",
  target: Entity.make({ type: "DOMAIN", value: "example.com" }),
  modules: [ScanModule.make({ id: ModuleId.make("dns_resolve") })]
})

/** The ids a run under `seed` draws: the scan's, its creation command's, and a template's. */
const idsUnder = (seed: number) =>
  Effect.gen(function*() {
    const scans = yield* ScanService.ScanService
    const templates = yield* TemplateService.TemplateService
    const { scan } = yield* scans.create(principal, request)
    const log = yield* (yield* EventStore).load(scan.id)
    const template = yield* templates.create(
      principal,
      CreateTemplateRequest.make({ name: "t", target_types: ["DOMAIN"], modules: request.modules ?? [] })
    )
    return { scan: scan.id, log: Option.isSome(log), template: template.id }
  }).pipe(Effect.provide(fresh()), Effect.withRandom(Random.make(seed)))

const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("ScanService", () => {
  it.effect("draws its ids from Effect's Random: a seeded run creates the same scan and template", () =>
    Effect.gen(function*() {
      const first = yield* idsUnder(7)
      const replay = yield* idsUnder(7)
      const other = yield* idsUnder(8)
      expect(first.log).toBe(true)
      expect(replay).toEqual(first)
      expect(other.scan).not.toBe(first.scan)
      expect(other.template).not.toBe(first.template)
      expect(first.scan).toMatch(v4)
      expect(first.template).toMatch(v4)
    }))

  it.effect("runs a use case under the caller's span: its spans nest in the request's", () =>
    Effect.gen(function*() {
      const exporter = new InMemorySpanExporter()
      const spans = yield* Effect.gen(function*() {
        const scans = yield* ScanService.ScanService
        yield* scans.create(principal, request).pipe(Effect.withSpan("request", { captureStackTrace: false }))
        return exporter.getFinishedSpans().map((span) => ({
          name: span.name,
          id: span.spanContext().spanId,
          parent: span.parentSpanContext?.spanId
        }))
      }).pipe(
        Effect.provide(fresh()),
        Effect.provide(Tracing.layerWith("mirage-test", new SimpleSpanProcessor(exporter)))
      )
      const outer = spans.find((span) => span.name === "request")
      expect(spans.find((span) => span.name === "ScanService.create")?.parent).toBe(outer?.id)
    }))

  it.effect("names every problem of a creation, in the order of its fields", () =>
    Effect.gen(function*() {
      const scans = yield* ScanService.ScanService
      const error = yield* Effect.flip(scans.create(
        principal,
        CreateScanRequest.make({
          name: "broken",
          target: Entity.make({ type: "IP", value: "not an ip" }),
          template_id: TemplateId.make("no-such-template"),
          modules: [
            ScanModule.make({ id: ModuleId.make("nope") }),
            ScanModule.make({ id: ModuleId.make("dns_resolve"), config: { unknown: 1 } })
          ]
        })
      ))
      expect(error._tag).toBe("BadRequest")
      expect(error._tag === "BadRequest" ? error.errors.map((e) => e.field) : []).toEqual([
        "target.value",
        "template_id",
        "modules[0].id",
        "modules[1].config"
      ])
    }).pipe(Effect.provide(fresh())))

  it.effect("a template's keyed modules whose source has no key configured are left out, with a warning", () =>
    Effect.gen(function*() {
      const scans = yield* ScanService.ScanService
      const { scan, warnings } = yield* scans.create(
        principal,
        CreateScanRequest.make({
          name: "passive",
          target: Entity.make({ type: "DOMAIN", value: "example.com" }),
          template_id: TemplateId.make("passive-domain-footprint")
        })
      )
      // crtsh needs no key; VirusTotal's is configured; GitHub code search needs one that is not.
      expect(scan.modules.map((m) => m.id)).toEqual(["crtsh", "virustotal_domain"])
      expect(warnings.filter((w) => w.includes("needs an API key"))).toEqual([
        "module github_code_search of the template needs an API key and none is configured: scans from it skip it"
      ])
      // A scan naming it runs it all the same (its tasks say why they fail).
      const named = yield* scans.create(
        principal,
        CreateScanRequest.make({
          name: "named",
          target: Entity.make({ type: "DOMAIN", value: "example.com" }),
          modules: [ScanModule.make({ id: ModuleId.make("github_code_search") })]
        })
      )
      expect(named.scan.modules.map((m) => m.id)).toEqual(["github_code_search"])
    }).pipe(Effect.provide(fresh(
      ModuleCatalog.layerKeyed(
        describeModules().filter((m) => ["crtsh", "virustotal_domain", "github_code_search"].includes(m.id))
      ).pipe(Layer.provide(CredentialsMemory.layer({ virustotal: ["vt-key"] })))
    ))))
})
