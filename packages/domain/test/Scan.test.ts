import { describe, expect, it } from "@effect/vitest"
import { deriveUuid } from "@mirage/domain/Ids"
import {
  CreateScanRequest,
  defaultConfiguration,
  Dependencies,
  isTerminal,
  limits,
  Scan,
  ScanConfiguration,
  ScanConfigurationInput,
  ScanDefinition,
  ScanModule,
  terminalStatuses,
  UpdateScanRequest
} from "@mirage/domain/Scan"
import { toScan } from "@mirage/domain/ScanMachine"
import { Template } from "@mirage/domain/Template"
import { DateTime, Either, FastCheck, Schema } from "effect"
import { Driver, T0 } from "./support.js"

const decode = <A, I>(schema: Schema.Schema<A, I>) => (input: unknown) => Schema.decodeUnknownEither(schema)(input)
const accepted = <A, I>(schema: Schema.Schema<A, I>, input: unknown): A =>
  Either.getOrElse(decode(schema)(input), (error) => {
    throw new Error(`refused: ${error.message}`)
  })
const refused = <A, I>(schema: Schema.Schema<A, I>, input: unknown): boolean => Either.isLeft(decode(schema)(input))

const minimal = { name: "recon", target: { type: "DOMAIN", value: "example.com" } }

describe("CreateScanRequest", () => {
  it("needs only a name and a target", () => {
    const request = accepted(CreateScanRequest, minimal)
    expect(request.name).toBe("recon")
    expect(request.target).toEqual({ type: "DOMAIN", value: "example.com" })
    // unset fields stay unset: they are filled from the template first, then from the defaults
    expect(request.description).toBeUndefined()
    expect(request.modules).toBeUndefined()
    expect(request.configuration).toBeUndefined()
    expect(request.template_id).toBeUndefined()
    expect(request.depends_on).toBeUndefined()
  })

  it("takes a partial configuration, keeping only what was given", () => {
    const request = accepted(CreateScanRequest, { ...minimal, configuration: { max_results: 5 } })
    expect(request.configuration).toEqual({ max_results: 5 })
    const empty = accepted(CreateScanRequest, { ...minimal, configuration: {} })
    expect(empty.configuration).toEqual({})
    // what the defaults then make of it
    expect(ScanConfiguration.make({ max_results: request.configuration?.max_results ?? 0 })).toEqual(
      ScanConfiguration.make({ max_duration: 3600, max_results: 5, priority: "MEDIUM", recursion_depth: 2 })
    )
  })

  it("fills in a module's defaults", () => {
    const request = accepted(CreateScanRequest, {
      ...minimal,
      modules: [{ id: "dns" }, { id: "crtsh", enabled: false }]
    })
    expect(request.modules).toEqual([
      ScanModule.make({ id: "dns" as ScanModule["id"], enabled: true, config: {} }),
      ScanModule.make({ id: "crtsh" as ScanModule["id"], enabled: false, config: {} })
    ])
  })

  const bounds: ReadonlyArray<readonly [string, Record<string, unknown>, boolean]> = [
    ["recursion_depth 0", { recursion_depth: 0 }, true],
    ["recursion_depth 10", { recursion_depth: 10 }, true],
    ["recursion_depth 11", { recursion_depth: 11 }, false],
    ["recursion_depth -1", { recursion_depth: -1 }, false],
    ["recursion_depth 1.5", { recursion_depth: 1.5 }, false],
    ["recursion_depth \"2\"", { recursion_depth: "2" }, false],
    ["max_results 1", { max_results: 1 }, true],
    ["max_results 0", { max_results: 0 }, false],
    ["max_results -5", { max_results: -5 }, false],
    ["max_results 1000000", { max_results: limits.maxResults }, true],
    ["max_results 1000001", { max_results: limits.maxResults + 1 }, false],
    ["max_duration 1", { max_duration: 1 }, true],
    ["max_duration 0", { max_duration: 0 }, false],
    ["max_duration one week", { max_duration: 7 * 24 * 3600 }, true],
    ["max_duration past a week", { max_duration: 7 * 24 * 3600 + 1 }, false],
    ["max_duration NaN", { max_duration: Number.NaN }, false],
    ["priority LOW", { priority: "LOW" }, true],
    ["priority HIGH", { priority: "HIGH" }, true],
    ["priority URGENT", { priority: "URGENT" }, false],
    ["priority high", { priority: "high" }, false],
    ["priority null", { priority: null }, false]
  ]
  for (const [name, configuration, ok] of bounds) {
    it(`${ok ? "accepts" : "refuses"} ${name}`, () => {
      expect(Either.isRight(decode(CreateScanRequest)({ ...minimal, configuration }))).toBe(ok)
      expect(Either.isRight(decode(UpdateScanRequest)({ configuration }))).toBe(ok)
      expect(Either.isRight(decode(ScanConfiguration)(configuration))).toBe(ok)
    })
  }

  it("refuses a bad name, target, module list, template id or dependency list", () => {
    const cases: ReadonlyArray<Record<string, unknown>> = [
      { ...minimal, name: "" },
      { ...minimal, name: "n".repeat(limits.nameLength + 1) },
      { name: "recon" },
      { ...minimal, target: { type: "SHIP", value: "x" } },
      { ...minimal, target: { type: "DOMAIN", value: "" } },
      { ...minimal, target: "example.com" },
      { ...minimal, description: "d".repeat(limits.descriptionLength + 1) },
      { ...minimal, modules: [{ id: "Not A Module" }] },
      { ...minimal, modules: Array.from({ length: limits.maxModules + 1 }, (_, i) => ({ id: `m_${i}` })) },
      { ...minimal, modules: [{ id: "dns", config: "fast" }] },
      { ...minimal, template_id: "-quick" },
      { ...minimal, depends_on: { scan_ids: [] } },
      { ...minimal, depends_on: { scan_ids: ["not-a-uuid"] } },
      { ...minimal, depends_on: { scan_ids: [deriveUuid("dep")], on_failure: "retry" } }
    ]
    for (const input of cases) expect(refused(CreateScanRequest, input), JSON.stringify(input).slice(0, 80)).toBe(true)
    expect(accepted(CreateScanRequest, { ...minimal, name: "n".repeat(limits.nameLength) }).name).toHaveLength(200)
    expect(accepted(CreateScanRequest, { ...minimal, modules: [] }).modules).toEqual([])
  })

  it("fills in a dependency list's defaults", () => {
    const request = accepted(CreateScanRequest, { ...minimal, depends_on: { scan_ids: [deriveUuid("dep")] } })
    expect(request.depends_on).toEqual({ scan_ids: [deriveUuid("dep")], result_types: [], on_failure: "fail" })
    expect(accepted(Dependencies, { scan_ids: [deriveUuid("dep")], on_failure: "continue" }).on_failure).toBe(
      "continue"
    )
    expect(refused(Dependencies, { scan_ids: Array.from({ length: 21 }, (_, i) => deriveUuid(`d${i}`)) })).toBe(true)
  })
})

