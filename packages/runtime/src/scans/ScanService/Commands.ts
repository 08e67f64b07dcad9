/**
 * Changing a scan: lifecycle commands and updates go to the scan's node, starts through the organization's quota;
 * the sender waits briefly for the node's answer so a client learns "applied" or "refused" instead of "sent".
 */
import type { Principal } from "@mirage/domain/api/Authentication"
import { BadRequest, Conflict, PreconditionFailed } from "@mirage/domain/api/Errors"
import { randomUuid } from "@mirage/domain/Ids"
import type { ScanId } from "@mirage/domain/Ids"
import { ScanStatus } from "@mirage/domain/Scan"
import type { Scan, UpdateScanRequest } from "@mirage/domain/Scan"
import type { ScanCommand } from "@mirage/domain/ScanEvent"
import { Clock, Data, Effect, Option, Schema } from "effect"
import { Replies } from "../../cluster/Replies.js"
import type { Reply } from "../../cluster/Replies.js"
import { ShardInbox } from "../../cluster/ShardInbox.js"
import type { Envelope } from "../../cluster/ShardInbox.js"
import type { PersistenceError } from "../../platform/Errors.js"
import * as Chaining from "../Chaining.js"
import { ScanQuotas } from "../Quotas.js"
import { ScanReadModel } from "../ScanReadModel.js"
import type { ScanView } from "../ScanReadModel.js"
import { WebhookStore } from "../Webhooks.js"
import type { WebhookStoreService } from "../Webhooks.js"
import { notFound, visible, waitsForDependencies } from "./Queries.js"
import { checkUpdate, planOfModules } from "./Validation.js"

/** Lifecycle commands a user sends to an existing scan (updates go through `update`). */
export type UserCommand = Extract<
  ScanCommand,
  { readonly _tag: "StartScan" | "PauseScan" | "ResumeScan" | "StopScan" | "DeleteScan" }
>

/** How a command ended for its sender. */
export type CommandOutcome = Data.TaggedEnum<{
  /** The node applied it; the scan as the projection shows it afterwards, and its version (the seq of its log). */
  Applied: { readonly scan: Scan; readonly seq?: number }
  /** No node answered within the wait (or the command went out without waiting); the scan as currently known. */
  Pending: { readonly scan: Scan }
  /** A start beyond the organization's quota: the scan waits its turn. */
  Queued: { readonly scan: Scan; readonly position: number }
}>
export const CommandOutcome = Data.taggedEnum<CommandOutcome>()

/** How long a command waits. */
export interface Waits {
  /** How long a command waits for the node's reply before answering "pending". */
  readonly commandWaitMs: number
  /** After the node applied a command, how long to wait for the projection to show it. */
  readonly projectionWaitMs: number
}

