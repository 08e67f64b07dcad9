/**
 * The `mirage` commands: each one calls the gateway through the shared HTTP API contract and
 * prints for people, or one JSON document with `--json`. Problems print their title and detail on
 * stderr and end the command with a failure (a non-zero exit).
 */
import { Args, Command, Options } from "@effect/cli"
import { SourceList } from "@mirage/domain/api/CollectApi"
import { ResultPage, ScanCreated, ScanStatusReport } from "@mirage/domain/api/ScansApi"
import { TemplateList } from "@mirage/domain/api/TemplatesApi"
import { CollectionTask, CollectTaskRequest } from "@mirage/domain/CollectionTask"
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import { Entity, EntityType } from "@mirage/domain/Entity"
import { ModuleId, ScanId, TaskId, TemplateId } from "@mirage/domain/Ids"
import { ScanDiff } from "@mirage/domain/Inventory"
import { CreateScanRequest, Scan, ScanModule } from "@mirage/domain/Scan"
import type { ScanProgressEvent } from "@mirage/domain/ScanProgress"
import { Console, Effect, Option, Ref, Schema, Stream } from "effect"
import { Gateway } from "./Client.js"
import { CliFailure, common, withGateway } from "./Common.js"
import { config } from "./ConfigCommand.js"
import * as Output from "./Output.js"
import * as SchedulesCommand from "./SchedulesCommand.js"
import { guessType } from "./Target.js"

export { CliFailure, describeFailure } from "./Common.js"

/** Whether progress may be redrawn in place (a terminal), else printed line by line. */
export interface Terminal {
  readonly interactive: boolean
}

/** How often `collect --wait` asks whether the task ended. */
const pollEvery = "500 millis"

const scanId = Args.text({ name: "scan-id" }).pipe(Args.withSchema(ScanId), Args.withDescription("A scan's id"))

/** Every result of a scan, page by page. */
const allResults = (id: ScanId) =>
  Effect.gen(function*() {
    const { api } = yield* Gateway
    const items: Array<CollectionResult> = []
    let cursor: string | undefined = undefined
    do {
      const page: ResultPage = yield* api.scans.results({
        path: { id },
        urlParams: { limit: 200, ...(cursor === undefined ? {} : { cursor }) }
      })
      items.push(...page.items)
      cursor = page.next_cursor ?? undefined
    } while (cursor !== undefined)
    return items
  })

const statusText = (report: ScanStatusReport): string =>
  Output.table(["FIELD", "VALUE"], [
    ["id", report.id],
    ["status", report.status],
    ["progress", Output.bar(report.progress, 1)],
    ["results", String(report.result_count)],
    ["correlations", String(report.correlation_count)],
    [
      "tasks",
      `${report.tasks.completed} done, ${report.tasks.running} running, ${report.tasks.queued} queued, ` +
      `${report.tasks.failed} failed, ${report.tasks.cancelled} cancelled`
    ],
    ["elapsed", `${report.elapsed_seconds.toFixed(1)} s`],
    ["eta", report.eta_seconds === null ? "-" : `${report.eta_seconds.toFixed(0)} s`],
    ["reason", report.status_reason ?? "-"],
    ["waiting for", report.waiting_for ?? "-"]
  ])

const scanLine = (scan: Scan): string =>
  `${scan.id}  ${scan.status}  ${scan.name}  (${scan.target.type} ${scan.target.value})`

/**
 * Follows a scan until it ends: a progress display per event (redrawn in place on a terminal, one
 * line per status change otherwise), nothing in JSON mode. Answers the last event seen.
 */