describe("UpdateScanRequest", () => {
  it("every field is optional", () => {
    expect(accepted(UpdateScanRequest, {})).toEqual(UpdateScanRequest.make({}))
    expect(accepted(UpdateScanRequest, { name: "renamed" }).name).toBe("renamed")
    expect(refused(UpdateScanRequest, { name: "" })).toBe(true)
  })
})

describe("ScanConfiguration", () => {
  it("defaults: an hour, 10 000 results, MEDIUM, two hops, a minute per task", () => {
    const defaults = {
      max_duration: 3600,
      max_results: 10_000,
      priority: "MEDIUM",
      recursion_depth: 2,
      task_timeout: 60
    }
    expect(accepted(ScanConfiguration, {})).toEqual(ScanConfiguration.make(defaults as ScanConfiguration))
    expect({ ...defaultConfiguration() }).toEqual(defaults)
    expect(Schema.encodeSync(ScanConfiguration)(defaultConfiguration())).toEqual(defaults)
  })

  it("the request's input schema is the configuration with every field optional", () => {
    expect(Object.keys(ScanConfigurationInput.fields).sort()).toEqual(Object.keys(ScanConfiguration.fields).sort())
    FastCheck.assert(
      FastCheck.property(
        FastCheck.record({
          max_duration: FastCheck.integer({ min: -10, max: limits.maxDurationSeconds + 10 }),
          max_results: FastCheck.integer({ min: -10, max: limits.maxResults + 10 }),
          priority: FastCheck.constantFrom("LOW", "MEDIUM", "HIGH", "URGENT"),
          recursion_depth: FastCheck.integer({ min: -2, max: 12 })
        }, { requiredKeys: [] }),
        (input) => {
          expect(Either.isRight(decode(ScanConfigurationInput)(input))).toBe(
            Either.isRight(decode(ScanConfiguration)(input))
          )
        }
      )
    )
  })
})

