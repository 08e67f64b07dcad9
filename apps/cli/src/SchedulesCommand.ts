/**
 * `mirage schedules`: list, create, show (with the runs of its due times), enable, disable and delete the
 * organization's schedules through the gateway.
 */
import { Args, Command, Options } from "@effect/cli"
import { Entity, EntityType } from "@mirage/domain/Entity"
import { ModuleId, TemplateId } from "@mirage/domain/Ids"
import { ScanModule } from "@mirage/domain/Scan"
import {
  CatchUpPolicy,
  CreateScheduleRequest,
  OverlapPolicy,
  Schedule,
  ScheduleId,
  SchedulePage,
  ScheduleRunPage
} from "@mirage/domain/Schedule"
import { Console, DateTime, Effect, Option, Schema } from "effect"
import { Gateway } from "./Client.js"
import { common, withGateway } from "./Common.js"
import * as Output from "./Output.js"
import { guessType } from "./Target.js"

const scheduleId = Args.text({ name: "schedule-id" }).pipe(Args.withSchema(ScheduleId))

const when = (time: DateTime.Utc | null) => time === null ? "-" : DateTime.formatIso(time)

const line = (s: Schedule) =>
  `${s.id}  ${s.enabled ? "enabled " : "disabled"}  ${s.cron} (${s.time_zone})  next ${when(s.next_due_at)}  ${s.name}`

export const make = () => {
  const list = Command.make("list", common, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const page = yield* api.schedules.list({ urlParams: { limit: 200 } })
        if (input.json) return yield* Output.json(SchedulePage, page)
        yield* Console.log(Output.table(
          ["ID", "STATE", "CRON", "ZONE", "NEXT DUE", "NAME"],
          page.items.map((
            s
          ) => [s.id, s.enabled ? "enabled" : "disabled", s.cron, s.time_zone, when(s.next_due_at), s.name])
        ))
      })
    )).pipe(Command.withDescription("The organization's schedules"))

  const create = Command.make("create", {
    ...common,
    cron: Args.text({ name: "cron" }).pipe(Args.withDescription("5 fields, or 6 with seconds first, e.g. '0 2 * * *'")),
    targets: Args.text({ name: "target" }).pipe(Args.repeated, Args.withDescription("What each run scans")),
    name: Options.text("name").pipe(Options.optional),
    zone: Options.text("time-zone").pipe(Options.withDefault("UTC"), Options.withDescription("An IANA time zone")),
    type: Options.choice("type", EntityType.literals).pipe(Options.optional),
    template: Options.text("template").pipe(Options.optional),
    module: Options.text("module").pipe(Options.repeated),
    overlap: Options.choice("overlap", OverlapPolicy.literals).pipe(Options.withDefault("skip" as const)),
    catchUp: Options.choice("catch-up", CatchUpPolicy.literals).pipe(Options.withDefault("run_once" as const)),
    newOnly: Options.boolean("new-entities-only").pipe(
      Options.withDescription("Follow-up modules only on entities new since the previous run")
    )
  }, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const modules = yield* Effect.forEach(input.module, (id) =>
          Effect.map(Schema.decodeUnknown(ModuleId)(id), (id) => ScanModule.make({ id })))
        const template_id = yield* Effect.transposeOption(Option.map(input.template, Schema.decodeUnknown(TemplateId)))
        const targets = input.targets.map((value) =>
          Entity.make({
            type: Option.getOrElse(input.type, () =>
              guessType(value)),
            value
          })
        )
        const created = yield* api.schedules.create({
          payload: CreateScheduleRequest.make({
            name: Option.getOrElse(input.name, () => `${input.targets.join(", ")} at ${input.cron}`.slice(0, 200)),
            cron: input.cron,
            time_zone: input.zone,
            overlap: input.overlap,
            catch_up: input.catchUp,
            enabled: true,
            scan: {
              targets,
              ...(modules.length > 0 ? { modules } : {}),
              ...(Option.isSome(template_id) ? { template_id: template_id.value } : {}),
              new_entities_only: input.newOnly
            }
          })
        })
        if (input.json) return yield* Output.json(Schedule, created)
        yield* Console.log(line(created))
      })
    )).pipe(Command.withDescription("Create a schedule: a scan of each target at every due time"))

  const show = Command.make("show", { ...common, id: scheduleId }, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        const schedule = yield* api.schedules.get({ path: { id: input.id } })
        const runs = yield* api.schedules.runs({ path: { id: input.id }, urlParams: { limit: 50 } })
        if (input.json) {
          return yield* Console.log(JSON.stringify(
            {
              schedule: Schema.encodeSync(Schedule)(schedule),
              runs: Schema.encodeSync(ScheduleRunPage)(runs).items
            },
            null,
            2
          ))
        }
        yield* Console.log(line(schedule))
        yield* Console.log(Output.table(
          ["DUE", "OUTCOME", "SCANS"],
          runs.items.map((run) => [DateTime.formatIso(run.due_at), run.outcome, run.scan_ids.join(",")])
        ))
      })
    )).pipe(Command.withDescription("A schedule and what its latest due times became"))

  const toggle = (name: "enable" | "disable") =>
    Command.make(name, { ...common, id: scheduleId }, (input) =>
      withGateway(
        input,
        Effect.gen(function*() {
          const { api } = yield* Gateway
          const updated = yield* api.schedules.update({
            path: { id: input.id },
            headers: {},
            payload: { enabled: name === "enable" }
          })
          if (input.json) return yield* Output.json(Schedule, updated)
          yield* Console.log(line(updated))
        })
      )).pipe(Command.withDescription(name === "enable" ? "Enable a schedule (from now on)" : "Pause a schedule"))

  const remove = Command.make("delete", { ...common, id: scheduleId }, (input) =>
    withGateway(
      input,
      Effect.gen(function*() {
        const { api } = yield* Gateway
        yield* api.schedules.delete({ path: { id: input.id } })
        if (!input.json) yield* Console.log(`deleted ${input.id}`)
      })
    )).pipe(Command.withDescription("Delete a schedule (its runs and scans stay)"))

  return Command.make("schedules").pipe(
    Command.withDescription("Scheduled scans: list, create, show, enable, disable, delete"),
    Command.withSubcommands([list, create, show, toggle("enable"), toggle("disable"), remove])
  )
}