const watch = (id: ScanId, json: boolean, terminal: Terminal) =>
  Effect.gen(function*() {
    const { events } = yield* Gateway
    const drawn = yield* Ref.make(0)
    const last = yield* Ref.make(Option.none<ScanProgressEvent>())
    yield* events(id).pipe(
      Stream.runForEach((event) =>
        Effect.gen(function*() {
          const previous = yield* Ref.getAndSet(last, Option.some(event))
          if (json) return
          const lines = Output.progressLines(event)
          if (terminal.interactive) {
            const up = yield* Ref.getAndSet(drawn, lines.length)
            yield* Console.log(`${up > 0 ? `\u001b[${up}A\u001b[J` : ""}${lines.join("\n")}`)
          } else if (Option.isNone(previous) || previous.value.status !== event.status) {
            yield* Console.log(lines.join("\n"))
          }
        })
      )
    )
    return yield* Ref.get(last)
  })

/** The results of a finished scan: a summary (JSON) or a summary and a table (people). */
const finish = (scan: Scan, json: boolean) =>
  Effect.gen(function*() {
    const { api } = yield* Gateway
    const status = yield* api.scans.status({ path: { id: scan.id } })
    const results = yield* allResults(scan.id)
    const summary = Output.summarize(results)
    if (json) {
      yield* Output.json(WatchSummary, { scan, status, summary })
    } else {
      yield* Console.log(`\n${scanLine(Scan.make({ ...scan, status: status.status }))}`)
      yield* Console.log(Output.summaryText(summary, results, 20))
    }
    if (status.status === "FAILED") {
      return yield* new CliFailure({ message: `the scan failed: ${status.status_reason ?? "no reason given"}` })
    }
  })

/** What `scan --watch --json` prints: the scan, its final status and counts of its results. */
export const WatchSummary = Schema.Struct({
  scan: Scan,
  status: ScanStatusReport,
  summary: Schema.Struct({
    total: Schema.Int,
    by_type: Schema.Record({ key: Schema.String, value: Schema.Int }),
    by_module: Schema.Record({ key: Schema.String, value: Schema.Int })
  })
})

const definition = {
  target: Args.text({ name: "target" }).pipe(Args.withDescription("What to scan: a domain, IP, e-mail, URL…")),
  type: Options.choice("type", EntityType.literals).pipe(
    Options.withDescription("The target's type (guessed from it otherwise)"),
    Options.optional
  ),
  template: Options.text("template").pipe(Options.withDescription("A template's id"), Options.optional),
  module: Options.text("module").pipe(Options.withDescription("A module to run (repeatable)"), Options.repeated),
  name: Options.text("name").pipe(Options.withDescription("The scan's name"), Options.optional),
  depth: Options.integer("depth").pipe(Options.withDescription("Recursion depth"), Options.optional)
}

type Definition = {
  readonly target: string
  readonly type: Option.Option<EntityType>
  readonly template: Option.Option<string>
  readonly module: ReadonlyArray<string>
  readonly name: Option.Option<string>
  readonly depth: Option.Option<number>
}

const createRequest = (input: Definition) =>
  Effect.gen(function*() {
    const type = Option.getOrElse(input.type, () => guessType(input.target))
    const modules = yield* Effect.forEach(input.module, (id) =>
      Effect.map(Schema.decodeUnknown(ModuleId)(id), (id) => ScanModule.make({ id })))
    const template_id = yield* Effect.transposeOption(Option.map(input.template, Schema.decodeUnknown(TemplateId)))
    return CreateScanRequest.make({
      name: Option.getOrElse(input.name, () =>
        `${input.target}`),
      target: Entity.make({ type, value: input.target }),
      ...(modules.length > 0 ? { modules } : {}),
      ...(Option.isSome(template_id) ? { template_id: template_id.value } : {}),
      ...(Option.isSome(input.depth) ? { configuration: { recursion_depth: input.depth.value } } : {})
    })
  })

const printScan = (scan: Scan, json: boolean) => json ? Output.json(Scan, scan) : Console.log(scanLine(scan))

export const make = (terminal: Terminal) => {
  const create = Command.make("create", { ...common, ...definition }, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const created = yield* api.scans.create({ payload: yield* createRequest(input), urlParams: {} })
        if (!(created instanceof ScanCreated)) return yield* Output.json(Schema.Unknown, created)
        if (input.json) return yield* Output.json(ScanCreated, created)
        yield* Console.log(scanLine(created))
        for (const warning of created.warnings) yield* Console.error(`warning: ${warning}`)
      })
    )).pipe(Command.withDescription("Create a scan (CREATED; start it with `mirage start`)"))

  const scan = Command.make("scan", {
    ...common,
    ...definition,
    watch: Options.boolean("watch").pipe(Options.withDescription("Follow its progress, then summarize its results"))
  }, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const created = yield* api.scans.create({ payload: yield* createRequest(input), urlParams: {} })
        if (!(created instanceof ScanCreated)) return yield* new CliFailure({ message: "no scan was created" })
        if (!input.json) { for (const warning of created.warnings) yield* Console.error(`warning: ${warning}`) }
        const started = yield* api.scans.start({ path: { id: created.id } })
        if (!input.watch) return yield* printScan(started, input.json)
        if (!input.json) yield* Console.log(scanLine(started))
        yield* watch(created.id, input.json, terminal)
        yield* finish(started, input.json)
      })
    )).pipe(Command.withDescription("Create and start a scan; with --watch, follow it to the end and summarize"))

  const lifecycle = (name: "start" | "pause" | "resume" | "stop", description: string) =>
    Command.make(name, { ...common, id: scanId }, (input) =>
      withGateway(
        input,
        Effect.gen(function*() {
          const { api } = yield* Gateway
          yield* printScan(yield* api.scans[name]({ path: { id: input.id } }), input.json)
        })
      )).pipe(Command.withDescription(description))

  const status = Command.make("status", {
    ...common,
    id: scanId,
    watch: Options.boolean("watch").pipe(Options.withDescription("Follow its progress until it ends"))
  }, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        if (input.watch) {
          const scan = yield* api.scans.get({ path: { id: input.id } })
          yield* watch(input.id, input.json, terminal)
          return yield* finish(scan, input.json)
        }
        const report = yield* api.scans.status({ path: { id: input.id } })
        yield* input.json ? Output.json(ScanStatusReport, report) : Console.log(statusText(report))
      })
    )).pipe(Command.withDescription("A scan's status, progress and task counts"))

  const results = Command.make("results", {
    ...common,
    id: scanId,
    type: Options.choice("type", EntityType.literals).pipe(Options.withDescription("Only this type"), Options.optional),
    limit: Options.integer("limit").pipe(Options.withDescription("Page size (1-200)"), Options.withDefault(50)),
    all: Options.boolean("all").pipe(Options.withDescription("Every result, not one page"))
  }, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const items = input.all
          ? yield* allResults(input.id)
          : (yield* api.scans.results({
            path: { id: input.id },
            urlParams: {
              limit: input.limit,
              ...Option.match(input.type, { onNone: () => ({}), onSome: (t) => ({ data_type: t }) })
            }
          })).items
        const shown = Option.match(input.type, {
          onNone: () => items,
          onSome: (t) => items.filter((r) => r.data_type === t)
        })
        if (input.json) return yield* Output.json(ResultPage.fields.items, shown)
        yield* Console.log(Output.resultTable(shown))
      })
    )).pipe(Command.withDescription("A scan's results (one page, or --all)"))

  const diff = Command.make("diff", {
    ...common,
    id: scanId,
    against: Options.text("against").pipe(
      Options.withSchema(Schema.Union(Schema.Literal("previous"), ScanId)),
      Options.withDescription("`previous` (the series' run before it) or a scan id"),
      Options.withDefault("previous" as const)
    )
  }, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const changes = yield* api.assets.diff({ path: { id: input.id }, urlParams: { against: input.against } })
        if (input.json) return yield* Output.json(ScanDiff, changes)
        yield* Console.log(
          `${changes.scan_id} against ${changes.against ?? "nothing (first run)"}: +${changes.added_count} ` +
            `-${changes.removed_count} =${changes.unchanged_count}`
        )
        yield* Console.log(Output.table(
          ["CHANGE", "TYPE", "VALUE"],
          changes.by_type.flatMap((group) => [
            ...group.added.map((value) => ["+", group.type, value]),
            ...group.removed.map((value) => ["-", group.type, value])
          ])
        ))
      })
    )).pipe(Command.withDescription("Entities a scan added and removed against the previous run (or another scan)"))

  const templates = Command.make("templates", common, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const list = yield* api.templates.list()
        if (input.json) return yield* Output.json(TemplateList, list)
        yield* Console.log(Output.table(
          ["ID", "NAME", "TARGETS", "MODULES"],
          list.items.map((t) => [t.id, t.name, t.target_types.join(","), t.modules.map((m) => m.id).join(",")])
        ))
      })
    )).pipe(Command.withDescription("The templates: built-in and your organization's"))

  const collect = Command.make("collect", {
    ...common,
    module: Args.text({ name: "module" }).pipe(Args.withSchema(ModuleId), Args.withDescription("The module to run")),
    target: Args.text({ name: "target" }),
    type: definition.type,
    timeout: Options.integer("timeout").pipe(
      Options.withDescription("Seconds the task may run"),
      Options.withDefault(30)
    ),
    wait: Options.boolean("wait").pipe(Options.withDescription("Wait for the task to end and print its results"))
  }, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const type = Option.getOrElse(input.type, () => guessType(input.target))
        const submitted = yield* api.collect.create({
          payload: CollectTaskRequest.make({
            module_id: input.module,
            target: Entity.make({ type, value: input.target }),
            config: { timeout: input.timeout, max_results: 1000 }
          })
        })
        if (!input.wait) {
          return yield* input.json
            ? Output.json(CollectionTask, submitted)
            : Console.log(`${submitted.id}  ${submitted.status}  ${submitted.module_id}`)
        }
        const jobId = Schema.decodeSync(ScanId)(Schema.encodeSync(TaskId)(submitted.id))
        let ended = submitted
        while (ended.status === "QUEUED" || ended.status === "RUNNING") {
          yield* Effect.sleep(pollEvery)
          ended = yield* api.collect.get({ path: { job_id: jobId } })
        }
        const page = yield* api.collect.results({ path: { job_id: jobId }, urlParams: { limit: 200 } })
        if (input.json) {
          return yield* Output.json(Schema.Struct({ task: CollectionTask, results: ResultPage }), {
            task: ended,
            results: page
          })
        }
        yield* Console.log(
          `${ended.id}  ${ended.status}  ${ended.result_count} results${ended.error === null ? "" : `  ${ended.error}`}`
        )
        yield* Console.log(Output.resultTable(page.items))
      })
    )).pipe(Command.withDescription("Run one module against one target (a standalone collection task)"))

  const sources = Command.make("sources", common, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const list = yield* api.collect.sources()
        if (input.json) return yield* Output.json(SourceList, list)
        yield* Console.log(Output.sourcesText(list))
      })
    )).pipe(Command.withDescription("The data sources: their modules, rate limits, state, and each key's state"))

  const root = Command.make("mirage").pipe(
    Command.withDescription("The Mirage command line: scans, templates, collection and sources through the gateway"),
    Command.withSubcommands([
      scan,
      create,
      lifecycle("start", "Start a scan"),
      lifecycle("pause", "Pause a running scan"),
      lifecycle("resume", "Resume a paused scan"),
      lifecycle("stop", "Stop (cancel) a scan; its results are kept"),
      status,
      results,
      diff,
      templates,
      SchedulesCommand.make(),
      collect,
      sources,
      config
    ])
  )
  return Command.run(root, { name: "mirage", version: "0.1.0" })
}

/** Runs the CLI on the arguments after the program name, e.g. `["scan", "acme.example", "--watch"]`. */
export const run = (args: ReadonlyArray<string>, terminal: Terminal = { interactive: false }) =>
  make(terminal)(["node", "mirage", ...args])