/** The W3C traceparent of the current span, so the node's spans join the request's trace. */
const traceparent = Effect.map(
  Effect.option(Effect.currentSpan),
  Option.match({
    onNone: () => null,
    onSome: (span) => `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
  })
)

const decodeStatus = Schema.decodeUnknownOption(ScanStatus)

/** The scan once the projection reflects events after `afterSeq`, or as it is when the wait ends. */
const readYourWrites = (
  waits: Waits,
  principal: Principal,
  id: ScanId,
  afterSeq: number
): Effect.Effect<Option.Option<ScanView>, PersistenceError, ScanReadModel> =>
  Effect.flatMap(ScanReadModel, (readModel) => {
    const read = readModel.get(principal.organization_id, id)
    const poll = (): Effect.Effect<Option.Option<ScanView>, PersistenceError> =>
      Effect.flatMap(read, (view) =>
        Option.isSome(view) && view.value.seq <= afterSeq
          ? Effect.zipRight(Effect.sleep("20 millis"), Effect.suspend(poll))
          : Effect.succeed(view))
    return poll().pipe(
      Effect.timeoutTo({
        duration: waits.projectionWaitMs,
        onSuccess: Effect.succeed,
        onTimeout: () => read
      }),
      Effect.flatten
    )
  })

/** The error a rejection by the scan's node stands for. */
const rejected = (view: ScanView, reply: Reply, id: ScanId) =>
  Effect.gen(function*() {
    const rejection = reply.rejection
    if (rejection?.tag === "ScanNotFound") return yield* notFound(id)
    if (rejection?.tag === "PreconditionFailed") return yield* new PreconditionFailed({ detail: rejection.message })
    if (rejection?.tag === "InvalidUpdate") {
      // Its message is "field: reason" (ScanMachine.InvalidUpdate).
      const [field = "", ...reason] = rejection.message.split(": ")
      return yield* BadRequest.field(field, reason.join(": "))
    }
    const current = Option.getOrElse(decodeStatus(rejection?.status), () => view.scan.status)
    return yield* new Conflict({
      detail: rejection?.message ?? "the scan refused the command",
      current_status: current
    })
  })

/** Sends a command to the scan's node and waits for its answer (and for the projection to show it). */
const send = (waits: Waits, principal: Principal, before: ScanView, command: ScanCommand, commandId?: string) =>
  Effect.gen(function*() {
    const replies = yield* Replies
    const inbox = yield* ShardInbox
    const id = before.scan.id
    const envelope: Envelope = {
      target: id,
      command_id: commandId ?? (yield* randomUuid),
      command,
      reply_to: replies.channel,
      traceparent: yield* traceparent,
      sent_at: yield* Clock.currentTimeMillis
    }
    const reply = yield* replies.ask(envelope.command_id, inbox.send(envelope), waits.commandWaitMs)
    if (Option.isNone(reply)) {
      const now = yield* (yield* ScanReadModel).get(principal.organization_id, id)
      return CommandOutcome.Pending({ scan: Option.getOrElse(now, () => before).scan })
    }
    if (reply.value.outcome === "rejected") return yield* rejected(before, reply.value, id)
    const after = yield* readYourWrites(waits, principal, id, before.seq)
    return Option.match(after, {
      // Deleted by this very command: the last state known is the answer.
      onNone: () => CommandOutcome.Applied({ scan: before.scan }),
      onSome: (view) => CommandOutcome.Applied({ scan: view.scan, seq: view.seq })
    })
  })

/** A start: refused while dependencies run, queued beyond the organization's quota, else sent. */
const start = (waits: Waits, principal: Principal, before: ScanView) =>
  Effect.gen(function*() {
    const { scan } = before
    if (scan.status !== "CREATED") return yield* send(waits, principal, before, { _tag: "StartScan" })
    if (scan.depends_on !== null) {
      if (yield* waitsForDependencies(principal, scan)) {
        return yield* new Conflict({
          detail: "the scan waits for its dependencies: it starts by itself once they have all ended",
          current_status: scan.status
        })
      }
      // Its dependencies ended (the chaining observer may be on its way): chaining decides, seeds and starts.
      yield* Chaining.trigger(principal.organization_id, scan.id)
      return CommandOutcome.Pending({ scan })
    }
    const { admission, alsoStart } = yield* (yield* ScanQuotas).admit(principal.organization_id, scan.id)
    yield* Chaining.startDue(alsoStart)
    if (admission._tag === "Queued") return CommandOutcome.Queued({ scan, position: admission.position })
    return yield* send(waits, principal, before, { _tag: "StartScan" })
  })

export const command = (waits: Waits, principal: Principal, id: ScanId, command: UserCommand) =>
  Effect.gen(function*() {
    const before = yield* visible(principal, id)
    if (command._tag === "StartScan") return yield* start(waits, principal, before)
    return yield* send(waits, principal, before, command)
  }).pipe(
    // Only an update can be an invalid one.
    Effect.catchTag("BadRequest", Effect.die),
    Effect.withSpan("ScanService.command", { attributes: { scan_id: id, command: command._tag } })
  )

/**
 * An update is a patch: the fields the request names, each validated here on its own, merged by the scan's actor
 * into the definition it owns (so concurrent updates of different fields all land, and a slow update is never
 * written back over by the next). `expectedSeq` (If-Match) makes it conditional on the scan's version.
 */
export const update = (
  waits: Waits,
  principal: Principal,
  id: ScanId,
  request: UpdateScanRequest,
  expectedSeq?: number
) =>
  Effect.gen(function*() {
    const before = yield* visible(principal, id)
    const current = before.scan
    if (current.status !== "CREATED" && current.status !== "PAUSED") {
      return yield* new Conflict({
        detail: `cannot update a scan that is ${current.status}`,
        current_status: current.status
      })
    }
    const { modules, target } = yield* checkUpdate(principal, current, request)
    // The webhook and the dependency edges are staged under the update's command id, not written: the node applies
    // them once the actor has stored this update (ScanUpdated), at once or by its sweep, so a refused update changes
    // neither and a late one changes both.
    const webhooks = yield* WebhookStore
    const dependencies = yield* Chaining.ScanDependencies
    const commandId = yield* randomUuid
    const change = request.webhook === undefined ? undefined : commandId
    if (change !== undefined) yield* webhooks.stage(id, change, request.webhook ?? null)
    if (request.depends_on !== undefined) yield* dependencies.stage(id, commandId)
    return yield* send(waits, principal, before, {
      _tag: "UpdateScan",
      ...(request.name === undefined ? {} : { name: request.name }),
      ...(request.description === undefined ? {} : { description: request.description }),
      ...(target === undefined ? {} : { target }),
      ...(modules === undefined ? {} : { modules: modules.map((m) => m.module), plan: planOfModules(modules) }),
      ...(request.configuration === undefined ? {} : { configuration: request.configuration }),
      ...(request.depends_on === undefined ? {} : { depends_on: request.depends_on }),
      ...(change === undefined ? {} : { webhook_change: change }),
      ...(expectedSeq === undefined ? {} : { expected_seq: expectedSeq })
    }, commandId).pipe(
      // Refused by the scan: its changes will never be applied. A store failure leaves them (the update may be sent).
      Effect.tapError((error) =>
        error._tag === "PersistenceError"
          ? Effect.void
          : discard(webhooks, dependencies, change, request.depends_on === undefined ? undefined : commandId)
      )
    )
  }).pipe(Effect.withSpan("ScanService.update", { attributes: { scan_id: id } }))

/** Forgets the staged changes of an update the scan refused (a failure to is only logged: the sweep forgets them). */
const discard = (
  webhooks: WebhookStoreService,
  dependencies: Chaining.ScanDependenciesService,
  webhookChange: string | undefined,
  dependencyChange: string | undefined
) =>
  Effect.all([
    webhookChange === undefined ? Effect.void : webhooks.discard(webhookChange),
    dependencyChange === undefined ? Effect.void : dependencies.discard(dependencyChange)
  ], { discard: true }).pipe(
    Effect.catchAll((error) => Effect.logWarning("a refused update's staged changes were not discarded", error))
  )
