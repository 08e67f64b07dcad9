/**
 * One task, start to end: the job's options where the task sets none, the module opened and collected attempt
 * after attempt as the source's policy allows, within the task's time, the findings cut at max_results, and the
 * trail written to the collection log however the task ends.
 */
import type { Module } from "@mirage/modules"
import { Duration, Effect, Exit, Option, Redacted, Schedule } from "effect"
import type { Either } from "effect"
import { scrub } from "../CollectionLog.js"
import type { CollectionLogService } from "../CollectionLog.js"
import type { JobOptionsService } from "../JobOptions.js"
import { TaskFailure } from "../TaskExecutor.js"
import type { Finding, TaskExecutorService, TaskSpec } from "../TaskExecutor.js"
import type { ExecutorSettings } from "./ExecutorSettings.js"
import * as Session from "./Session.js"
import { afterFailure, classify, policyFor, retryable, retrySchedule } from "./SourcePolicy.js"
import * as Trail from "./Trail.js"
import type { TaskRun } from "./Trail.js"

export interface ModuleExecutorService extends TaskExecutorService {
  /** Like `run`, but never fails: the outcome says how it went. */
  readonly execute: (task: TaskSpec) => Effect.Effect<TaskRun>
}

export interface ExecutorPorts extends Session.SessionPorts {
  readonly collectionLog: CollectionLogService
  /** Absent where hosts have none (simulations, tests): tasks run exactly as specified. */
  readonly jobOptions: Option.Option<JobOptionsService>
  readonly findModule: (id: string) => Option.Option<Module.Module>
}

interface WithOptions {
  readonly task: TaskSpec
  readonly failure: Option.Option<TaskFailure>
}

/**
 * The task with its job's options where it sets none (one read per task, none if it sets both), or the
 * failure that the options could not be read: running without them could use the wrong key or route.
 */
const withJobOptions = (jobOptions: Option.Option<JobOptionsService>, task: TaskSpec): Effect.Effect<WithOptions> => {
  const unchanged = { task, failure: Option.none<TaskFailure>() }
  if (
    Option.isNone(jobOptions) || task.scan_id === null ||
    (task.api_key !== undefined && task.use_proxy !== undefined)
  ) return Effect.succeed(unchanged)
  return jobOptions.value.get(task.scan_id).pipe(
    Effect.retry({ times: 2, schedule: Schedule.spaced(Duration.millis(50)) }),
    Effect.timeoutFail({
      duration: Duration.millis(task.timeout_ms),
      onTimeout: () => new TaskFailure({ kind: "timed_out", reason: "job options: no answer in time" })
    }),
    Effect.map(Option.match({
      onNone: () => unchanged,
      onSome: (options) => ({
        task: {
          ...task,
          ...(task.api_key === undefined && Option.isSome(options.api_key) ? { api_key: options.api_key.value } : {}),
          ...(task.use_proxy === undefined && Option.isSome(options.use_proxy)
            ? { use_proxy: options.use_proxy.value }
            : {})
        },
        failure: Option.none<TaskFailure>()
      })
    })),
    Effect.catchAll((error) =>
      Effect.succeed({
        task,
        failure: Option.some(
          error._tag === "TaskFailure"
            ? error
            : new TaskFailure({ kind: "failed", reason: `job options unavailable: ${error.message}` })
        )
      })
    )
  )
}

/** The module's findings: attempts, each in a fresh context and scope, retried as the source's policy says. */
const collect = (
  ports: ExecutorPorts,
  settings: ExecutorSettings,
  task: TaskSpec,
  module: Module.Module,
  trail: Trail.Trail,
  secrets: ReadonlyArray<string>
) =>
  Effect.gen(function*() {
    const policy = policyFor(settings, module.source)
    const proxied = yield* Session.isProxied(ports.proxies, task, module.source)
    const session: Session.TaskSession = { task, module, policy, proxied, secrets, record: trail.record }
    // Set when the last attempt's pool key was refused (parked) or paused while another key is free: worth a retry.
    let anotherKey = false
    const attempt = Effect.gen(function*() {
      const n = yield* trail.nextAttempt
      const { bucket, ctx, label } = yield* Session.open(ports, settings, session, n)
      return yield* Effect.scoped(
        Effect.flatMap(
          module.open({ ...task.config, ...settings.moduleOverrides?.[module.id] }, ctx),
          (opened) => opened.collect({ target: task.entity })
        )
      ).pipe(
        Effect.ensuring(Effect.flatMap(ctx.notes.summary, trail.keepNotes)),
        Effect.tapError((error) =>
          Effect.map(
            afterFailure(ports.limiter, ports.credentials, policy, { error, attempt: n, label, bucket, secrets }),
            (left) => {
              anotherKey = left
            }
          )
        )
      )
    })
    return yield* attempt.pipe(
      Effect.retry({
        schedule: retrySchedule(policy),
        while: (error) =>
          retryable(policy)(error) || ((error._tag === "AuthFailed" || error._tag === "RateLimited") && anotherKey)
      }),
      Effect.mapError((error) => classify(error, secrets)),
      Effect.catchAllDefect((defect) => defectFailure(module, defect, secrets))
    )
  })