describe("Scan on the wire", () => {
  const started = () => {
    const d = new Driver({ config: { max_results: 50 } })
    d.send({ _tag: "StartScan" }, T0 + 1500)
    d.send({ _tag: "StopScan" }, T0 + 60_000)
    return d
  }

  it("encodes to the seed's snake_case JSON with ISO timestamps", () => {
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(Scan)(toScan(started().scan))))
    expect(Object.keys(json)).toEqual([
      "id",
      "name",
      "description",
      "user_id",
      "organization_id",
      "status",
      "progress",
      "target",
      "modules",
      "created_at",
      "updated_at",
      "started_at",
      "completed_at",
      "configuration",
      "result_count",
      "correlation_count",
      "status_reason",
      "template_id",
      "depends_on"
    ])
    expect(json).toMatchObject({
      name: "test scan",
      description: "",
      status: "CANCELLED",
      progress: 0,
      target: { type: "DOMAIN", value: "example.com" },
      modules: [
        { id: "dns", enabled: true, config: {} },
        { id: "crtsh", enabled: true, config: {} },
        { id: "whois_ip", enabled: true, config: {} }
      ],
      created_at: "2025-01-01T00:00:00.000Z",
      updated_at: "2025-01-01T00:01:00.000Z",
      started_at: "2025-01-01T00:00:01.500Z",
      completed_at: "2025-01-01T00:01:00.000Z",
      configuration: { max_duration: 3600, max_results: 50, priority: "MEDIUM", recursion_depth: 2 },
      result_count: 0,
      status_reason: "stopped by user",
      template_id: null
    })
    expect(json.id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it("a scan not yet started has null timestamps", () => {
    const json = Schema.encodeSync(Scan)(toScan(new Driver({}).scan))
    expect(json.started_at).toBeNull()
    expect(json.completed_at).toBeNull()
    expect(json.status).toBe("CREATED")
  })

  it("decodes back to the same scan", () => {
    const scan = toScan(started().scan)
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(Scan)(scan)))
    const back = Schema.decodeUnknownSync(Scan)(json)
    expect(Schema.encodeSync(Scan)(back)).toEqual(Schema.encodeSync(Scan)(scan))
    expect(DateTime.toEpochMillis(back.created_at)).toBe(T0)
  })

  it("refuses a progress outside [0, 1] and an unknown status", () => {
    const json = JSON.parse(JSON.stringify(Schema.encodeSync(Scan)(toScan(started().scan))))
    expect(refused(Scan, { ...json, progress: 1.5 })).toBe(true)
    expect(refused(Scan, { ...json, status: "STOPPED" })).toBe(true)
    expect(refused(Scan, { ...json, created_at: "yesterday" })).toBe(true)
  })

  it("a scan definition fills in its description", () => {
    const definition = accepted(ScanDefinition, {
      name: "n",
      target: { type: "IP", value: "192.0.2.1" },
      modules: [],
      configuration: {}
    })
    expect(definition.description).toBe("")
    expect(definition.configuration).toEqual(defaultConfiguration())
  })

  it("the terminal statuses", () => {
    expect(terminalStatuses).toEqual(["COMPLETED", "FAILED", "CANCELLED"])
    expect(isTerminal("PAUSED")).toBe(false)
  })
})

describe("Template", () => {
  it("encodes with ISO timestamps and a default configuration", () => {
    const template = accepted(Template, {
      id: "quick-recon",
      name: "Quick recon",
      description: "",
      organization_id: null,
      builtin: true,
      target_types: ["DOMAIN"],
      modules: [{ id: "dns" }],
      configuration: {},
      created_at: "2025-01-01T00:00:00.000Z",
      updated_at: "2025-01-01T00:00:00.000Z"
    })
    const json = Schema.encodeSync(Template)(template)
    expect(json.created_at).toBe("2025-01-01T00:00:00.000Z")
    expect(json.configuration).toEqual(Schema.encodeSync(ScanConfiguration)(defaultConfiguration()))
    expect(json.modules).toEqual([{ id: "dns", enabled: true, config: {} }])
  })
})