/**
 * A module that dies (a bug: an exception thrown, a value it did not expect) fails its task, never the node: the
 * defect is logged with its stack, and the task ends failed with its reason, keys scrubbed. It is not retried.
 */
const defectFailure = (module: Module.Module, defect: unknown, secrets: ReadonlyArray<string>) => {
  const reason = scrub(
    `module ${module.id} failed unexpectedly: ${
      defect instanceof Error ? `${defect.name}: ${defect.message}` : String(defect)
    }`,
    secrets
  )
  const stack = defect instanceof Error && defect.stack !== undefined ? { stack: scrub(defect.stack, secrets) } : {}
  return Effect.zipRight(
    Effect.logError("module defect: the task fails, the node goes on").pipe(
      Effect.annotateLogs({ module: module.id, reason, ...stack })
    ),
    Effect.fail(new TaskFailure({ kind: "failed", reason }))
  )
}

/** How the run went: failed, or its findings cut at max_results. */
const runOf = (
  task: TaskSpec,
  attempts: number,
  outcome: Either.Either<ReadonlyArray<Finding>, TaskFailure>
): TaskRun => {
  if (outcome._tag === "Left") {
    return {
      findings: [],
      outcome: outcome.left.kind,
      result_count: 0,
      attempts,
      failure: Option.some(outcome.left)
    }
  }
  const all = outcome.right
  const cut = task.max_results !== undefined && all.length > task.max_results
  const findings = cut ? all.slice(0, task.max_results) : all
  return {
    findings,
    outcome: cut ? "result_limited" : "completed",
    result_count: findings.length,
    attempts,
    failure: Option.none()
  }
}

/** Runs the task to its outcome; the trail is written once, requests and summary together, even if interrupted. */
export const execute = (ports: ExecutorPorts, settings: ExecutorSettings) => (submitted: TaskSpec) =>
  Effect.gen(function*() {
    // From here on the task's key and proxy choice are the job's where the task set none.
    const { failure: optionsFailure, task } = yield* withJobOptions(ports.jobOptions, submitted)
    const found = ports.findModule(task.module_id)
    const sourceId = Option.match(found, { onNone: () => "unknown", onSome: (module) => module.source.id })
    const configured = yield* ports.credentials.all
    const secrets = [...configured, ...(task.api_key === undefined ? [] : [task.api_key])].map((key) =>
      Redacted.value(key)
    )
    const trail = yield* Trail.make(ports.collectionLog, task, sourceId, secrets)
    return yield* Effect.gen(function*() {
      const outcome = yield* (Option.isSome(optionsFailure)
        ? Effect.fail(optionsFailure.value)
        : Option.match(found, {
          onNone: () =>
            Effect.fail(new TaskFailure({ kind: "bad_config", reason: `unknown module ${task.module_id}` })),
          onSome: (module) => collect(ports, settings, task, module, trail, secrets)
        })).pipe(
          Effect.timeoutFail({
            duration: Duration.millis(task.timeout_ms),
            onTimeout: () => new TaskFailure({ kind: "timed_out", reason: `no answer within ${task.timeout_ms} ms` })
          }),
          Effect.either
        )
      return runOf(task, yield* trail.attempts, outcome)
    }).pipe(
      Effect.onExit((exit) =>
        Effect.zipRight(
          trail.write(exit),
          Exit.isSuccess(exit)
            ? Effect.logDebug("task collected").pipe(
              Effect.annotateLogs({
                outcome: exit.value.outcome,
                results: exit.value.result_count,
                attempts: exit.value.attempts
              })
            )
            : Effect.void
        )
      )
    )
  })
